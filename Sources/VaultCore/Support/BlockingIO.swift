import Dispatch

/// Runs blocking file-system work (writes, fsyncs) off Swift's cooperative thread pool, which has only as many
/// threads as cores: an fsync there would stall every other task on the server.
public enum BlockingIO {
    private static let queue = DispatchQueue(label: "voicevault.blocking-io", qos: .userInitiated, attributes: .concurrent)

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

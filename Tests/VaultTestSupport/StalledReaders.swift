import Foundation

/// `count` connections that each ask for `path(index)` (with `headers(index)`, one `Name: value` line each),
/// read the answer's head, and never read again: clients whose window stays shut, for the bounds on what a
/// stalled response may hold.
public func stalledReaders(
    port: Int, count: Int, headers: @escaping @Sendable (Int) -> [String] = { _ in [] },
    path: @escaping @Sendable (Int) -> String
) async throws -> [RawConnection] {
    try await Task.detached {
        try (0..<count).map { index -> RawConnection in
            let connection = try RawConnection(port: port, receiveBuffer: 16 << 10)
            let extra = headers(index).map { $0 + "\r\n" }.joined()
            connection.send("GET \(path(index)) HTTP/1.1\r\nHost: x\r\n\(extra)\r\n")
            _ = connection.receiveHead()
            return connection
        }
    }.value
}

public import Foundation
import Synchronization

/// What the engines the cluster suites start (`PostgreSQL`, `SeaweedFS`) share: one start per test process,
/// however many suites ask at once, and a server that cannot outlive the test process.
public enum LoopbackEngine {
    /// Runs `command` (a shell command line) with its output in `log`, watched by a shell that, once this test
    /// process is gone (however it ended) or the server exits, runs `stop` (which may name `$w`, the server's
    /// shell PID), kills the server and removes `directory`. The directory is the watcher's from then on.
    public static func startWatched(_ command: String, log: String, stop: String = "", directory: TemporaryDirectory) throws -> Process {
        let watcher = """
            \(command) > \(log) 2>&1 & w=$!
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $w 2>/dev/null; do sleep 1; done
            \(stop)
            kill -9 $w 2>/dev/null; wait $w 2>/dev/null; rm -rf \(directory.path)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", watcher]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        directory.keep()
        return process
    }
}

/// A value made once per test process by an async start, shared by everyone who asks, also while it starts.
public final class StartedOnce<Value: Sendable>: Sendable {
    private let task = Mutex<Task<Value, any Error>?>(nil)
    private let start: @Sendable () async throws -> Value

    public init(_ start: @escaping @Sendable () async throws -> Value) {
        self.start = start
    }

    public func value() async throws -> Value {
        let running = task.withLock { task in
            if let task { return task }
            let made = Task { try await start() }
            task = made
            return made
        }
        return try await running.value
    }
}

public import AsyncHTTPClient
public import Foundation
import Synchronization
import VaultCore
public import NIOCore

/// A real `voicevault serve` process on a real socket, as outside tools run it.
public final class ServerProcess: @unchecked Sendable {
    public let process: Process
    public let port: Int
    private let errorPipe: Pipe
    public private(set) var log = ""

    public static var productsDirectory: URL { TestPaths.productsDirectory }

    public struct StartFailure: Error, CustomStringConvertible {
        public let status: Int32
        public let log: String
        public var description: String { "voicevault exited with \(status) before listening:\n\(log)" }
    }

    /// Starts the server and waits for its `listening` log line, which carries the bound port (`--port 0`
    /// lets the kernel pick one, so parallel tests never collide).
    public init(executable: String = "voicevault", arguments: [String], environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = Self.productsDirectory.appendingPathComponent(executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VOICEVAULT_") }
        env.merge(environment) { $1 }
        process.environment = env
        errorPipe = Pipe.closedOnExec()
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        var found: Int?
        while found == nil {
            let chunk = errorPipe.fileHandleForReading.availableData
            if chunk.isEmpty {
                // Exited before listening: reaped here, as `exitStatus` does (not `Process.waitUntilExit`).
                throw StartFailure(status: ChildProcess.reap(process.processIdentifier), log: seen)
            }
            seen += String(decoding: chunk, as: UTF8.self)
            for line in seen.split(separator: "\n") where line.contains("listening") && line.contains("port=") {
                if let range = line.range(of: "port=") {
                    found = Int(line[range.upperBound...].prefix { $0.isNumber })
                }
            }
        }
        port = found ?? 0
        log = seen
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private let reapedStatus = Mutex<Int32?>(nil)

    /// The server's exit status once it has exited, nil while it runs (`waiting`: blocks until it exits). Reaped
    /// here with `waitpid` on its pid rather than through `Process.waitUntilExit`, which was seen to wait forever
    /// for a child that had exited (a zombie nobody reaped hung a CI run). When Foundation reaped it first,
    /// Foundation's own record says how it ended.
    func exitStatus(waiting: Bool) -> Int32? {
        if let known = reapedStatus.withLock({ $0 }) { return known }
        let pid = process.processIdentifier
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, waiting ? 0 : WNOHANG)
            if result == pid {
                let code = ChildProcess.exitCode(waitStatus: status)
                reapedStatus.withLock { $0 = code }
                return code
            }
            if result == 0 { return nil }
            if errno == EINTR { continue }
            // ECHILD: Foundation reaped it and is about to record how it ended.
            while process.isRunning { Thread.sleep(forTimeInterval: 0.01) }
            let code = process.terminationStatus
            reapedStatus.withLock { $0 = code }
            return code
        }
    }

    /// Whether the server is still running (reaping it if it has exited).
    public var isRunning: Bool { exitStatus(waiting: false) == nil }

    /// Sends SIGTERM (graceful) or another signal and waits; returns the exit status.
    public func terminate(signal: Int32 = SIGTERM) -> Int32 {
        if isRunning { kill(process.processIdentifier, signal) }
        // The log first: a server whose log fills the pipe blocks writing it and would never exit.
        log += String(decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return exitStatus(waiting: true) ?? -1
    }

    /// Sends SIGTERM and waits for the exit at most `limit`; a server still running then is SIGKILLed. Returns
    /// whether it stopped by itself: a server that does not stop when asked is a defect a test must see, not a
    /// test run that never ends. Blocking: call it on a thread of its own.
    public func stop(within limit: Duration) -> Bool {
        if isRunning { kill(process.processIdentifier, SIGTERM) }
        // The log is read meanwhile, to its end: a server whose log fills the pipe blocks writing it and would
        // never exit.
        let reader = errorPipe.fileHandleForReading
        let collected = LogCollector()
        let readThread = Thread { collected.finish(reader.readDataToEndOfFile()) }
        readThread.start()
        let deadline = ContinuousClock.now + limit
        while isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let stoppedByItself = !isRunning
        if !stoppedByItself { kill(process.processIdentifier, SIGKILL) }
        _ = exitStatus(waiting: true)
        log += String(decoding: collected.wait(), as: UTF8.self)
        return stoppedByItself
    }

    deinit {
        if isRunning {
            kill(process.processIdentifier, SIGKILL)
            _ = exitStatus(waiting: true)
        }
    }

    /// Runs `voicevault` to completion (for commands that are expected to exit), waiting on a thread of its own
    /// (`onOwnThread`): a test that waits for a process on a shared pool's thread starves the other tests of it
    /// (the rate-limit tests then see their requests minutes apart).
    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        try await onOwnThread { try runBlocking(arguments, environment: environment) }
    }

    /// `run`, blocking the calling thread.
    public static func runBlocking(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VOICEVAULT_") }
        env.merge(environment) { $1 }
        return try runToCompletion(productsDirectory.appendingPathComponent("voicevault").path, arguments, environment: env)
    }
}

/// Runs a program to its end, blocking the calling thread; its exit status and its output and errors together
/// (`ChildProcess`, not Foundation's `Process`, whose `waitUntilExit` once hung a whole CI run).
public func runToCompletion(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil
) throws -> (status: Int32, output: String) {
    let (status, output) = try ChildProcess.run(executable, arguments, environment: environment, keep: 64 << 20)
    return (status, String(decoding: output, as: UTF8.self))
}

public struct HTTPResult: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let bytes: [UInt8]

    public var body: String { String(decoding: bytes, as: UTF8.self) }

    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

extension HTTPClient {
    /// A client that opens a new connection for every request. For servers started with a short idle timeout:
    /// a pooled connection the server closes at that timeout can be picked for the next request in the same
    /// instant, and the request then fails with "I/O on closed channel" (seen once in CI, on a loaded machine).
    public static let freshConnectionPerRequest: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.maximumUsesPerConnection = 1
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

/// One request, body collected.
public func httpRequest(
    _ method: String = "GET", _ url: String, headers: [String: String] = [:], body: String? = nil,
    client: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)
) async throws -> HTTPResult {
    try await httpRequest(method, url, headers: headers, bytes: body.map { Array($0.utf8) }, client: client, timeout: timeout)
}

/// One request with a body of bytes (an image, anything not text), body collected.
public func httpRequest(
    _ method: String, _ url: String, headers: [String: String] = [:], bytes: [UInt8]?,
    client: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)
) async throws -> HTTPResult {
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let bytes { request.body = .bytes(ByteBuffer(bytes: bytes)) }
    let response = try await client.execute(request, timeout: timeout)
    let body = try await response.body.collect(upTo: 64 << 20)
    return HTTPResult(
        status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
        bytes: Array(buffer: body))
}

extension Pipe {
    /// A pipe whose two ends this process's other children do not inherit. Tests start processes from many
    /// threads at once; a child started while another's pipe is open would otherwise hold its write end, so
    /// reading that pipe to its end (`ServerProcess.terminate`) waited for an unrelated process to exit, and two
    /// such waits on the cooperative pool's threads stopped every test. The child this pipe is for still gets
    /// its end: `Process` duplicates it onto the child's standard output or error, which clears the flag there.
    public static func closedOnExec() -> Pipe {
        let pipe = Pipe()
        for descriptor in [pipe.fileHandleForReading.fileDescriptor, pipe.fileHandleForWriting.fileDescriptor] {
            _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC)
        }
        return pipe
    }
}

/// A server's log, read to its end on a thread of its own, handed to whoever waits for it.
final class LogCollector: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let data = Mutex(Data())

    func finish(_ bytes: Data) {
        data.withLock { $0 = bytes }
        done.signal()
    }

    func wait() -> Data {
        done.wait()
        return data.withLock { $0 }
    }
}

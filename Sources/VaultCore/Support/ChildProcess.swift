#if canImport(Glibc)
import Glibc
#endif
public import Foundation

/// Runs a program to its end and returns its exit status with its output and errors together, spawning and
/// reaping the child itself (`posix_spawn`, then `waitpid` on that pid alone).
///
/// Why not Foundation's `Process`: its `waitUntilExit` was seen to wait forever for a child that had exited
/// (many processes started at once from several threads), and its children may hold the parent's other
/// descriptors. Here the child gets `/dev/null` as input, the one pipe as output and errors, and every other
/// descriptor the parent had when it was spawned is closed in it. Blocks the calling thread: call it from one
/// that may block (`BlockingIO`), never on the cooperative pool.
public enum ChildProcess {
    public struct Failure: Error, CustomStringConvertible {
        public let operation: String
        public let errno: Int32
        public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
    }

    /// - Parameter keep: the most bytes of output kept (the rest is read and dropped, so the child never blocks).
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, keep: Int = 1 << 20
    ) throws -> (status: Int32, output: [UInt8]) {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw Failure(operation: "pipe", errno: errno) }
        let (readEnd, writeEnd) = (descriptors[0], descriptors[1])
        // Not inherited by anything else this process spawns meanwhile (the child gets its copies by dup2).
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        // Descriptors opened after this listing are few and close on exec (glibc ignores a close of one that is
        // not open).
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let descriptor = Int32(name), descriptor > 2 { posix_spawn_file_actions_addclose(&actions, descriptor) }
        }
        let lines = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = lines.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(writeEnd)
        guard spawned == 0 else {
            close(readEnd)
            throw Failure(operation: "posix_spawn \(executable)", errno: spawned)
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            if output.count < keep { output += buffer[0..<min(count, keep - output.count)] }
        }
        close(readEnd)
        return (reap(pid), output)
    }

    /// Waits for the child `pid` to end and reaps it: its exit code, or the number of the signal that killed it
    /// (as `Process.terminationStatus` reports it). For children this process spawned, whoever spawned them.
    public static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return exitCode(waitStatus: status)
    }

    /// A `waitpid` status as an exit code, or the killing signal's number.
    public static func exitCode(waitStatus status: Int32) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `<data>/voicevault.lock`, held for the life of the process.
///
/// Single-flight generation and the index writer lock are in-process: they are only sound while one process
/// owns the directory. The kernel drops the lock when the process dies, even by SIGKILL, so a crash never
/// leaves a stale lock behind. The holder's PID is written into the file to make the refusal actionable.
public final class DataDirectoryLock: Sendable {
    public let path: String
    private let descriptor: Int32

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case held(path: String, holder: String)
        case system(SystemError)

        public var description: String {
            switch self {
            case let .held(path, holder):
                "the data directory is in use by another voicevault process (\(holder)); lock file \(path). "
                    + "Only one process may use a data directory at a time."
            case let .system(error): "cannot lock the data directory: \(error)"
            }
        }
    }

    public init(path: String) throws(Failure) {
        let fd = FileSystem.openNoFollow(path, O_RDWR | O_CREAT, mode: 0o644)
        guard fd >= 0 else { throw .system(.last("open", path)) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 63, 0) }
            close(fd)
            if error == EWOULDBLOCK {
                let pid = count > 0 ? String(decoding: buffer[0..<count].filter { (48...57).contains($0) }, as: UTF8.self) : ""
                throw .held(path: path, holder: pid.isEmpty ? "unknown pid" : "pid \(pid)")
            }
            throw .system(SystemError(errno: error, operation: "flock", path: path))
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = fd
        self.path = path
    }

    deinit { close(descriptor) }
}

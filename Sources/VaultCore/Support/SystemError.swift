#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call, with the path it concerned. `ENOSPC` and `EDQUOT` are told apart because an operator
/// can act on them.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    public let errno: Int32
    public let operation: String
    public let path: String

    public init(errno: Int32, operation: String, path: String) {
        self.errno = errno
        self.operation = operation
        self.path = path
    }

    public var isDiskFull: Bool { errno == ENOSPC || errno == EDQUOT }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno)))"
    }

    /// Captures the current `errno` after a failed call.
    static func last(_ operation: String, _ path: String) -> SystemError {
        SystemError(errno: Glibc.errno, operation: operation, path: path)
    }
}

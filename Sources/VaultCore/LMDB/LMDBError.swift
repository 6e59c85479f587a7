import CLMDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An LMDB return code with the operation that produced it.
public struct LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: Int32
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    public var isMapFull: Bool { code == MDB_MAP_FULL }
    public var isMapResized: Bool { code == MDB_MAP_RESIZED }
    /// LMDB passes the errno of a failed write or sync through as its return code.
    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String {
        let message = mdb_strerror(code).map { String(cString: $0) } ?? "error \(code)"
        return "LMDB \(operation): \(message)"
    }

    /// Turns a non-zero LMDB return code into a thrown error.
    @inline(__always)
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
        if code != 0 { throw LMDBError(code: code, operation: operation()) }
    }
}

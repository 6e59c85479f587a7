import CSQLite
import Foundation

/// A thin, blocking wrapper over one SQLite connection: statements with bound values, nothing more (no ORM).
/// Not shareable between threads: each user (the ledger writer, a reader) opens its own connection, and all
/// of them block, so they run off the cooperative pool.
public final class SQLiteDatabase {
    private var handle: OpaquePointer?
    public let path: String

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let code: Int32
        public let message: String
        public var description: String { "sqlite error \(code): \(message)" }
        /// The file is not a database, or is damaged: set it aside and start a new one.
        public var meansCorruptFile: Bool {
            let primary = code & 0xFF
            return primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT
        }
    }

    public init(path: String, readOnly: Bool = false) throws(Failure) {
        self.path = path
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        var pointer: OpaquePointer?
        let code = sqlite3_open_v2(path, &pointer, flags, nil)
        guard code == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(pointer)
            throw Failure(code: code, message: message)
        }
        handle = pointer
        sqlite3_extended_result_codes(pointer, 1)
        // A reader meeting the writer's checkpoint waits briefly instead of failing.
        sqlite3_busy_timeout(pointer, 5_000)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Copies the whole database, as one read transaction sees it, into a new database file at `path` with
    /// SQLite's online backup API: consistent while another process writes (a WAL reader blocks no writer).
    public func backup(to path: String) throws(Failure) {
        var destination: OpaquePointer?
        let opened = sqlite3_open_v2(path, &destination, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        defer { sqlite3_close_v2(destination) }
        guard opened == SQLITE_OK, let destination else {
            throw Failure(code: opened, message: destination.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)")
        }
        guard let backup = sqlite3_backup_init(destination, "main", handle, "main") else {
            throw Failure(code: sqlite3_errcode(destination), message: String(cString: sqlite3_errmsg(destination)))
        }
        // -1: every page in one step, under one read transaction, so the copy is one snapshot.
        let stepped = sqlite3_backup_step(backup, -1)
        let finished = sqlite3_backup_finish(backup)
        guard stepped == SQLITE_DONE, finished == SQLITE_OK else {
            throw Failure(code: stepped == SQLITE_DONE ? finished : stepped, message: String(cString: sqlite3_errmsg(destination)))
        }
    }

    /// Runs SQL without results (may hold several statements).
    public func execute(_ sql: String) throws(Failure) {
        var error: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &error)
        if code != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(error)
            throw Failure(code: code, message: message)
        }
    }

    /// A value to bind or read.
    public enum Value: Equatable, Sendable {
        case integer(Int)
        case real(Double)
        case text(String)
        case null

        public var int: Int? { if case let .integer(value) = self { value } else { nil } }
        public var double: Double? {
            switch self {
            case let .real(value): value
            case let .integer(value): Double(value)
            default: nil
            }
        }
        public var string: String? { if case let .text(value) = self { value } else { nil } }
    }

    /// Runs one statement with `values` bound to `?1...`, calling `row` for each result row.
    public func run(_ sql: String, _ values: [Value] = [], row: (([Value]) throws -> Void)? = nil) throws {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        try bind(values, to: statement)
        try step(statement, row: row)
    }

    /// Prepares once and runs for each set of values: what a batch of inserts does.
    public func runBatch(_ sql: String, _ rows: [[Value]]) throws {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        for values in rows {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            try bind(values, to: statement)
            try step(statement, row: nil)
        }
    }

    /// The rows of a query.
    public func rows(_ sql: String, _ values: [Value] = []) throws -> [[Value]] {
        var result: [[Value]] = []
        try run(sql, values) { result.append($0) }
        return result
    }

    /// `body` inside one transaction: committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    private func prepare(_ sql: String) throws(Failure) -> OpaquePointer? {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK else { throw Failure(code: code, message: lastMessage) }
        return statement
    }

    /// SQLite copies bound text (SQLITE_TRANSIENT), so the Swift string may go right after.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func bind(_ values: [Value], to statement: OpaquePointer?) throws(Failure) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32 =
                switch value {
                case let .integer(number): sqlite3_bind_int64(statement, index, Int64(number))
                case let .real(number): sqlite3_bind_double(statement, index, number)
                case let .text(text): sqlite3_bind_text(statement, index, text, -1, Self.transient)
                case .null: sqlite3_bind_null(statement, index)
                }
            guard code == SQLITE_OK else { throw Failure(code: code, message: lastMessage) }
        }
    }

    private func step(_ statement: OpaquePointer?, row: (([Value]) throws -> Void)?) throws {
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw Failure(code: code, message: lastMessage) }
            guard let row else { continue }
            let columns = sqlite3_column_count(statement)
            var values: [Value] = []
            values.reserveCapacity(Int(columns))
            for column in 0..<columns {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: values.append(.integer(Int(sqlite3_column_int64(statement, column))))
                case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(statement, column)))
                case SQLITE_TEXT: values.append(.text(String(cString: sqlite3_column_text(statement, column))))
                default: values.append(.null)
                }
            }
            try row(values)
        }
    }
}

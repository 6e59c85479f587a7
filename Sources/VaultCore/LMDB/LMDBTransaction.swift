import CLMDB

/// A named LMDB database inside an environment. The handle stays valid for the environment's lifetime.
public struct LMDBDatabase: Sendable, Hashable {
    public let name: String
    let handle: MDB_dbi
}

/// One LMDB transaction, only ever lent to a closure.
///
/// Non-copyable and passed `borrowing`, it cannot be stored or captured past the closure, which is synchronous:
/// so no transaction outlives its scope or is held across an `await`. Every value is copied into Swift memory
/// before it is returned, because LMDB's pointers die when the transaction ends.
public struct LMDBTransaction: ~Copyable {
    let pointer: OpaquePointer
    public let isReadOnly: Bool

    /// The value stored under `key`, copied out, or nil.
    public func get(_ key: [UInt8], in database: LMDBDatabase) throws -> [UInt8]? {
        try withValue(key, in: database) { $0.map(Array.init) }
    }

    /// Lends the stored bytes (valid only inside `body`) to avoid a copy when decoding in place.
    public func withValue<T>(
        _ key: [UInt8], in database: LMDBDatabase, _ body: (UnsafeRawBufferPointer?) throws -> T
    ) throws -> T {
        var value = MDB_val()
        let code = key.withUnsafeBytes { keyBytes -> Int32 in
            var mdbKey = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            return mdb_get(pointer, database.handle, &mdbKey, &value)
        }
        if code == MDB_NOTFOUND { return try body(nil) }
        try LMDBError.check(code, "get from \(database.name)")
        return try body(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }

    /// Stores `value` under `key`. With `overwrite: false` an existing key is left alone and false is returned.
    @discardableResult
    public func put(_ value: [UInt8], for key: [UInt8], in database: LMDBDatabase, overwrite: Bool = true)
        throws(LMDBError) -> Bool
    {
        precondition(!isReadOnly, "put in a read-only transaction")
        let flags: UInt32 = overwrite ? 0 : UInt32(MDB_NOOVERWRITE)
        let code = key.withUnsafeBytes { keyBytes in
            value.withUnsafeBytes { valueBytes -> Int32 in
                var mdbKey = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                var mdbValue = MDB_val(
                    mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                return mdb_put(pointer, database.handle, &mdbKey, &mdbValue, flags)
            }
        }
        if code == MDB_KEYEXIST { return false }
        try LMDBError.check(code, "put into \(database.name)")
        return true
    }

    /// Deletes `key`; returns whether it was there.
    @discardableResult
    public func delete(_ key: [UInt8], in database: LMDBDatabase) throws(LMDBError) -> Bool {
        precondition(!isReadOnly, "delete in a read-only transaction")
        let code = key.withUnsafeBytes { keyBytes -> Int32 in
            var mdbKey = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            return mdb_del(pointer, database.handle, &mdbKey, nil)
        }
        if code == MDB_NOTFOUND { return false }
        try LMDBError.check(code, "delete from \(database.name)")
        return true
    }

    /// Visits, in key order, every entry whose key starts with `prefix` (all entries for an empty prefix) and
    /// at or after `from` when given. `body` returns false to stop early. Keys and values are copied out.
    public func scan(
        prefix: [UInt8], in database: LMDBDatabase, from start: [UInt8]? = nil,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(pointer, database.handle, &cursor), "cursor open on \(database.name)")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        let seek = start.map { $0.lexicographicallyPrecedes(prefix) ? prefix : $0 } ?? prefix
        var code: Int32
        if seek.isEmpty {
            code = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
        } else {
            code = seek.withUnsafeBytes { seekBytes -> Int32 in
                key = MDB_val(mv_size: seekBytes.count, mv_data: UnsafeMutableRawPointer(mutating: seekBytes.baseAddress))
                return mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE)
            }
        }
        while code == 0 {
            let keyBytes = Array(UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size))
            guard keyBytes.starts(with: prefix) else { return }
            let valueBytes = Array(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
            guard try body(keyBytes, valueBytes) else { return }
            code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
        }
        if code != MDB_NOTFOUND { try LMDBError.check(code, "cursor next on \(database.name)") }
    }

    /// Number of entries in the database.
    public func count(in database: LMDBDatabase) throws(LMDBError) -> Int {
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(pointer, database.handle, &stat), "stat \(database.name)")
        return stat.ms_entries
    }
}

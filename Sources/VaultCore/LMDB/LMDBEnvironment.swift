import CLMDB
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// An LMDB environment (one `data.mdb` + `lock.mdb` directory) shared by every task of the process.
///
/// - `MDB_NOTLS`: read transactions are not bound to threads, which Swift concurrency moves work between.
/// - Write transactions are serialised by a mutex here, so a writer never blocks inside LMDB's own lock.
/// - `MDB_MAP_FULL` is not an error the caller sees: the write is aborted, the map is grown and the write
///   closure is run again. Write closures must therefore only compute from what they read in the transaction.
/// - Stale reader slots left by crashed processes are cleared at open (`mdb_reader_check`).
/// - Read transactions are reset and renewed rather than begun and aborted (`ReadTransactionPool`).
public final class LMDBEnvironment: @unchecked Sendable {
    // @unchecked: `MDB_env` is safe to share between threads with MDB_NOTLS; the mutable state
    // (map size) is behind `resizeLock`/`writeLock`, and transactions never escape their closures.
    private let env: OpaquePointer
    private let resizeLock = ReadWriteLock()
    private let writeLock = PosixMutex()
    private let mapSizeState: Mutex<Int>
    /// Read transactions kept reset between reads (see `ReadTransactionPool`).
    private let readPool: ReadTransactionPool
    /// Upper bound for automatic growth, so a runaway writer cannot reserve the whole address space.
    public let maximumMapSize: Int
    /// How many stale reader slots `mdb_reader_check` cleared when the environment opened.
    public let staleReadersCleared: Int

    public struct Options: Sendable {
        public var mapSize: Int
        public var maximumMapSize: Int
        public var maxDatabases: UInt32
        public var maxReaders: UInt32
        /// Opens the environment of a running server beside it (backup, doctor): LMDB is safe across processes,
        /// and a reader there never writes, so it cannot disturb the server's writes. Databases must exist.
        public var readOnly: Bool

        public init(
            mapSize: Int = 256 << 20, maximumMapSize: Int = 1 << 40, maxDatabases: UInt32 = 16,
            maxReaders: UInt32 = 512, readOnly: Bool = false
        ) {
            self.mapSize = mapSize
            self.maximumMapSize = maximumMapSize
            self.maxDatabases = maxDatabases
            self.maxReaders = maxReaders
            self.readOnly = readOnly
        }
    }

    /// Opened with `Options.readOnly`.
    public let isReadOnly: Bool

    /// Opens (creating if needed) the environment in `directory`, which must exist.
    public init(directory: String, options: Options = Options()) throws(LMDBError) {
        var pointer: OpaquePointer?
        try LMDBError.check(mdb_env_create(&pointer), "env create")
        guard let env = pointer else { throw LMDBError(code: ENOMEM, operation: "env create") }
        do {
            try LMDBError.check(mdb_env_set_maxdbs(env, options.maxDatabases), "set maxdbs")
            try LMDBError.check(mdb_env_set_maxreaders(env, options.maxReaders), "set maxreaders")
            try LMDBError.check(mdb_env_set_mapsize(env, options.mapSize), "set mapsize")
            let flags = UInt32(MDB_NOTLS) | (options.readOnly ? UInt32(MDB_RDONLY) : 0)
            try LMDBError.check(mdb_env_open(env, directory, flags, 0o644), "open \(directory)")
            var dead: Int32 = 0
            try LMDBError.check(mdb_reader_check(env, &dead), "reader check")
            staleReadersCleared = Int(dead)
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.env = env
        isReadOnly = options.readOnly
        // The file may already be larger than asked (it grew in an earlier run): LMDB adopts the larger size.
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        mapSizeState = Mutex(max(info.me_mapsize, options.mapSize))
        maximumMapSize = max(options.maximumMapSize, options.mapSize)
        // A quarter of the slots at most, so other processes on the directory (backup, doctor, stats) find room.
        readPool = ReadTransactionPool(capacity: min(Self.keptReadTransactions, Int(options.maxReaders) / 4))
    }

    /// The most read transactions kept reset between reads: more than the threads that read at once.
    static let keptReadTransactions = 32

    deinit {
        readPool.drain()
        mdb_env_close(env)
    }

    /// Read transactions kept reset right now (tests).
    var keptReadTransactionCount: Int { readPool.keptCount }

    /// The current map size in bytes (grows automatically).
    public var mapSize: Int { mapSizeState.withLock { $0 } }

    /// Opens or creates a named database (read-only: opens it, and a missing one is `MDB_NOTFOUND`).
    public func database(named name: String) throws -> LMDBDatabase {
        if isReadOnly {
            // A handle opened in a read transaction lives on only if that transaction commits.
            return try resizeLock.withReadLock {
                let txn = try begin(flags: UInt32(MDB_RDONLY))
                var handle: MDB_dbi = 0
                let code = mdb_dbi_open(txn.pointer, name, 0, &handle)
                guard code == MDB_SUCCESS else {
                    mdb_txn_abort(txn.pointer)
                    throw LMDBError(code: code, operation: "open database \(name)")
                }
                try LMDBError.check(mdb_txn_commit(txn.pointer), "commit open of \(name)")
                return LMDBDatabase(name: name, handle: handle)
            }
        }
        return try write { txn in
            var handle: MDB_dbi = 0
            try LMDBError.check(mdb_dbi_open(txn.pointer, name, UInt32(MDB_CREATE), &handle), "open database \(name)")
            return LMDBDatabase(name: name, handle: handle)
        }
    }

    /// Runs `body` in a read-only transaction, which sees one consistent snapshot.
    public func read<T>(_ body: (borrowing LMDBTransaction) throws -> T) throws -> T {
        try resizeLock.withReadLock {
            let txn = try beginRead()
            defer { readPool.giveBack(txn.pointer) }
            return try body(txn)
        }
    }

    /// A kept transaction renewed onto the newest snapshot, or a new one. A kept one that cannot be renewed (the
    /// map was grown by another process) is aborted, and `begin` handles the resize.
    private func beginRead() throws(LMDBError) -> LMDBTransaction {
        if let kept = readPool.take() {
            if mdb_txn_renew(kept) == MDB_SUCCESS { return LMDBTransaction(pointer: kept, isReadOnly: true) }
            readPool.discard(kept)
        }
        return try begin(flags: UInt32(MDB_RDONLY))
    }

    /// Runs `body` in the single write transaction and commits it (durably: LMDB fsyncs on commit).
    /// If `body` throws, nothing it wrote is kept.
    public func write<T>(_ body: (borrowing LMDBTransaction) throws -> T) throws -> T {
        try writeLock.withLock {
            while true {
                do {
                    return try resizeLock.withReadLock {
                        let txn = try begin(flags: 0)
                        let result: T
                        do {
                            result = try body(txn)
                        } catch {
                            mdb_txn_abort(txn.pointer)
                            throw error
                        }
                        try LMDBError.check(mdb_txn_commit(txn.pointer), "commit")
                        return result
                    }
                } catch let error as LMDBError where error.isMapFull {
                    try grow()
                }
            }
        }
    }

    /// Writes a consistent copy of the whole environment (every database, as one read transaction sees it) to
    /// `directory`, which must exist and be empty, compacted (free pages left out, so the copy is as small as the
    /// data): LMDB's own hot backup, safe while another process writes.
    public func copy(toDirectory directory: String) throws(LMDBError) {
        try LMDBError.check(mdb_env_copy2(env, directory, UInt32(MDB_CP_COMPACT)), "copy to \(directory)")
    }

    /// Bytes of the data file in use (last page number times page size) and the page size.
    public var usedBytes: Int {
        var info = MDB_envinfo()
        var stat = MDB_stat()
        mdb_env_info(env, &info)
        mdb_env_stat(env, &stat)
        return (info.me_last_pgno + 1) * Int(stat.ms_psize)
    }

    /// Reader slots in use and the most there can be.
    public var readers: (used: Int, maximum: Int) {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return (Int(info.me_numreaders), Int(info.me_maxreaders))
    }

    /// Forces a flush of the environment's data file to disk.
    public func sync() throws(LMDBError) {
        try LMDBError.check(mdb_env_sync(env, 1), "sync")
    }

    private func begin(flags: UInt32) throws(LMDBError) -> LMDBTransaction {
        var txn: OpaquePointer?
        var code = mdb_txn_begin(env, nil, flags, &txn)
        if code == MDB_MAP_RESIZED {
            // Only another process can grow the map under us; adopting its size needs no lock of ours beyond
            // the read lock we hold, because LMDB allows size 0 ("adopt") when no transaction is active here.
            mdb_env_set_mapsize(env, 0)
            code = mdb_txn_begin(env, nil, flags, &txn)
        }
        try LMDBError.check(code, flags & UInt32(MDB_RDONLY) != 0 ? "begin read" : "begin write")
        guard let txn else { throw LMDBError(code: EINVAL, operation: "begin") }
        return LMDBTransaction(pointer: txn, isReadOnly: flags & UInt32(MDB_RDONLY) != 0)
    }

    /// Doubles the map (never past `maximumMapSize`); waits for every open read transaction to finish first.
    private func grow() throws(LMDBError) {
        try resizeLock.withWriteLock { () throws(LMDBError) in
            let current = mapSizeState.withLock { $0 }
            guard current < maximumMapSize else { throw LMDBError(code: MDB_MAP_FULL, operation: "grow map") }
            let next = min(current * 2, maximumMapSize)
            try LMDBError.check(mdb_env_set_mapsize(env, next), "grow map to \(next)")
            mapSizeState.withLock { $0 = next }
        }
    }
}

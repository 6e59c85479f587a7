import Foundation

/// Pre-generation jobs and their items in SQLite (`<data>/jobs.sqlite`, WAL): written as each item finishes,
/// so a job survives a restart and resumes at its first unfinished item.
///
/// One connection behind a lock; every method blocks (run them through `BlockingIO`).
public final class JobStore: @unchecked Sendable {
    // @unchecked: the connection is only touched under `lock`.
    private let database: SQLiteDatabase
    private let lock = NSLock()
    /// Told each step of an item's write; only the crash test sets one.
    let observer: JobWriteObserver?

    public enum Status: String, Codable, Sendable, CaseIterable {
        case queued, running
        /// The daily character budget is spent: waits until `resumeAt` (the next UTC day).
        case paused
        case done, cancelled
    }

    public enum ItemState: String, Codable, Sendable {
        case pending, generated, cached, failed
    }

    public struct Job: Sendable, Equatable {
        public let id: String
        public let bookId: String
        public let status: Status
        public let createdAt: Double
        public let updatedAt: Double
        public let resumeAt: Double?
        public let manifest: JobManifest

        public init(
            id: String, bookId: String, status: Status, createdAt: Double, updatedAt: Double, resumeAt: Double?, manifest: JobManifest
        ) {
            self.id = id
            self.bookId = bookId
            self.status = status
            self.createdAt = createdAt
            self.updatedAt = updatedAt
            self.resumeAt = resumeAt
            self.manifest = manifest
        }
    }

    public struct Counts: Sendable, Equatable, Codable {
        public var total = 0
        public var pending = 0
        public var generated = 0
        public var cached = 0
        public var failed = 0
        public var charactersSpent = 0
        /// Seconds the generated items took, for the estimate of what is left.
        public var generatedSeconds = 0.0
        public init(
            total: Int = 0, pending: Int = 0, generated: Int = 0, cached: Int = 0, failed: Int = 0, charactersSpent: Int = 0,
            generatedSeconds: Double = 0
        ) {
            self.total = total
            self.pending = pending
            self.generated = generated
            self.cached = cached
            self.failed = failed
            self.charactersSpent = charactersSpent
            self.generatedSeconds = generatedSeconds
        }
    }

    public struct Failure: Sendable, Equatable, Codable {
        public let chapterId: String
        public let voiceId: String
        public let code: String

        public init(chapterId: String, voiceId: String, code: String) {
            self.chapterId = chapterId
            self.voiceId = voiceId
            self.code = code
        }
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS jobs (
            id TEXT PRIMARY KEY, book_id TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL,
            updated_at REAL NOT NULL, resume_at REAL, manifest TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS job_items (
            job_id TEXT NOT NULL, seq INTEGER NOT NULL, chapter_index INTEGER NOT NULL, chapter_id TEXT NOT NULL,
            voice_id TEXT NOT NULL, state TEXT NOT NULL, code TEXT, characters INTEGER NOT NULL DEFAULT 0,
            seconds REAL NOT NULL DEFAULT 0, content_hash TEXT, PRIMARY KEY (job_id, seq)) WITHOUT ROWID;
        """

    public init(path: String, observer: JobWriteObserver? = nil) throws {
        self.observer = observer
        database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
        try database.execute(Self.schema)
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Stores a new job with its items in one transaction (all or nothing).
    public func create(id: String, book: StorageIdentifier, manifest: JobManifest, items: [JobManifest.Item], now: Double) throws {
        let json = String(decoding: try JSONEncoder().encode(manifest), as: UTF8.self)
        try locked {
            try database.transaction {
                try database.run(
                    "INSERT INTO jobs VALUES (?1, ?2, 'queued', ?3, ?3, NULL, ?4)",
                    [.text(id), .text(book.value), .real(now), .text(json)])
                try database.runBatch(
                    "INSERT INTO job_items (job_id, seq, chapter_index, chapter_id, voice_id, state) VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
                    items.enumerated().map { seq, item in
                        [.text(id), .integer(seq), .integer(item.chapterIndex), .text(item.chapterId.value), .text(item.voiceId)]
                    })
            }
        }
    }

    public func job(_ id: String) throws -> Job? {
        try locked {
            try database.rows(
                "SELECT id, book_id, status, created_at, updated_at, resume_at, manifest FROM jobs WHERE id = ?1", [.text(id)])
        }
        .first.flatMap(Self.job)
    }

    /// Every job, newest first.
    public func jobs(limit: Int = 200) throws -> [Job] {
        try locked {
            try database.rows(
                "SELECT id, book_id, status, created_at, updated_at, resume_at, manifest FROM jobs ORDER BY created_at DESC, id LIMIT ?1",
                [.integer(limit)])
        }
        .compactMap(Self.job)
    }

    static func job(_ row: [SQLiteDatabase.Value]) -> Job? {
        guard row.count == 7, let id = row[0].string, let book = row[1].string, let status = row[2].string.flatMap(Status.init),
            let created = row[3].double, let updated = row[4].double, let json = row[6].string,
            let manifest = try? JSONDecoder().decode(JobManifest.self, from: Data(json.utf8))
        else { return nil }
        return Job(
            id: id, bookId: book, status: status, createdAt: created, updatedAt: updated, resumeAt: row[5].double, manifest: manifest)
    }

    public func counts(_ id: String) throws -> Counts {
        try locked {
            var counts = Counts()
            try database.run(
                "SELECT state, count(*), sum(characters), sum(seconds) FROM job_items WHERE job_id = ?1 GROUP BY state", [.text(id)]
            ) { row in
                let count = row[1].int ?? 0
                counts.total += count
                counts.charactersSpent += row[2].int ?? 0
                switch row[0].string.flatMap(ItemState.init) {
                case .pending: counts.pending = count
                case .generated:
                    counts.generated = count
                    counts.generatedSeconds = row[3].double ?? 0
                case .cached: counts.cached = count
                case .failed: counts.failed = count
                case nil: break
                }
            }
            return counts
        }
    }

    public func failures(_ id: String, limit: Int = 100) throws -> [Failure] {
        try locked {
            try database.rows(
                "SELECT chapter_id, voice_id, code FROM job_items WHERE job_id = ?1 AND state = 'failed' ORDER BY seq LIMIT ?2",
                [.text(id), .integer(limit)])
        }.compactMap { row in
            guard let chapter = row[0].string, let voice = row[1].string else { return nil }
            return Failure(chapterId: chapter, voiceId: voice, code: row[2].string ?? "internal_error")
        }
    }

    /// The job's voices in the order its items run (most requested first, as planned at creation).
    public func voiceOrder(_ id: String) throws -> [String] {
        try locked {
            try database.rows(
                "SELECT voice_id, min(seq) AS first FROM job_items WHERE job_id = ?1 GROUP BY voice_id ORDER BY first", [.text(id)])
        }.compactMap { $0.first?.string }
    }

    /// The first unfinished item of a job: its sequence number, chapter and voice.
    public func nextPending(_ id: String) throws -> (seq: Int, chapterIndex: Int, voiceId: String)? {
        try locked {
            try database.rows(
                "SELECT seq, chapter_index, voice_id FROM job_items WHERE job_id = ?1 AND state = 'pending' ORDER BY seq LIMIT 1",
                [.text(id)])
        }.first.flatMap { row in
            guard let seq = row[0].int, let chapter = row[1].int, let voice = row[2].string else { return nil }
            return (seq, chapter, voice)
        }
    }

    public func finish(
        _ id: String, seq: Int, state: ItemState, code: String? = nil, characters: Int = 0, seconds: Double = 0,
        contentHash: String? = nil, now: Double
    ) throws {
        try locked {
            try database.transaction {
                try database.run(
                    "UPDATE job_items SET state = ?3, code = ?4, characters = ?5, seconds = ?6, content_hash = ?7 WHERE job_id = ?1 AND seq = ?2",
                    [
                        .text(id), .integer(seq), .text(state.rawValue), code.map(SQLiteDatabase.Value.text) ?? .null,
                        .integer(characters), .real(seconds), contentHash.map(SQLiteDatabase.Value.text) ?? .null,
                    ])
                observer?(.itemUpdated)
                try database.run("UPDATE jobs SET updated_at = ?2 WHERE id = ?1", [.text(id), .real(now)])
            }
            observer?(.itemCommitted)
        }
    }

    /// Changes a job's status; a finished (done or cancelled) job keeps its status. Returns the status it has.
    @discardableResult
    public func setStatus(_ id: String, _ status: Status, resumeAt: Double? = nil, now: Double) throws -> Status? {
        try locked {
            try database.run(
                "UPDATE jobs SET status = ?2, resume_at = ?3, updated_at = ?4 WHERE id = ?1 AND status NOT IN ('done', 'cancelled')",
                [.text(id), .text(status.rawValue), resumeAt.map(SQLiteDatabase.Value.real) ?? .null, .real(now)])
            return try database.rows("SELECT status FROM jobs WHERE id = ?1", [.text(id)]).first?.first?.string.flatMap(Status.init)
        }
    }

    /// Jobs with work to do now, oldest first: queued, running (interrupted by a restart), or paused past their time.
    public func runnable(now: Double) throws -> [String] {
        try locked {
            try database.rows(
                "SELECT id FROM jobs WHERE status IN ('queued', 'running') OR (status = 'paused' AND resume_at <= ?1) ORDER BY created_at, id",
                [.real(now)]
            ).compactMap { $0.first?.string }
        }
    }

    /// The earliest time a paused job resumes, if any.
    public func nextResume() throws -> Double? {
        try locked { try database.rows("SELECT min(resume_at) FROM jobs WHERE status = 'paused'").first?.first?.double }
    }
}

/// The steps of recording a finished job item, so the crash test can stop a process at each: inside the
/// transaction (the item updated, the job's time not yet) and after its commit.
public enum JobWriteStep: String, CaseIterable, Sendable {
    case itemUpdated = "job-item-updated"
    case itemCommitted = "job-item-committed"
}

public typealias JobWriteObserver = @Sendable (JobWriteStep) -> Void

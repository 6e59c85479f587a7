/// Where pre-generation jobs and their items live: `EmbeddedJobCatalog` (SQLite in the data directory, one
/// machine) or, on a cluster, the PostgreSQL catalog every node shares, so that a job submitted through any node
/// is run once by the cluster's one runner and its progress answered by every node. The types are
/// `JobStore`'s (the embedded store came first); every method has the semantics documented there.
///
/// Invariants both keep: a job and all its items are created together or not at all; an item's result and
/// its job's time are written together; a done or cancelled job keeps that status.
public protocol JobCatalog: Sendable {
    func create(id: String, book: StorageIdentifier, manifest: JobManifest, items: [JobManifest.Item], now: Double) async throws
    func job(_ id: String) async throws -> JobStore.Job?
    /// Every job, newest first.
    func jobs(limit: Int) async throws -> [JobStore.Job]
    func counts(_ id: String) async throws -> JobStore.Counts
    func failures(_ id: String, limit: Int) async throws -> [JobStore.Failure]
    /// The job's voices in the order its items run.
    func voiceOrder(_ id: String) async throws -> [String]
    /// The first unfinished item of a job.
    func nextPending(_ id: String) async throws -> (seq: Int, chapterIndex: Int, voiceId: String)?
    func finish(
        _ id: String, seq: Int, state: JobStore.ItemState, code: String?, characters: Int, seconds: Double, contentHash: String?,
        now: Double) async throws
    /// Changes a job's status unless it is done or cancelled; the status it has after.
    @discardableResult
    func setStatus(_ id: String, _ status: JobStore.Status, resumeAt: Double?, now: Double) async throws -> JobStore.Status?
    /// Jobs with work to do now, oldest first.
    func runnable(now: Double) async throws -> [String]
    /// The earliest time a paused job resumes, if any.
    func nextResume() async throws -> Double?
}

extension JobCatalog {
    public func jobs() async throws -> [JobStore.Job] { try await jobs(limit: 200) }
    public func failures(_ id: String) async throws -> [JobStore.Failure] { try await failures(id, limit: 100) }

    public func finish(
        _ id: String, seq: Int, state: JobStore.ItemState, code: String? = nil, characters: Int = 0, seconds: Double = 0,
        contentHash: String? = nil, now: Double
    ) async throws {
        try await finish(
            id, seq: seq, state: state, code: code, characters: characters, seconds: seconds, contentHash: contentHash, now: now)
    }

    @discardableResult
    public func setStatus(_ id: String, _ status: JobStore.Status, now: Double) async throws -> JobStore.Status? {
        try await setStatus(id, status, resumeAt: nil, now: now)
    }

    /// A job's progress as the API answers it.
    public func progress(_ job: JobStore.Job) async throws -> JobProgress {
        JobProgress(
            job: job, counts: try await counts(job.id), failures: try await failures(job.id), voiceOrder: try await voiceOrder(job.id))
    }
}

/// The embedded `JobCatalog`: the data directory's `JobStore`, each call off the cooperative pool.
public struct EmbeddedJobCatalog: JobCatalog {
    public let store: JobStore

    public init(store: JobStore) { self.store = store }

    public func create(id: String, book: StorageIdentifier, manifest: JobManifest, items: [JobManifest.Item], now: Double) async throws {
        try await BlockingIO.run { try store.create(id: id, book: book, manifest: manifest, items: items, now: now) }
    }
    public func job(_ id: String) async throws -> JobStore.Job? { try await BlockingIO.run { try store.job(id) } }
    public func jobs(limit: Int) async throws -> [JobStore.Job] { try await BlockingIO.run { try store.jobs(limit: limit) } }
    public func counts(_ id: String) async throws -> JobStore.Counts { try await BlockingIO.run { try store.counts(id) } }
    public func failures(_ id: String, limit: Int) async throws -> [JobStore.Failure] {
        try await BlockingIO.run { try store.failures(id, limit: limit) }
    }
    public func voiceOrder(_ id: String) async throws -> [String] { try await BlockingIO.run { try store.voiceOrder(id) } }
    public func nextPending(_ id: String) async throws -> (seq: Int, chapterIndex: Int, voiceId: String)? {
        try await BlockingIO.run { try store.nextPending(id) }
    }
    public func finish(
        _ id: String, seq: Int, state: JobStore.ItemState, code: String?, characters: Int, seconds: Double, contentHash: String?,
        now: Double
    ) async throws {
        try await BlockingIO.run {
            try store.finish(
                id, seq: seq, state: state, code: code, characters: characters, seconds: seconds, contentHash: contentHash, now: now)
        }
    }
    public func setStatus(_ id: String, _ status: JobStore.Status, resumeAt: Double?, now: Double) async throws -> JobStore.Status? {
        try await BlockingIO.run { try store.setStatus(id, status, resumeAt: resumeAt, now: now) }
    }
    public func runnable(now: Double) async throws -> [String] { try await BlockingIO.run { try store.runnable(now: now) } }
    public func nextResume() async throws -> Double? { try await BlockingIO.run { try store.nextResume() } }
}

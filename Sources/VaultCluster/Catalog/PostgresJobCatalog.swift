import Foundation
import Logging
public import PostgresNIO
public import VaultCore

/// Pre-generation jobs in the cluster's catalog (migration 5): the embedded `JobStore`'s tables and semantics,
/// so a job submitted through any node is listed, cancelled and answered by every node, and run by the node
/// holding the runner's lease (`PostgresLease`). A job and its items are one transaction; so are an item's
/// result and its job's time.
public struct PostgresJobCatalog: JobCatalog {
    let client: PostgresClient
    let logger: Logger
    /// Told inside an item's transaction, after its writes and before its commit, and after the commit (the
    /// crash drill's hook; nil in a server).
    let observer: JobWriteObserver?

    public init(client: PostgresClient, logger: Logger, observer: JobWriteObserver? = nil) {
        self.client = client
        self.logger = logger
        self.observer = observer
    }

    /// Rows per `INSERT` when a job's items are stored: well inside PostgreSQL's bound of parameters per statement.
    static let itemsPerInsert = 1_000

    public func create(id: String, book: StorageIdentifier, manifest: JobManifest, items: [JobManifest.Item], now: Double) async throws {
        let json = String(decoding: try JSONEncoder().encode(manifest), as: UTF8.self)
        let logger = logger
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                "INSERT INTO jobs VALUES (\(id), \(book.value), 'queued', \(now), \(now), NULL, \(json))", logger: logger)
            let numbered = Array(items.enumerated())
            for start in stride(from: 0, to: numbered.count, by: Self.itemsPerInsert) {
                let batch = numbered[start..<min(start + Self.itemsPerInsert, numbered.count)]
                let rows = try await connection.query(
                    """
                    INSERT INTO job_items (job_id, seq, chapter_index, chapter_id, voice_id, state)
                    SELECT \(id), seq, chapter_index, chapter_id, voice_id, 'pending'
                    FROM unnest(\(batch.map { $0.offset }), \(batch.map { $0.element.chapterIndex }),
                                \(batch.map { $0.element.chapterId.value }), \(batch.map { $0.element.voiceId }))
                         AS item (seq, chapter_index, chapter_id, voice_id)
                    """, logger: logger)
                _ = try await rows.collect()
            }
        }
    }

    static let jobColumns = "id, book_id, status, created_at, updated_at, resume_at, manifest"

    static func job(_ row: (String, String, String, Double, Double, Double?, String)) -> JobStore.Job? {
        guard let status = JobStore.Status(rawValue: row.2),
            let manifest = try? JSONDecoder().decode(JobManifest.self, from: Data(row.6.utf8))
        else { return nil }
        return JobStore.Job(
            id: row.0, bookId: row.1, status: status, createdAt: row.3, updatedAt: row.4, resumeAt: row.5, manifest: manifest)
    }

    public func job(_ id: String) async throws -> JobStore.Job? {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.jobColumns) FROM jobs WHERE id = \(id)", logger: logger)
        for try await row in rows.decode((String, String, String, Double, Double, Double?, String).self) { return Self.job(row) }
        return nil
    }

    public func jobs(limit: Int) async throws -> [JobStore.Job] {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.jobColumns) FROM jobs ORDER BY created_at DESC, id LIMIT \(limit)", logger: logger)
        var jobs: [JobStore.Job] = []
        for try await row in rows.decode((String, String, String, Double, Double, Double?, String).self) {
            if let job = Self.job(row) { jobs.append(job) }
        }
        return jobs
    }

    public func counts(_ id: String) async throws -> JobStore.Counts {
        let rows = try await client.query(
            """
            SELECT state, count(*)::int, coalesce(sum(characters), 0)::int, coalesce(sum(seconds), 0)::double precision
            FROM job_items WHERE job_id = \(id) GROUP BY state
            """, logger: logger)
        var counts = JobStore.Counts()
        for try await (state, count, characters, seconds) in rows.decode((String, Int, Int, Double).self) {
            counts.total += count
            counts.charactersSpent += characters
            switch JobStore.ItemState(rawValue: state) {
            case .pending: counts.pending = count
            case .generated:
                counts.generated = count
                counts.generatedSeconds = seconds
            case .cached: counts.cached = count
            case .failed: counts.failed = count
            case nil: break
            }
        }
        return counts
    }

    public func failures(_ id: String, limit: Int) async throws -> [JobStore.Failure] {
        let rows = try await client.query(
            "SELECT chapter_id, voice_id, code FROM job_items WHERE job_id = \(id) AND state = 'failed' ORDER BY seq LIMIT \(limit)",
            logger: logger)
        var failures: [JobStore.Failure] = []
        for try await (chapter, voice, code) in rows.decode((String, String, String?).self) {
            failures.append(JobStore.Failure(chapterId: chapter, voiceId: voice, code: code ?? "internal_error"))
        }
        return failures
    }

    public func voiceOrder(_ id: String) async throws -> [String] {
        let rows = try await client.query(
            "SELECT voice_id FROM job_items WHERE job_id = \(id) GROUP BY voice_id ORDER BY min(seq)", logger: logger)
        var voices: [String] = []
        for try await voice in rows.decode(String.self) { voices.append(voice) }
        return voices
    }

    public func nextPending(_ id: String) async throws -> (seq: Int, chapterIndex: Int, voiceId: String)? {
        let rows = try await client.query(
            """
            SELECT seq, chapter_index, voice_id FROM job_items WHERE job_id = \(id) AND state = 'pending' ORDER BY seq LIMIT 1
            """, logger: logger)
        for try await (seq, chapter, voice) in rows.decode((Int, Int, String).self) { return (seq, chapter, voice) }
        return nil
    }

    public func finish(
        _ id: String, seq: Int, state: JobStore.ItemState, code: String?, characters: Int, seconds: Double, contentHash: String?,
        now: Double
    ) async throws {
        let logger = logger
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                UPDATE job_items SET state = \(state.rawValue), code = \(code), characters = \(characters), seconds = \(seconds),
                    content_hash = \(contentHash)
                WHERE job_id = \(id) AND seq = \(seq)
                """, logger: logger)
            try await connection.query("UPDATE jobs SET updated_at = \(now) WHERE id = \(id)", logger: logger)
            observer?(.itemUpdated)
        }
        observer?(.itemCommitted)
    }

    public func setStatus(_ id: String, _ status: JobStore.Status, resumeAt: Double?, now: Double) async throws -> JobStore.Status? {
        try await client.query(
            """
            UPDATE jobs SET status = \(status.rawValue), resume_at = \(resumeAt), updated_at = \(now)
            WHERE id = \(id) AND status NOT IN ('done', 'cancelled')
            """, logger: logger)
        let rows = try await client.query("SELECT status FROM jobs WHERE id = \(id)", logger: logger)
        for try await text in rows.decode(String.self) { return JobStore.Status(rawValue: text) }
        return nil
    }

    public func runnable(now: Double) async throws -> [String] {
        let rows = try await client.query(
            """
            SELECT id FROM jobs WHERE status IN ('queued', 'running') OR (status = 'paused' AND resume_at <= \(now))
            ORDER BY created_at, id
            """, logger: logger)
        var ids: [String] = []
        for try await id in rows.decode(String.self) { ids.append(id) }
        return ids
    }

    public func nextResume() async throws -> Double? {
        let rows = try await client.query("SELECT min(resume_at) FROM jobs WHERE status = 'paused'", logger: logger)
        for try await resume in rows.decode(Double?.self) { return resume }
        return nil
    }
}

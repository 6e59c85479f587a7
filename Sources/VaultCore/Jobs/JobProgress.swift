/// What `GET /admin/jobs/{id}` shows for a job: counts, characters spent, failures and an estimate of the time
/// left, computed from the item counts alone (pure).
public struct JobProgress: Sendable, Equatable, Codable {
    public let id: String
    public let bookId: String
    public let status: String
    public let total: Int
    /// Finished items: generated, already cached, or failed.
    public let done: Int
    public let generated: Int
    public let cached: Int
    public let failed: Int
    public let pending: Int
    public let charactersSpent: Int
    /// Pending items times the mean time of a generated one; 0 when nothing is pending; nil before the first
    /// generation, or for a cancelled job.
    public let estimatedSecondsLeft: Double?
    public let failures: [JobStore.Failure]
    public let voices: [String]
    public let createdAt: String
    public let updatedAt: String
    public let resumeAt: String?

    public init(job: JobStore.Job, counts: JobStore.Counts, failures: [JobStore.Failure], voiceOrder: [String]) {
        id = job.id
        bookId = job.bookId
        status = job.status.rawValue
        total = counts.total
        generated = counts.generated
        cached = counts.cached
        failed = counts.failed
        pending = counts.pending
        done = counts.generated + counts.cached + counts.failed
        charactersSpent = counts.charactersSpent
        estimatedSecondsLeft = Self.estimate(
            pending: counts.pending, generated: counts.generated, seconds: counts.generatedSeconds,
            active: job.status == .queued || job.status == .running || job.status == .paused)
        self.failures = failures
        voices = voiceOrder
        createdAt = ISO8601Timestamp.format(secondsSince1970: job.createdAt)
        updatedAt = ISO8601Timestamp.format(secondsSince1970: job.updatedAt)
        resumeAt = job.resumeAt.map { ISO8601Timestamp.format(secondsSince1970: $0) }
    }

    /// Cached items take no time worth counting, so the mean is over generated ones; every pending item is
    /// assumed to need generating (the upper bound a planner wants).
    public static func estimate(pending: Int, generated: Int, seconds: Double, active: Bool) -> Double? {
        if pending == 0 { return 0 }
        guard active, generated > 0 else { return nil }
        return (Double(pending) * seconds / Double(generated) * 10).rounded() / 10
    }
}

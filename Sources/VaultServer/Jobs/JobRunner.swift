import Foundation
public import Logging
public import ServiceLifecycle
public import VaultCore
import Metrics
import Synchronization

/// Runs pre-generation jobs (`JobCatalog`) one item at a time, as a service of `serve`.
///
/// On a cluster, one node runs the cluster's jobs: the one holding the runner's lease (`ClusterLease`); the
/// others try for it every `clusterLookInterval`, and take it over when its holder dies. The holder looks for
/// jobs submitted through other nodes at the same interval (they cannot wake it), and stops before the next
/// item once it has lost the lease.
///
/// - Interactive first: an item starts only when the upstream has room for background work
///   (`UpstreamLoad.hasRoomForBackground`: nobody queued and a slot left over), so a listener never waits behind
///   a job for more than the one item in flight.
/// - Through `VoiceService`, like any request: an item already cached costs nothing, one in flight is joined,
///   and the daily budget applies. When it is spent the job pauses until the next UTC day and resumes itself.
/// - Each finished item is written before the next starts, so a restart resumes at the first unfinished one; at
///   graceful shutdown the item in flight is finished (its audio stored) rather than abandoned, so nothing is
///   paid for twice.
public final class JobRunner: Service, Sendable {
    public let jobs: any JobCatalog
    /// Nil on one machine: its runner always runs.
    let lease: ClusterLeaseTaker?
    let voice: VoiceService
    let load: (any UpstreamLoad)?
    let maximumTextCharacters: Int
    let logger: Logger
    private let wakeup = WakeSignal()
    private let stopping = Atomic<Bool>(false)
    /// `voicevault_job_runner_active`: 1 while this node runs jobs (on a cluster, while it holds the lease).
    private let active = Gauge(label: "voicevault_job_runner_active")

    /// How often a cluster node tries for the runner's lease, and how often its holder looks for new jobs.
    static let clusterLookInterval = 2.0

    public init(
        jobs: any JobCatalog, lease: ClusterLeaseTaker? = nil, voice: VoiceService, load: (any UpstreamLoad)?,
        maximumTextCharacters: Int, logger: Logger
    ) {
        self.jobs = jobs
        self.lease = lease
        self.voice = voice
        self.load = load
        self.maximumTextCharacters = maximumTextCharacters
        self.logger = logger
    }

    /// A job was created or cancelled: look again now.
    public func wake() { wakeup.signal() }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            if let lease {
                await leadWhileHeld(lease)
            } else {
                active.record(1)
                defer { active.record(0) }
                try await loop(holding: nil)
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.wake()
        }
    }

    /// Graceful shutdown asked for, or the task cancelled (a hard shutdown): either way no new item starts, and
    /// the loop ends instead of spinning on waits that return at once.
    private var isStopping: Bool { stopping.load(ordering: .relaxed) || Task.isCancelled }

    /// A cluster node's runner: takes the lease when it is free, runs the jobs while it holds it, and gives it
    /// up at shutdown. A catalog that fails is waited out, never the end of the node.
    func leadWhileHeld(_ take: ClusterLeaseTaker) async {
        while !isStopping {
            let held: (any ClusterLease)?
            do { held = try await take() } catch {
                logger.warning("job runner: cannot reach the catalog for the runner's lease", metadata: ["reason": "\(error)"])
                held = nil
            }
            guard let held else {
                await waitForWake(upTo: Self.clusterLookInterval)
                continue
            }
            logger.notice("job runner: this node runs the cluster's jobs")
            active.record(1)
            do { try await loop(holding: held) } catch {
                logger.warning("job runner: stopped by the catalog", metadata: ["reason": "\(error)"])
                await waitForWake(upTo: Self.clusterLookInterval)
            }
            active.record(0)
            await held.release()
        }
    }

    /// Runs jobs while `lease` (if any) is held.
    func loop(holding lease: (any ClusterLease)?) async throws {
        while !isStopping, lease?.isHeld ?? true {
            let now = Date().timeIntervalSince1970
            guard let id = try await jobs.runnable(now: now).first else {
                let resume = try await jobs.nextResume()
                let longest = lease == nil ? 3600 : Self.clusterLookInterval
                await waitForWake(upTo: min(longest, resume.map { max(0.05, $0 - now) } ?? longest))
                continue
            }
            try await step(id)
        }
    }

    /// Waits for a wake-up, at most `seconds`.
    private func waitForWake(upTo seconds: Double) async {
        await wakeup.wait(upTo: .milliseconds(Int64(min(seconds, 3600) * 1000)))
    }

    /// One item of job `id`, or the job's end.
    func step(_ id: String) async throws {
        let jobs = jobs
        let now = Date().timeIntervalSince1970
        guard let job = try await jobs.job(id) else { return }
        guard let item = try await jobs.nextPending(id) else {
            try await jobs.setStatus(id, .done, now: now)
            logger.notice("job done", metadata: ["job": "\(id)", "book": "\(job.bookId)"])
            return
        }
        if job.status != .running { try await jobs.setStatus(id, .running, now: now) }
        // Interactive first: wait until the upstream has room left over for a listener.
        while let load, !(await load.hasRoomForBackground()) {
            if isStopping { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        // Cancelled while waiting?
        guard try await jobs.job(id)?.status == .running else { return }
        let chapter = job.manifest.chapters[item.chapterIndex]
        let spec: SpeechSpec
        let who: VoiceRequest.Who
        do {
            let one = JobManifest(
                bookId: job.manifest.bookId, chapters: [chapter], voices: [item.voiceId], model: job.manifest.model,
                format: job.manifest.format, voiceSettings: job.manifest.voiceSettings, speakingRate: job.manifest.speakingRate)
            let built = try one.items(maximumTextCharacters: maximumTextCharacters)
            guard let first = built.items.first else { return }
            spec = first.spec
            // A manifest lists a book's chapters in order: a chapter without its own index takes its place there.
            who = VoiceRequest.Who(
                bookId: built.book, chapterId: first.chapterId.value, clientName: "job \(id)",
                chapterIndex: chapter.chapterIndex ?? item.chapterIndex, chapterTitle: chapter.title.flatMap { $0.isEmpty ? nil : $0 })
        } catch {
            try await jobs.finish(id, seq: item.seq, state: .failed, code: error.code, now: now)
            return
        }
        let started = ContinuousClock.now
        do {
            let outcome = try await voice.voice(VoiceRequest(spec: spec, who: who))
            let led = outcome.timings != nil
            let seconds = (ContinuousClock.now - started).seconds
            let characters = led ? (outcome.record.characterCost ?? spec.characterCount) : 0
            try await jobs.finish(
                id, seq: item.seq, state: led ? .generated : .cached, characters: characters, seconds: seconds,
                contentHash: outcome.hash.hex, now: Date().timeIntervalSince1970)
        } catch VoiceError.budgetExhausted {
            let resume = Self.nextUTCDay(after: Date().timeIntervalSince1970)
            try await jobs.setStatus(id, .paused, resumeAt: resume, now: Date().timeIntervalSince1970)
            logger.notice(
                "job paused: the daily character budget is spent",
                metadata: [
                    "job": "\(id)", "resumeAt": "\(ISO8601Timestamp.format(secondsSince1970: resume))",
                ])
        } catch {
            let code = VoiceErrorMapping.apiError(for: error)?.code ?? "internal_error"
            try await jobs.finish(id, seq: item.seq, state: .failed, code: code, now: Date().timeIntervalSince1970)
            logger.warning(
                "job item failed",
                metadata: ["job": "\(id)", "chapter": "\(chapter.chapterId)", "voice": "\(item.voiceId)", "code": "\(code)"])
        }
    }

    /// Midnight UTC after `time`: when a spent daily budget is whole again.
    static func nextUTCDay(after time: Double) -> Double {
        (time / 86_400).rounded(.down) * 86_400 + 86_400
    }
}

import Foundation
import Hummingbird
import VaultCore

/// `/admin/jobs`: pre-generation jobs (Docs/OPERATIONS.md, "Pre-generation jobs"), in the admin group.
///
///     POST   /admin/jobs        a manifest -> 201 the job's progress (its id inside)
///     GET    /admin/jobs        every job's progress, newest first
///     GET    /admin/jobs/{id}   one job's progress
///     DELETE /admin/jobs/{id}   cancels: no new item starts (the one in flight finishes)
struct JobRoutes {
    let runner: JobRunner
    let voice: VoiceService
    let usage: UsageRecorder
    let configuration: ServerConfiguration
    /// A book's manifest holds its whole text: more than a voice request, still bounded.
    static let maximumManifestBytes = 64 << 20

    func register(on admins: RouterGroup<VaultRequestContext>, table: RouteTable) {
        admins.on("/admin/jobs", method: .post, recordingIn: table) { request, context in try await create(request, context) }
        admins.on("/admin/jobs", method: .get, recordingIn: table) { _, _ in
            let jobs = runner.jobs
            var all: [JobProgress] = []
            for job in try await jobs.jobs() { all.append(try await jobs.progress(job)) }
            return JSONResponse.make(encoding: ["jobs": all])
        }
        admins.on("/admin/jobs/:id", method: .get, recordingIn: table) { _, context in
            JSONResponse.make(encoding: try await progress(context.parameters.get("id") ?? ""))
        }
        admins.on("/admin/jobs/:id", method: .delete, recordingIn: table) { _, context in
            let id = context.parameters.get("id") ?? ""
            let jobs = runner.jobs
            guard try await jobs.job(id) != nil else { throw Self.notFound(id) }
            try await jobs.setStatus(id, .cancelled, now: Date().timeIntervalSince1970)
            runner.wake()
            context.logger.notice("job cancelled", metadata: ["job": "\(id)"])
            return JSONResponse.make(encoding: try await progress(id))
        }
    }

    static func notFound(_ id: String) -> APIError {
        APIError(.notFound, code: "job_not_found", message: "no job '\(id.prefix(80))'")
    }

    func progress(_ id: String) async throws -> JobProgress {
        let jobs = runner.jobs
        guard let job = try await jobs.job(id) else { throw Self.notFound(id) }
        return try await jobs.progress(job)
    }

    func create(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maximumManifestBytes)
        let manifest: JobManifest
        do { manifest = try JSONDecoder().decode(JobManifest.self, from: Data(buffer: body)) } catch {
            throw APIError(
                .badRequest, code: "invalid_manifest",
                message:
                    "the body must be a job manifest: {bookId, chapters: [{chapterId, text}], voices: [...], model?, format?, voiceSettings?|speakingRate?}"
            )
        }
        // The most requested voices first, from the ledger's history.
        let requests = try await usage.history { try await LedgerReport.requestsByVoice(in: $0) } ?? [:]
        let order = JobManifest.voiceOrder(manifest.voices, requests: requests)
        let maximum = configuration.maximumTextCharacters
        let planned: (book: StorageIdentifier, items: [JobManifest.Item])
        do {
            planned = try await BlockingIO.run { try manifest.items(voiceOrder: order, maximumTextCharacters: maximum) }
        } catch let invalid as JobManifest.Invalid {
            throw APIError(.badRequest, code: invalid.code, message: invalid.message)
        }
        let id = "job-" + UUID().uuidString.lowercased()
        let jobs = runner.jobs
        try await jobs.create(id: id, book: planned.book, manifest: manifest, items: planned.items, now: Date().timeIntervalSince1970)
        runner.wake()
        context.logger.notice(
            "job created",
            metadata: [
                "job": "\(id)", "book": "\(planned.book.value)", "items": "\(planned.items.count)",
                "voices": "\(order)",
            ])
        var response = JSONResponse.make(encoding: try await progress(id))
        response.status = .created
        return response
    }
}

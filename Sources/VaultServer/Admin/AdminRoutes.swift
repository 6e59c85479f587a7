import Foundation
import Hummingbird
import Logging
import VaultCore

/// The operator's API under `/admin`, in the admin group (`Authorization: Bearer <VOICEVAULT_ADMIN_TOKEN>`):
/// precise deletes, listings, purges by filter and the stats behind the dashboard.
///
/// Every store call blocks on disk or LMDB writes, so it runs through `BlockingIO`; every action that changes
/// something is logged at notice level with what it removed.
struct AdminRoutes {
    let voice: VoiceService
    let usage: UsageRecorder
    let configuration: ServerConfiguration

    var store: AssetStore { voice.store }

    /// `PUT`/`DELETE /admin/books/{bookId}/pin`: audio a pinned book references is never evicted. Idempotent;
    /// the answer says whether this call changed anything.
    func pin(_ book: StorageIdentifier, _ context: VaultRequestContext, pinned: Bool) async throws -> Response {
        let index = store.index
        let changed: Bool
        if let cluster = voice.cluster {
            // The cluster's quota reads the catalog's pins.
            changed = pinned ? try await cluster.pin(book, at: Date().timeIntervalSince1970) : try await cluster.unpin(book)
        } else {
            changed = try await BlockingIO.run {
                pinned ? try index.pin(book, at: Date().timeIntervalSince1970) : try index.unpin(book)
            }
        }
        context.logger.notice(pinned ? "book pinned" : "book unpinned", metadata: ["book": "\(book.value)", "changed": "\(changed)"])
        return JSONResponse.make(encoding: AdminJSON.PinChange(bookId: book.value, pinned: pinned, changed: changed))
    }

    /// `POST /admin/gc[?dryRun=true][&maxBytes=N]`: the disk quota now, against `maxBytes` or the configured
    /// `VOICEVAULT_MAX_STORE_BYTES`.
    func collect(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let dryRun = try AdminQuery.flag(query.get("dryRun"), name: "dryRun")
        let limit =
            try query.get("maxBytes").map { raw in
                guard let value = Int(raw), value >= 0 else {
                    throw APIError(.badRequest, code: "invalid_max_bytes", message: "maxBytes must be a whole number of bytes >= 0")
                }
                return value
            } ?? configuration.maximumStoreBytes
        guard let limit else {
            throw APIError(.badRequest, code: "no_limit", message: "no disk quota is set: pass maxBytes or set VOICEVAULT_MAX_STORE_BYTES")
        }
        let eviction = voice.eviction
        let result =
            if let quota = voice.clusterQuota {
                try await quota.run(limit: limit, dryRun: dryRun)
            } else {
                try await BlockingIO.run { try eviction.run(limit: limit, dryRun: dryRun) }
            }
        context.logger.notice(
            "gc",
            metadata: [
                "limit": "\(limit)", "dryRun": "\(dryRun)", "evicted": "\(result.evicted.count)",
                "freed": "\(result.bytesFreed)",
            ])
        return JSONResponse.make(encoding: result)
    }

    func register(on admins: RouterGroup<VaultRequestContext>, table: RouteTable) {
        admins.on("/admin/audio/:hash", method: .delete, recordingIn: table) { _, context in
            let hash = try AdminQuery.hash(context.parameters.get("hash") ?? "")
            return try await removal(
                of: "audio", hash: hash, book: nil, context: context,
                missing: "no audio with contentHash \(hash.hex)"
            ) { try await voice.removeAsset(hash) }
        }
        admins.on("/admin/books/:book", method: .delete, recordingIn: table) { _, context in
            let book = try AdminQuery.book(context.parameters.get("book") ?? "")
            return try await removal(
                of: "book", hash: nil, book: book, context: context,
                missing: "book \(book.value) has no audio"
            ) { try await voice.removeBook(book) }
        }
        admins.on("/admin/books/:book/audio/:hash", method: .delete, recordingIn: table) { _, context in
            let book = try AdminQuery.book(context.parameters.get("book") ?? "")
            let hash = try AdminQuery.hash(context.parameters.get("hash") ?? "")
            return try await removal(
                of: "book reference", hash: hash, book: book, context: context,
                missing: "book \(book.value) has no audio \(hash.hex)"
            ) { try await voice.removeReference(hash, from: book) }
        }
        admins.on("/admin/assets", method: .get, recordingIn: table) { request, _ in try await assets(request) }
        admins.on("/admin/assets/:hash", method: .get, recordingIn: table) { _, context in
            let hash = try AdminQuery.hash(context.parameters.get("hash") ?? "")
            // A cluster node answers from the catalog: its own store is a cache of some of the cluster's audio.
            let found =
                if let cluster = voice.cluster { try await cluster.catalogRecord(for: hash) } else { try store.record(for: hash) }
            guard let record = found else { throw APIError.notFound("no audio with contentHash \(hash.hex)") }
            let hits = try await usage.history { try await LedgerReport.hits(of: hash.hex, in: $0) }
            return JSONResponse.make(encoding: AdminJSON.Asset(record, baseURL: configuration.publicBaseURL, hits: hits))
        }
        admins.on("/admin/books", method: .get, recordingIn: table) { request, _ in
            let query = request.uri.queryParameters
            let limit = try AdminQuery.limit(query.get("limit"), fallback: 50, maximum: 500)
            let after = try query.get("cursor").map { try AdminQuery.book($0).value }
            let index = store.index
            let books =
                if let cluster = voice.cluster { try await cluster.bookSummaries(after: after, limit: limit) } else {
                    try await BlockingIO.run { try index.bookSummaries(after: after, limit: limit) }
                }
            return JSONResponse.make(
                encoding: AdminJSON.BookList(books: books, nextCursor: books.count == limit ? books.last?.bookId : nil))
        }
        admins.on("/admin/purge", method: .post, recordingIn: table) { request, context in try await purge(request, context) }
        admins.on("/admin/books/:book/pin", method: .put, recordingIn: table) { _, context in
            try await pin(try AdminQuery.book(context.parameters.get("book") ?? ""), context, pinned: true)
        }
        admins.on("/admin/books/:book/pin", method: .delete, recordingIn: table) { _, context in
            try await pin(try AdminQuery.book(context.parameters.get("book") ?? ""), context, pinned: false)
        }
        admins.on("/admin/pins", method: .get, recordingIn: table) { _, _ in
            let index = store.index
            let pins =
                if let cluster = voice.cluster { try await cluster.pinnedBooks() } else {
                    try await BlockingIO.run { try index.pinnedBooks() }
                }
            return JSONResponse.make(
                encoding: AdminJSON.Pins(
                    pins: pins.map { .init(bookId: $0.bookId, pinnedAt: ISO8601Timestamp.format(secondsSince1970: $0.pinnedAt)) }))
        }
        admins.on("/admin/gc", method: .post, recordingIn: table) { request, context in try await collect(request, context) }
        admins.on("/admin/stats", method: .get, recordingIn: table) { _, _ in
            JSONResponse.make(encoding: try await stats())
        }
    }

    /// Runs one delete (the voice service reports it to the ledger and metrics); answers what it removed
    /// (logged), or 404 when it found nothing.
    private func removal(
        of what: String, hash: SHA256Digest?, book: StorageIdentifier?, context: VaultRequestContext, missing: String,
        _ delete: () async throws -> Removal?
    ) async throws -> Response {
        guard let removal = try await delete() else { throw APIError.notFound(missing) }
        var metadata: Logger.Metadata = [:]
        if let hash { metadata["hash"] = "\(hash.hex)" }
        if let book { metadata["book"] = "\(book.value)" }
        logAction("delete \(what)", removal, context, metadata)
        return JSONResponse.make(encoding: AdminJSON.Removed(removal, contentHash: hash?.hex, bookId: book?.value))
    }

    func assets(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let filter = try AdminQuery.filter(
            bookId: query.get("bookId"), voiceId: query.get("voiceId"), model: query.get("model"),
            createdBefore: query.get("createdBefore"), createdAfter: query.get("createdAfter"))
        let limit = try AdminQuery.limit(query.get("limit"), fallback: 100, maximum: 1000)
        let cursor = try query.get("cursor").map(AdminQuery.hash)
        let index = store.index
        let page =
            if let cluster = voice.cluster {
                try await Self.catalogPage(cluster, matching: filter, after: cursor, limit: limit)
            } else {
                try await BlockingIO.run { try index.page(matching: filter, after: cursor, limit: limit) }
            }
        return JSONResponse.make(
            encoding: AdminJSON.AssetList(
                assets: page.records.map { AdminJSON.Asset($0, baseURL: configuration.publicBaseURL) },
                nextCursor: page.nextCursor?.hex))
    }

    /// A page of the cluster's records (not this node's cache) matching `filter`, in hash order.
    static func catalogPage(_ cluster: any ClusterStore, matching filter: AssetFilter, after cursor: SHA256Digest?, limit: Int)
        async throws -> AssetPage
    {
        let hashes = try await cluster.hashes(matching: filter, after: cursor, limit: limit)
        var records: [AssetRecord] = []
        for hash in hashes {
            // One removed since the page was read is left out.
            if let record = try await cluster.catalogRecord(for: hash) { records.append(record) }
        }
        return AssetPage(records: records, nextCursor: hashes.count == limit ? hashes.last : nil)
    }

    struct PurgeBody: Decodable {
        let voiceId: String?
        let model: String?
        let bookId: String?
        let createdBefore: String?
        let createdAfter: String?
        let dryRun: Bool?
    }

    func purge(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        let data = try await request.body.collect(upTo: 16 * 1024)
        let body: PurgeBody
        do { body = try JSONDecoder().decode(PurgeBody.self, from: Data(buffer: data)) } catch {
            throw APIError(
                .badRequest, code: "invalid_json",
                message: "the body must be a JSON object: {voiceId?, model?, bookId?, createdBefore?, createdAfter?, dryRun}")
        }
        let filter = try AdminQuery.filter(
            bookId: body.bookId, voiceId: body.voiceId, model: body.model,
            createdBefore: body.createdBefore, createdAfter: body.createdAfter)
        guard !filter.isEmpty else {
            // Everything at once is `voicevault` with the data directory removed, not a request with a typo.
            throw APIError(
                .badRequest, code: "empty_filter",
                message: "a purge needs at least one of voiceId, model, bookId, createdBefore, createdAfter")
        }
        guard let dryRun = body.dryRun else {
            throw APIError(
                .badRequest, code: "missing_dry_run", message: "say dryRun: true to see what would go, or dryRun: false to delete it")
        }
        let result = try await voice.purge(filter, dryRun: dryRun)
        if !dryRun { logAction("purge", result.removal, context, ["matched": "\(result.matched)"]) }
        return JSONResponse.make(
            encoding: AdminJSON.Purge(
                dryRun: dryRun, matched: result.matched, sample: result.sample.map(\.hex), books: result.removal.books,
                links: result.removal.links, assetsRemoved: result.removal.assetsRemoved, bytesFreed: result.removal.bytesFreed))
    }

    func stats() async throws -> AdminJSON.Stats {
        let store = store
        let budget = voice.budget
        let facts = try await AdminStats.storeFacts(store, budget: budget)
        let now = Date().timeIntervalSince1970
        let history = try await usage.history { try await LedgerReport.read($0, now: now) }
        var inputs = AdminStats.Inputs(
            totals: facts.totals, spentToday: facts.spent, dailyLimit: budget.dailyLimit,
            report: history ?? usage.tally.report(),
            flights: await voice.flightSnapshot(), pricePerThousandCharacters: configuration.pricePerThousandCharacters,
            countingSince: history == nil ? usage.tally.startedAt : nil)
        if let cluster = voice.cluster { inputs.cluster = try? await cluster.totals() }
        return AdminStats.make(inputs)
    }

    private func logAction(_ action: String, _ removal: Removal, _ context: VaultRequestContext, _ extra: Logger.Metadata) {
        var metadata: Logger.Metadata = [
            "action": "\(action)", "books": "\(removal.books.count)", "links": "\(removal.links)",
            "assetsRemoved": "\(removal.assetsRemoved)", "bytesFreed": "\(removal.bytesFreed)",
        ]
        metadata.merge(extra) { $1 }
        context.logger.notice("admin action", metadata: metadata)
    }
}

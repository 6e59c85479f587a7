public import Hummingbird
public import Logging
public import VaultCore
public import Prometheus
import Metrics
import NIOPosix

/// Builds the Hummingbird application: routes grouped by surface, behind logging and the JSON error shape.
public enum VaultApplication {
    /// - Parameter storage: the Supabase Storage surface's store and URL-signing secret; nil leaves it out.
    public static func makeRouter(
        voice: VoiceService, configuration: ServerConfiguration, storage: StorageSurface? = nil,
        usage: UsageRecorder = UsageRecorder(), metrics: PrometheusCollectorRegistry? = nil,
        catalog: (any VoiceCatalog)? = nil
    ) -> Router<VaultRequestContext> {
        makeParts(voice: voice, configuration: configuration, storage: storage, usage: usage, metrics: metrics, catalog: catalog).router
    }

    /// The router, and what the download fast path shares with it (the same routes, cache and metrics).
    struct Parts {
        let router: Router<VaultRequestContext>
        let downloads: DownloadRoutes
        let voiceHits: VoiceHitShortcut
        /// What every answer carries and how every request is recorded, whichever transport answers it.
        let envelope: AnswerEnvelope
        let recorder: RequestRecorder
    }

    static let serverName = "VoiceVault"

    static func makeParts(
        voice: VoiceService, configuration: ServerConfiguration, storage: StorageSurface?,
        usage: UsageRecorder, metrics: PrometheusCollectorRegistry?, catalog: (any VoiceCatalog)?, jobs: JobRunner? = nil,
        positions: (any ListeningPositions)? = nil
    ) -> Parts {
        let router = Router(context: VaultRequestContext.self)
        let requestMetrics = metrics.map { _ in HTTPRequestMetrics() }
        let routes = RouteTable()
        let envelope = AnswerEnvelope(crossOrigin: configuration.crossOrigin, serverName: serverName)
        let recorder = RequestRecorder(metrics: requestMetrics, accessLog: configuration.accessLog)
        router.add(middleware: AnswerMiddleware(envelope: envelope, recorder: recorder))
        router.add(middleware: JSONErrorMiddleware(routes: routes))
        // One authenticator for the router and the fast path: a key is recognised the same way by both.
        let clientKeys = APIKeyAuthenticator(keys: configuration.clientKeys)
        let identification = CallerIdentification(clientKeys: clientKeys, adminToken: configuration.adminCredential)
        router.add(middleware: CallerIdentificationMiddleware(identification: identification))
        // Route groups by who may call them; the groups add no path, so each route names its whole path.
        // One limiter for every door a client key opens, so a key's rate is the same whichever API it speaks.
        let rateLimiter = RequestRateLimiter(cluster: voice.cluster)
        let clients = router.group().add(middleware: AccessRequirementMiddleware(requirement: .clientKey, rateLimiter: rateLimiter))
        let admins = router.group().add(
            middleware: AccessRequirementMiddleware(
                requirement: .admin(configured: configuration.adminCredential != nil)))
        HealthRoutes(store: voice.store).register(on: router, table: routes)
        let responder = DownloadResponder(planner: DownloadPlanner(maximumRanges: configuration.maximumRanges))
        // Kept descriptors must go as soon as their file is unlinked, or a deleted asset keeps its disk space.
        let openAudio = OpenFileCache<SHA256Digest>(capacity: configuration.openFileCacheEntries)
        voice.store.linkRemovals.listen { openAudio.invalidate($0) }
        let audioCache = HotFileCache<SHA256Digest>(
            capacity: configuration.downloadCacheBytes, entryLimit: configuration.downloadCacheEntryLimit, descriptors: openAudio)
        var coldFill: (@Sendable (SHA256Digest) async throws -> Bool)?
        if let cluster = voice.cluster {
            coldFill = { hash in try await cluster.bringIn(hash) != nil }
        }
        let downloads = DownloadRoutes(
            store: voice.store, cache: audioCache, responder: responder, heard: voice.heard, coldFill: coldFill)
        downloads.register(on: router, table: routes)
        // Books' covers are Storage objects (`BookCovers`), when the server serves Storage.
        var covers: BookCovers?
        if let storage {
            let uploadCache = HotFileCache<String>(
                capacity: configuration.downloadCacheBytes / 4, entryLimit: configuration.downloadCacheEntryLimit)
            let signer = SignedURLToken(secret: storage.signingSecret)
            let localAudio = GeneratedAudioSource(assets: VoiceAssetBucket(store: voice.store), cache: audioCache, heard: voice.heard)
            if let clusterObjects = storage.cluster, let clusterUploads = storage.clusterUploads,
                let clusterMultipart = storage.clusterMultipart, let cluster = voice.cluster
            {
                // Uploaded buckets, TUS and S3 multipart uploads in the cluster's catalog and blob store; the
                // generated audio bucket from the cluster's catalog, its bytes from this node's copies.
                let storageRoutes = StorageRoutes(
                    objects: storage.store, uploaded: .cluster(clusterObjects, cache: uploadCache), staging: storage.store.directory,
                    signer: signer, generatedAudio: ClusterAudioBucket(voice: voice, cluster: cluster, local: localAudio),
                    maximumUploadBytes: configuration.maximumUploadBytes, responder: responder,
                    adminConfigured: configuration.adminCredential != nil)
                storageRoutes.register(on: router, table: routes)
                covers = BookCovers(source: storageRoutes.source(BookCovers.bucket))
                ResumableRoutes(
                    storage: storageRoutes, uploads: clusterUploads, publicBaseURL: configuration.publicBaseURL,
                    expirySeconds: configuration.resumableExpirySeconds, maximumUploadsInProgress: configuration.maximumResumableUploads
                ).register(on: router, table: routes)
                S3Routes(
                    storage: storageRoutes, multipart: clusterMultipart, credentials: configuration.s3Credentials,
                    maximumUploadsInProgress: configuration.maximumResumableUploads
                )
                .register(on: router, table: routes)
            } else {
                let storageRoutes = StorageRoutes(
                    objects: storage.store, uploaded: .dataDirectory(storage.store, cache: uploadCache), staging: storage.store.directory,
                    signer: signer,
                    // The `/audio` route's cache: the same files, so an MP3 fetched both ways is held once.
                    generatedAudio: localAudio,
                    maximumUploadBytes: configuration.maximumUploadBytes, responder: responder,
                    adminConfigured: configuration.adminCredential != nil)
                storageRoutes.register(on: router, table: routes)
                covers = BookCovers(source: storageRoutes.source(BookCovers.bucket))
                ResumableRoutes(
                    storage: storageRoutes, uploads: EmbeddedResumableUploads(store: ResumableUploadStore(objects: storage.store)),
                    publicBaseURL: configuration.publicBaseURL,
                    expirySeconds: configuration.resumableExpirySeconds, maximumUploadsInProgress: configuration.maximumResumableUploads
                ).register(on: router, table: routes)
                S3Routes(
                    storage: storageRoutes, multipart: EmbeddedMultipartUploads(store: MultipartUploadStore(objects: storage.store)),
                    credentials: configuration.s3Credentials,
                    maximumUploadsInProgress: configuration.maximumResumableUploads
                )
                .register(on: router, table: routes)
            }
        }
        if let cluster = voice.cluster {
            ClusterRelayRoutes(voice: voice, cluster: cluster).register(on: router, table: routes)
        }
        let voiceRoutes = VoiceRoutes(voice: voice, configuration: configuration)
        voiceRoutes.register(on: router, clients: clients, table: routes)
        BookRoutes(
            voice: voice, configuration: configuration, positions: positions,
            playerTokens: storage.map { PlayerToken(secret: $0.signingSecret) }, covers: covers
        ).register(on: router, clients: clients, table: routes)
        let voiceHits = VoiceHitShortcut(
            voice: voice, memo: voiceRoutes.memo, identification: identification, rateLimiter: rateLimiter,
            publicBaseURL: configuration.publicBaseURL)
        AlignmentRoutes(voice: voice, configuration: configuration).register(on: router, table: routes)
        ListenRoutes(voice: voice).register(on: router, table: routes)
        SiteIconRoutes().register(on: router, table: routes)
        // The SDK-compatible doors answer every failure, a refused key included, in their own error shape.
        let sdkClients = router.group()
            .add(middleware: CompatibleErrorMiddleware(shape: .elevenLabs))
            .add(middleware: AccessRequirementMiddleware(requirement: .clientKey, rateLimiter: rateLimiter))
        let openAIClients = router.group()
            .add(middleware: CompatibleErrorMiddleware(shape: .openAI))
            .add(middleware: AccessRequirementMiddleware(requirement: .clientKey, rateLimiter: rateLimiter))
        let speech = CompatibleSpeech(voice: voice, configuration: configuration)
        ElevenLabsRoutes(speech: speech).register(on: sdkClients, table: routes)
        CatalogRoutes(catalog: catalog ?? OfflineVoiceCatalog(maximumTextCharacters: configuration.maximumTextCharacters))
            .register(on: sdkClients, table: routes)
        OpenAIRoutes(speech: speech).register(on: openAIClients, table: routes)
        AdminRoutes(voice: voice, usage: usage, configuration: configuration).register(on: admins, table: routes)
        if let jobs {
            JobRoutes(runner: jobs, voice: voice, usage: usage, configuration: configuration).register(on: admins, table: routes)
        }
        DashboardRoutes().register(on: router, table: routes)
        if let metrics {
            let scrapers = configuration.metricsPublic ? router.group() : admins
            MetricsRoutes(registry: metrics, voice: voice, usage: usage).register(on: scrapers, table: routes)
        }
        return Parts(router: router, downloads: downloads, voiceHits: voiceHits, envelope: envelope, recorder: recorder)
    }

    public static func make(
        configuration: ServerConfiguration, voice: VoiceService, storage: StorageSurface? = nil,
        usage: UsageRecorder = UsageRecorder(), metrics: PrometheusCollectorRegistry? = nil,
        catalog: (any VoiceCatalog)? = nil, jobs: JobRunner? = nil, positions: (any ListeningPositions)? = nil, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let limits = configuration.connectionLimits
        let parts = makeParts(
            voice: voice, configuration: configuration, storage: storage, usage: usage, metrics: metrics,
            catalog: catalog, jobs: jobs, positions: positions)
        let fastAnswers = FastAnswers(
            downloads: parts.downloads, voiceHits: parts.voiceHits, envelope: parts.envelope, recorder: parts.recorder,
            logger: logger, fileOpening: .singleton,
            answered: metrics.map { _ in Counter(label: "voicevault_http_fast_path_responses_total") },
            answeredFromBytes: metrics.map { _ in Counter(label: "voicevault_http_fast_path_direct_responses_total") })
        return Application(
            router: parts.router,
            server: .edge(.init(fastAnswers: configuration.fastPath ? fastAnswers : nil, limits: limits), logger: logger),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                // No server name here: `AnswerEnvelope` gives `Server` to every answer, whoever writes it.
                availableConnectionsDelegate: ConnectionCap(maximum: limits.maximumConnections, logger: logger)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}

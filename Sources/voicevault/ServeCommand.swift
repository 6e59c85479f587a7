import ArgumentParser
import Foundation
import ElevenLabs
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import VaultCluster
import VaultCore
import VaultServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the HTTP server (SIGTERM/SIGINT shut it down gracefully).")

    @Option(help: "Address to listen on (env VOICEVAULT_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env VOICEVAULT_PORT; default 8080).")
    var port: Int?

    @OptionGroup var data: DataDirectoryOption

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env VOICEVAULT_LOG_LEVEL).")
    var logLevel: String?

    @Option(help: "Initial LMDB map size in MiB; it grows automatically (env VOICEVAULT_INDEX_MAP_MIB; default 256).")
    var indexMapMib: Int?

    func run() async throws {
        let logger = makeLogger(label: "voicevault", level: logLevel ?? Environment.value("VOICEVAULT_LOG_LEVEL"))
        // Lines are written by a thread of their own; whatever way serve ends, the last ones go out first.
        defer { LineLogHandler.flush() }
        // Every client connection is a descriptor: take all the process may have before serving any.
        let descriptorLimit = DescriptorLimit.raiseSoftLimit()
        let configuration: ServerConfiguration
        do {
            configuration = try ConfigurationResolution.resolve(
                flags: .init(host: host, port: port, dataDirectory: data.dataDirectory),
                environment: ProcessInfo.processInfo.environment, descriptorLimit: descriptorLimit)
        } catch {
            throw ValidationError(error.message)
        }
        // A cluster node, or one machine (nothing set): refused before anything is opened when half-configured.
        let clusterSettings: ClusterSettings?
        do { clusterSettings = try ClusterSettings(environment: ProcessInfo.processInfo.environment) } catch {
            throw ValidationError(error.description)
        }
        if clusterSettings != nil, Environment.value("VOICEVAULT_SIGNING_SECRET") == nil {
            // Each node would make its own: nodes could not follow each other's generations (the relay's credential
            // derives from it), and a URL signed by one node would be refused by the next.
            throw ValidationError("a cluster node needs VOICEVAULT_SIGNING_SECRET, the same on every node (32 random bytes, say)")
        }
        let connectionLimits = configuration.connectionLimits
        var options = LMDBEnvironment.Options()
        if let mib = indexMapMib ?? Environment.value("VOICEVAULT_INDEX_MAP_MIB").flatMap(Int.init) {
            guard mib > 0 else { throw ValidationError("--index-map-mib must be positive") }
            options.mapSize = mib << 20
        }
        let vault: OpenedVault
        do {
            vault = try OpenedVault(root: configuration.dataDirectory, options: options, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["reason": "\(error)"])
            throw ExitCode(73)  // EX_CANTCREAT: the data directory cannot be used
        }
        let assetCount = try vault.store.index.count()
        logger.info(
            "data directory open",
            metadata: [
                "dir": "\(configuration.dataDirectory)", "assets": "\(assetCount)",
                "schema": "\(IndexSchema.current)", "sweptTempFiles": "\(vault.temporaryFilesFound.count)",
            ])
        logger.info(
            "connection limits",
            metadata: [
                "maxConnections": "\(connectionLimits.maximumConnections)", "descriptorLimit": "\(descriptorLimit)",
                "idleTimeoutSeconds": "\(connectionLimits.idleTimeoutSeconds)",
                "sendTimeoutSeconds": "\(connectionLimits.sendTimeoutSeconds)",
            ])
        if configuration.adminToken == nil {
            logger.notice(
                "VOICEVAULT_ADMIN_TOKEN is not set: the admin surface (/admin, /metrics, emptying the audio bucket) refuses every request")
        }
        logger.info("client keys", metadata: ["keys": "\(configuration.clientKeys.map(\.name))"])
        if configuration.clientKeys.isEmpty {
            logger.warning("VOICEVAULT_API_KEYS is empty: nobody can generate audio until client keys are configured")
        }
        // Before anything creates a metric (the upstream limiter does, when the synthesizer is made).
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let (synthesizer, catalog, upstreamLoad) = try makeSynthesizer(logger: logger)
        let quotaWakeup = QuotaWakeup()
        let signingSecret = try SigningSecret.loadOrCreate(
            path: vault.store.directory.signingKeyFile, override: Environment.value("VOICEVAULT_SIGNING_SECRET"))
        let cluster = clusterSettings.map {
            ClusterNode(
                settings: $0, local: vault.store, defaultNodeURL: Self.defaultNodeURL(host: configuration.host, port: configuration.port),
                relayCredential: RelayCredential.derive(fromSigningSecret: signingSecret), httpClient: .shared, logger: logger)
        }
        // A cluster's usage ledger is in its catalog, written by every node; one machine's in its data directory.
        // Listeners' positions too.
        let ledger = cluster == nil ? UsageLedger.openOrSetAside(in: vault.store.directory, logger: logger) : nil
        let usageHistory: (any UsageHistory)? =
            if let cluster { cluster.usageHistory } else { ledger.map { EmbeddedUsageHistory(ledger: $0) } }
        let positions: (any ListeningPositions)? =
            if let cluster { cluster.positions } else { ledger.map { EmbeddedListeningPositions(ledger: $0) } }
        let ledgerWriter = usageHistory.map { LedgerWriter(history: $0) }
        let usage = UsageRecorder(writer: ledgerWriter)
        let voice = VoiceService(
            store: vault.store, synthesizer: synthesizer,
            dailyCharacterBudget: configuration.dailyCharacterBudget,
            events: VoiceEventSinks([usage, VoiceMetrics(), quotaWakeup]), spendCounters: cluster?.spendCounters,
            cluster: cluster?.store,
            stitchingWindowSeconds: Double(
                try Environment.integer(
                    "VOICEVAULT_STITCHING_WINDOW_SECONDS", default: Int(StitchingContext.defaultWindowSeconds), minimum: 0)))
        // On a cluster node the local store is a cache of the cluster: bounded by VOICEVAULT_BLOB_CACHE_MIB, and
        // what leaves it is no deletion (nothing is reported; the cluster still holds it).
        let cacheLimit = try cluster.map { _ in try Environment.integer("VOICEVAULT_BLOB_CACHE_MIB", default: 1024, minimum: 0) << 20 }
        // On a cluster node the voice service's eviction bounds the node's cache and reports nothing; the
        // cluster's quota (VOICEVAULT_MAX_STORE_BYTES) is applied by whichever node holds the evictor's role.
        let quota = StoreQuotaService(
            eviction: voice.eviction, limit: cacheLimit ?? configuration.maximumStoreBytes, wakeup: quotaWakeup,
            interval: .milliseconds(try Environment.integer("VOICEVAULT_QUOTA_INTERVAL_MS", default: 10_000, minimum: 10)),
            cluster: voice.clusterQuota, clusterLimit: cluster == nil ? nil : configuration.maximumStoreBytes, logger: logger)
        if let cacheLimit {
            let stored = try vault.store.index.storedBytes()
            logger.info("blob cache", metadata: ["maxBytes": "\(cacheLimit)", "storedBytes": "\(stored)"])
        } else if let limit = configuration.maximumStoreBytes {
            let stored = try vault.store.index.storedBytes()
            logger.info("disk quota", metadata: ["maxStoreBytes": "\(limit)", "storedBytes": "\(stored)"])
        }
        let objects = vault.objects
        // On a cluster node uploaded objects live in the cluster; this node keeps copies of those it serves,
        // bounded as its copies of audio are.
        let clusterObjects = try cluster.map {
            try $0.objectStore(copiesDirectory: vault.store.directory.objectCopies, copiesLimit: cacheLimit ?? 0)
        }
        let clusterUploads = cluster.flatMap { node in
            clusterObjects.map { node.resumableUploads(objects: $0, staging: vault.store.directory) }
        }
        let clusterMultipart = cluster.flatMap { node in
            clusterObjects.map { node.multipartUploads(objects: $0, staging: vault.store.directory) }
        }
        try objects.catalog.ensureBucket(VoiceAssetBucket.bucketRecord(now: Date().timeIntervalSince1970))
        // Resumable uploads: finish commits a crash interrupted, cut parts back to what was acknowledged, and
        // sweep the expired, before any request can touch them.
        let recovered = try vault.resumable.recover(globalLimit: configuration.maximumUploadBytes)
        let expired = try vault.resumable.sweep(now: Date().timeIntervalSince1970)
        let inProgress = try vault.resumable.count()
        let multipartRecovered = try vault.multipart.recover(globalLimit: configuration.maximumUploadBytes)
        let multipartSwept = try vault.multipart.sweep(now: Date().timeIntervalSince1970)
        logger.info(
            "s3 multipart uploads",
            metadata: [
                "commitsFinished": "\(multipartRecovered.completed)", "commitsFailed": "\(multipartRecovered.failed)",
                "abandonedSwept": "\(multipartSwept)", "s3": "\(configuration.s3Credentials == nil ? "off" : "on")",
            ])
        logger.info(
            "resumable uploads",
            metadata: [
                "inProgress": "\(inProgress)", "commitsFinished": "\(recovered.completed)",
                "commitsFailed": "\(recovered.failed)", "expiredSwept": "\(expired)",
            ])
        // A cluster's jobs are in its catalog, run by one node; one machine's in its data directory.
        let jobCatalog: any JobCatalog =
            if let cluster { cluster.jobs } else { EmbeddedJobCatalog(store: try JobStore(path: vault.store.directory.jobsFile)) }
        let jobs = JobRunner(
            jobs: jobCatalog,
            lease: cluster?.jobRunnerLease, voice: voice, load: upstreamLoad,
            maximumTextCharacters: configuration.maximumTextCharacters, logger: logger)
        let app = VaultApplication.make(
            configuration: configuration, voice: voice,
            storage: StorageSurface(
                store: objects, signingSecret: signingSecret, cluster: clusterObjects, clusterUploads: clusterUploads,
                clusterMultipart: clusterMultipart),
            usage: usage,
            metrics: registry,
            catalog: catalog, jobs: jobs, positions: positions, logger: logger
        ) { port in
            logger.info("listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
            if let cluster, clusterSettings?.nodeURL == nil {
                // The port is certain only now (`--port 0`); other nodes relay from this address.
                cluster.address.update(Self.defaultNodeURL(host: configuration.host, port: port))
                logger.info("node address", metadata: ["nodeURL": "\(cluster.nodeURL)"])
            }
        }
        // Stopped one after another, last listed first: the job runner finishes its item in flight and starts no
        // other (at once, not after the app has drained), the app drains, the quota writes its heard times, the
        // ledger writes what all of them queued.
        let services: [any Service] = (ledgerWriter.map { [LedgerService(writer: $0)] } ?? []) + [quota, app, jobs]
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        // A cluster node's engines (the catalog's pool, the follower of its changes) run beside the services and
        // are cancelled once the services have stopped; a stopped node then exits within `engineStopLimit` even if
        // one of them does not end on cancellation (a LISTEN that PostgresNIO does not end was seen to).
        var engines: [Task<Void, Never>] = []
        defer { for engine in engines { engine.cancel() } }
        if let cluster {
            engines.append(Task { await cluster.run() })
            do {
                let applied = try await cluster.prepare()
                // The generated audio's bucket row, as one machine makes it at start (the first node's stays).
                try await clusterObjects?.catalog.ensureBucket(VoiceAssetBucket.bucketRecord(now: Date().timeIntervalSince1970))
                logger.info("cluster node", metadata: ["cluster": "\(cluster.description)", "migrationsApplied": "\(applied)"])
                if let clusterUploads {
                    // Completions of resumable uploads a crash interrupted (on any node) are finished here; one
                    // that cannot be is left for the next start, not a reason to refuse this one.
                    do {
                        let recovered = try await clusterUploads.recover(globalLimit: configuration.maximumUploadBytes)
                        let multipart = try await clusterMultipart?.recover(globalLimit: configuration.maximumUploadBytes)
                        logger.info(
                            "cluster uploads",
                            metadata: [
                                "resumableCommitsFinished": "\(recovered.completed)", "resumableCommitsFailed": "\(recovered.failed)",
                                "multipartCommitsFinished": "\(multipart?.completed ?? 0)",
                                "multipartCommitsFailed": "\(multipart?.failed ?? 0)",
                            ])
                    } catch {
                        logger.warning("cluster uploads not recovered", metadata: ["reason": "\(error)"])
                    }
                }
                engines.append(Task { await cluster.follow() })
            } catch {
                logger.critical("cannot join the cluster", metadata: ["cluster": "\(cluster.description)", "reason": "\(error)"])
                throw ExitCode(69)  // EX_UNAVAILABLE: the catalog or the blob store cannot be used
            }
        }
        try await group.run()
        for engine in engines { engine.cancel() }
        let stopped = WakeSignal()
        let all = engines
        Task {
            for engine in all { await engine.value }
            stopped.signal()
        }
        await stopped.wait(upTo: Self.engineStopLimit)
        withExtendedLifetime(vault) {}
        logger.info("stopped")
    }

    /// How long a stopped cluster node waits for its engines to end before it exits anyway.
    static let engineStopLimit = Duration.seconds(5)

    /// This node's address for the others when `VOICEVAULT_NODE_URL` does not say: its listening host, or its
    /// host name when it listens on every interface (an address no other machine can use).
    static func defaultNodeURL(host: String, port: Int) -> String {
        let reachable = ["0.0.0.0", "::", "[::]"].contains(host) ? ProcessInfo.processInfo.hostName : host
        return "http://\(reachable.contains(":") ? "[\(reachable)]" : reachable):\(port)"
    }

    /// ElevenLabs when `ELEVENLABS_API_KEY` is set (long text chunked); otherwise the offline espeak-ng
    /// synthesizer when it is installed; otherwise none (misses answer 503, cached audio is still served).
    /// With it, where `/v1/models` and `/v1/voices` come from (nil: the offline synthesizer's own lists).
    private func makeSynthesizer(logger: Logger) throws -> ((any SpeechSynthesizer)?, (any VoiceCatalog)?, (any UpstreamLoad)?) {
        guard let key = Environment.value("ELEVENLABS_API_KEY") else {
            if let offline = OfflineSynthesizer() {
                logger.notice(
                    """
                    ELEVENLABS_API_KEY is not set: using the OFFLINE espeak-ng synthesizer (model offline_espeak_ng). \
                    Set ELEVENLABS_API_KEY (and optionally ELEVENLABS_BASE_URL) to generate with ElevenLabs; \
                    offline audio is cached under its own model id and never served for ElevenLabs requests.
                    """)
                return (offline, nil, nil)
            }
            logger.warning("ELEVENLABS_API_KEY is not set and espeak-ng/lame are not installed: cache misses cannot be generated")
            return (nil, nil, nil)
        }
        let base = Environment.value("ELEVENLABS_BASE_URL") ?? ElevenLabsConfiguration.defaultBaseURL
        let policy = RetryPolicy(
            maximumAttempts: try Environment.integer("VOICEVAULT_UPSTREAM_MAX_ATTEMPTS", default: 4, minimum: 1),
            baseDelay: Double(try Environment.integer("VOICEVAULT_UPSTREAM_RETRY_BASE_MS", default: 500, minimum: 0)) / 1000,
            concurrencyWait: Double(try Environment.integer("VOICEVAULT_UPSTREAM_CONCURRENCY_WAIT_MS", default: 1000, minimum: 0)) / 1000)
        let configuration = ElevenLabsConfiguration(
            baseURL: base, apiKey: key,
            maximumConcurrency: try Environment.integer("VOICEVAULT_UPSTREAM_CONCURRENCY", default: 5, minimum: 1),
            attemptTimeout: .milliseconds(try Environment.integer("VOICEVAULT_UPSTREAM_TIMEOUT_MS", default: 180_000, minimum: 1)),
            retryPolicy: policy)
        logger.info(
            "synthesizer: ElevenLabs",
            metadata: [
                "baseURL": "\(configuration.baseURL)",
                "concurrency": "\(configuration.maximumConcurrency)",
            ])
        let client = ElevenLabsClient(configuration: configuration, logger: logger)
        return (ChunkingSynthesizer(base: client), ElevenLabsCatalog(configuration: configuration), client.limiter)
    }
}

/// The ledger writer as a service of `serve`'s group: it runs until graceful shutdown, then writes what is
/// still queued.
struct LedgerService: Service {
    let writer: LedgerWriter
    func run() async throws {
        await cancelWhenGracefulShutdown { await writer.run() }
    }
}

/// Logs go to standard error through `LineLogHandler`, bootstrapped once per process.
private let loggingBootstrap: Void = LoggingSystem.bootstrap { LineLogHandler(label: $0) }

func makeLogger(label: String, level: String?) -> Logger {
    _ = loggingBootstrap
    var logger = Logger(label: label)
    logger.logLevel = level.flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
    return logger
}

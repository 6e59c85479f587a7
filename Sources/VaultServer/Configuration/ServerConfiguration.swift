public import VaultCore

/// Settings of one running server. Flags win over environment variables, which win over defaults; the
/// executable resolves them, this type only carries them.
public struct ServerConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var dataDirectory: String
    /// Client keys that may generate (`VOICEVAULT_API_KEYS` and the keys file). Empty: nobody may.
    public var clientKeys: [ClientKey]
    /// Prefix for the `url` of answers, for deployments behind a CDN (`VOICEVAULT_PUBLIC_BASE_URL`).
    public var publicBaseURL: String?
    /// Longest text accepted, in Unicode scalars after canonicalisation.
    public var maximumTextCharacters: Int
    /// Largest request body accepted on the voice API.
    public var maximumBodyBytes: Int
    /// Characters per UTC day that may be sent upstream; nil for no cap.
    public var dailyCharacterBudget: Int?
    /// Bytes of hot MP3s held in memory for downloads (`VOICEVAULT_DOWNLOAD_CACHE_MIB`); 0 streams every
    /// download from disk.
    public var downloadCacheBytes: Int
    /// Largest single file held: an eighth of the cache, at most 16 MiB, so one long book cannot flush the
    /// hot set. Larger files stream from the open descriptor in 256 KiB chunks.
    public var downloadCacheEntryLimit: Int { min(downloadCacheBytes / 8, 16 << 20) }
    /// Descriptors of hot MP3s kept open (`VOICEVAULT_OPEN_FILE_CACHE`), so the fast paths send them with
    /// `sendfile` without opening them per request; 0 opens per request. Each is one of the process's
    /// descriptors, taken from the reserve `ConnectionLimits` leaves beside the connections.
    public var openFileCacheEntries = 128
    /// Largest object accepted by the Storage API (`VOICEVAULT_MAX_UPLOAD_BYTES`); a bucket's
    /// `file_size_limit` can only lower it. 50 MB, Supabase's own default.
    public var maximumUploadBytes: Int
    /// More ranges than this in one Range header and the header is ignored (a 200 with the whole file), as
    /// nginx's `max_ranges` does (`VOICEVAULT_MAX_RANGES`; default 16). Bounds the work one request can ask for.
    public var maximumRanges: Int
    /// The operator's token (`VOICEVAULT_ADMIN_TOKEN`): what wholesale deletes of generated audio take,
    /// as `Authorization: Bearer`. Nil: those are refused.
    public var adminToken: String?
    /// `adminToken`, ready for constant-time checks; nil when none is configured.
    public var adminCredential: AdminToken? { AdminToken(adminToken) }
    /// What ElevenLabs charges per 1,000 characters on the operator's plan (`VOICEVAULT_PRICE_PER_1000_CHARACTERS`),
    /// for the cost figures of `/admin/stats`; nil: costs are not shown.
    public var pricePerThousandCharacters: Double?
    /// `GET /metrics` without the admin token (`VOICEVAULT_METRICS_PUBLIC=true`), for a private network.
    public var metricsPublic: Bool = false
    /// Timeouts and the connection cap (Docs/OPERATIONS.md, "Limits").
    public var connectionLimits: ConnectionLimits
    /// Which browser origins may call the server (`VOICEVAULT_CORS_ORIGINS`: `*` by default, a list, or `none`).
    public var crossOrigin: CrossOriginPolicy
    /// Whether hot downloads and plain cache hits are answered ahead of the router (`VOICEVAULT_FAST_PATH`,
    /// on by default): the same decisions, a cheaper transport. Off sends every request through the router,
    /// for comparison and as an escape hatch.
    public var fastPath = true
    /// Whether every request is logged (`VOICEVAULT_ACCESS_LOG`, on by default; the lines are written at
    /// `info`). Off keeps the other `info` lines; the cost of the line is in Docs/PERFORMANCE.md.
    public var accessLog = true
    /// The disk quota: above this many bytes of audio (each asset once), the least recently heard unpinned
    /// assets are evicted down to 90 % of it. Nil: off.
    public var maximumStoreBytes: Int?
    /// How long a resumable (TUS) upload may stay unfinished after its creation before it is swept
    /// (`VOICEVAULT_RESUMABLE_EXPIRY_SECONDS`; a day by default).
    public var resumableExpirySeconds = 86_400
    /// Most resumable (TUS) uploads in progress at once, and separately most S3 multipart uploads
    /// (`VOICEVAULT_RESUMABLE_MAX_UPLOADS`): each holds disk until it finishes, is aborted or expires.
    public var maximumResumableUploads = 1_000
    /// Listeners' positions one client key may hold (`VOICEVAULT_MAX_POSITIONS_PER_KEY`).
    public var maximumPositionsPerKey = 100_000
    /// The access key pair of the S3 protocol (`VOICEVAULT_S3_ACCESS_KEY_ID`, `VOICEVAULT_S3_SECRET_ACCESS_KEY`);
    /// nil: the S3 surface refuses every request.
    public var s3Credentials: SigV4Verifier.Credentials?

    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 8080
    public static let defaultDataDirectory = "./data"

    public init(
        host: String = defaultHost, port: Int = defaultPort, dataDirectory: String = defaultDataDirectory,
        apiKeys: Set<String> = [], clientKeys: [ClientKey] = [], publicBaseURL: String? = nil,
        maximumTextCharacters: Int = SpeechSpec.defaultMaximumTextCharacters,
        maximumBodyBytes: Int = 4 << 20, dailyCharacterBudget: Int? = nil,
        downloadCacheBytes: Int = 256 << 20, maximumUploadBytes: Int = 50_000_000, maximumRanges: Int = 16,
        crossOrigin: CrossOriginPolicy = CrossOriginPolicy(origins: .any), connectionLimits: ConnectionLimits = ConnectionLimits(),
        adminToken: String? = nil, pricePerThousandCharacters: Double? = nil
    ) {
        self.pricePerThousandCharacters = pricePerThousandCharacters
        self.adminToken = adminToken.flatMap { $0.isEmpty ? nil : $0 }
        self.connectionLimits = connectionLimits
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.clientKeys = apiKeys.sorted().map { ClientKey(secret: $0) } + clientKeys
        var base = publicBaseURL
        while base?.hasSuffix("/") == true { base?.removeLast() }
        self.publicBaseURL = base
        self.maximumTextCharacters = maximumTextCharacters
        self.maximumBodyBytes = maximumBodyBytes
        self.dailyCharacterBudget = dailyCharacterBudget
        self.downloadCacheBytes = max(0, downloadCacheBytes)
        self.maximumUploadBytes = max(0, maximumUploadBytes)
        self.maximumRanges = max(1, maximumRanges)
        self.crossOrigin = crossOrigin
    }
}

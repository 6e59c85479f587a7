/// The catalog's schema, as numbered SQL migrations of our own: append-only (a shipped migration never
/// changes; a change is a new one), applied in order by `CatalogMigrator`. Each migration's statements run in
/// one transaction with its record in `voicevault_schema`.
public struct CatalogMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

public enum CatalogMigrations {
    public static let all: [CatalogMigration] = [
        CatalogMigration(
            version: 1, name: "budgets",
            statements: [
                // The server's daily character budget, spent as generations reserve it (Docs/CLUSTER.md, "Money").
                """
                CREATE TABLE budget_days (
                    day date PRIMARY KEY,
                    spent bigint NOT NULL CHECK (spent >= 0)
                )
                """,
                // Each client key's own daily budget.
                """
                CREATE TABLE key_budget_days (
                    key_id text NOT NULL,
                    day date NOT NULL,
                    spent bigint NOT NULL CHECK (spent >= 0),
                    PRIMARY KEY (key_id, day)
                )
                """,
            ]),
        CatalogMigration(
            version: 2, name: "flights",
            statements: [
                // Which node generates a hash right now, written by the holder of the hash's advisory lock
                // (`PostgresFlightLock`); other nodes forward to `node_url`. A row outlives a dead holder and is
                // overwritten by the next winner.
                """
                CREATE TABLE flights (
                    hash text PRIMARY KEY,
                    node_url text NOT NULL,
                    started_at timestamptz NOT NULL
                )
                """
            ]),
        CatalogMigration(
            version: 3, name: "assets",
            statements: [
                // One row per asset (`AssetRecord`), keyed by its content hash; `blob_sha256` names its bytes in
                // the blob store, shared by every asset whose bytes are identical. `alignment` is the encoded
                // `SpeechAlignment` stored with the first record.
                """
                CREATE TABLE assets (
                    hash text PRIMARY KEY,
                    voice_id text NOT NULL,
                    model_id text NOT NULL,
                    output_format text NOT NULL,
                    byte_size bigint NOT NULL CHECK (byte_size >= 0),
                    blob_sha256 text NOT NULL,
                    duration_seconds double precision NOT NULL,
                    word_count integer NOT NULL,
                    character_count integer NOT NULL,
                    created_at double precision NOT NULL,
                    upstream_request_id text,
                    character_cost integer,
                    origin text NOT NULL,
                    alignment bytea
                )
                """,
                "CREATE INDEX assets_by_blob ON assets (blob_sha256)",
                // Which books link each asset: the URL `<bookId>/<hash>.mp3`, as a hard link is on disk. An
                // asset's last link goes with it.
                """
                CREATE TABLE asset_books (
                    book_id text NOT NULL,
                    hash text NOT NULL REFERENCES assets (hash) ON DELETE CASCADE,
                    PRIMARY KEY (book_id, hash)
                )
                """,
                "CREATE INDEX asset_books_by_hash ON asset_books (hash)",
            ]),
        CatalogMigration(
            version: 4, name: "key rates",
            statements: [
                // Each client key's request allowance (`requestsPerMinute`) as a token bucket every node takes
                // from (`PostgresKeyRates`).
                """
                CREATE TABLE key_rates (
                    key_id text PRIMARY KEY,
                    tokens double precision NOT NULL,
                    updated_at timestamptz NOT NULL
                )
                """
            ]),
        CatalogMigration(
            version: 5, name: "jobs",
            statements: [
                // Pre-generation jobs and their items (`PostgresJobCatalog`), the columns of the embedded
                // `JobStore`'s: every node answers a job's progress; the node holding the runner's lease runs it.
                """
                CREATE TABLE jobs (
                    id text PRIMARY KEY,
                    book_id text NOT NULL,
                    status text NOT NULL,
                    created_at double precision NOT NULL,
                    updated_at double precision NOT NULL,
                    resume_at double precision,
                    manifest text NOT NULL
                )
                """,
                """
                CREATE TABLE job_items (
                    job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                    seq integer NOT NULL,
                    chapter_index integer NOT NULL,
                    chapter_id text NOT NULL,
                    voice_id text NOT NULL,
                    state text NOT NULL,
                    code text,
                    characters integer NOT NULL DEFAULT 0,
                    seconds double precision NOT NULL DEFAULT 0,
                    content_hash text,
                    PRIMARY KEY (job_id, seq)
                )
                """,
            ]),
        CatalogMigration(
            version: 6, name: "retention",
            statements: [
                // When each asset was last heard anywhere in the cluster (the latest any node reported), and the
                // pinned books: what the cluster's quota decides by (`ClusterQuota`).
                "ALTER TABLE assets ADD COLUMN heard_at double precision",
                """
                CREATE TABLE book_pins (
                    book_id text PRIMARY KEY,
                    pinned_at double precision NOT NULL
                )
                """,
            ]),
        CatalogMigration(
            version: 7, name: "storage",
            statements: [
                // Supabase Storage's buckets and objects (`PostgresObjectCatalog`); each record is the JSON of
                // `BucketRecord` / `ObjectRecord`, as the embedded catalog keeps it. Keys compare bytewise
                // (COLLATE "C"), so a prefix listing is one range of the primary key, in the order LMDB and S3 list.
                """
                CREATE TABLE storage_buckets (
                    id text COLLATE "C" PRIMARY KEY,
                    record text NOT NULL
                )
                """,
                // `sha256` names the blob, shared with assets (`assets.blob_sha256`) when the bytes are the same.
                """
                CREATE TABLE storage_objects (
                    bucket text COLLATE "C" NOT NULL REFERENCES storage_buckets (id),
                    key text COLLATE "C" NOT NULL,
                    sha256 text NOT NULL,
                    record text NOT NULL,
                    PRIMARY KEY (bucket, key)
                )
                """,
                "CREATE INDEX storage_objects_sha256 ON storage_objects (sha256)",
            ]),
        CatalogMigration(
            version: 8, name: "resumable uploads",
            statements: [
                // TUS uploads in progress (`PostgresResumableCatalog`): the JSON of `ResumableUpload` (its
                // offset included), and each run of bytes a PATCH brought, as a blob shared like any other.
                """
                CREATE TABLE storage_uploads (
                    id text PRIMARY KEY,
                    upload text NOT NULL,
                    expires_at double precision NOT NULL
                )
                """,
                """
                CREATE TABLE storage_upload_parts (
                    id text NOT NULL REFERENCES storage_uploads (id) ON DELETE CASCADE,
                    upload_offset bigint NOT NULL,
                    size bigint NOT NULL,
                    sha256 text NOT NULL,
                    PRIMARY KEY (id, upload_offset)
                )
                """,
                "CREATE INDEX storage_upload_parts_sha256 ON storage_upload_parts (sha256)",
            ]),
        CatalogMigration(
            version: 9, name: "s3 multipart uploads",
            statements: [
                // S3 multipart uploads in progress (`PostgresMultipartCatalog`): the JSON of `MultipartUpload`
                // (its completion plan included), and the current part of each number, each a blob.
                """
                CREATE TABLE storage_multipart_uploads (
                    id text PRIMARY KEY,
                    bucket text COLLATE "C" NOT NULL,
                    upload text NOT NULL,
                    created_at double precision NOT NULL
                )
                """,
                """
                CREATE TABLE storage_multipart_parts (
                    id text NOT NULL REFERENCES storage_multipart_uploads (id) ON DELETE CASCADE,
                    number integer NOT NULL,
                    sha256 text NOT NULL,
                    size bigint NOT NULL,
                    modified_at double precision NOT NULL,
                    PRIMARY KEY (id, number)
                )
                """,
                "CREATE INDEX storage_multipart_parts_sha256 ON storage_multipart_parts (sha256)",
            ]),
        CatalogMigration(
            version: 10, name: "legacy aliases",
            statements: [
                // The old app's keys for imported rows (`LegacyAlias`), carried in by `voicevault migrate`; keys
                // are lowercase hex, ordered bytewise ("C") as the embedded index orders its raw keys.
                """
                CREATE TABLE legacy_aliases (
                    legacy_key text COLLATE "C" PRIMARY KEY,
                    content_hash text NOT NULL
                )
                """
            ]),
        CatalogMigration(
            version: 11, name: "usage ledger",
            statements: [
                // The usage ledger (`PostgresUsageLedger`): the SQLite ledger's four tables, written by every node.
                """
                CREATE TABLE ledger_generations (
                    id bigserial PRIMARY KEY, at double precision NOT NULL, content_hash text NOT NULL,
                    book_id text NOT NULL, chapter_id text, voice_id text NOT NULL, model_id text NOT NULL,
                    characters bigint NOT NULL, character_cost bigint, upstream_request_id text,
                    upstream_ms double precision NOT NULL, write_ms double precision NOT NULL,
                    index_ms double precision NOT NULL, attempts bigint NOT NULL, client_key_id text, client_name text
                )
                """,
                "CREATE INDEX ledger_generations_at ON ledger_generations (at)",
                """
                CREATE TABLE ledger_failures (
                    id bigserial PRIMARY KEY, at double precision NOT NULL, book_id text NOT NULL,
                    error_code text NOT NULL, client_key_id text, client_name text
                )
                """,
                """
                CREATE TABLE ledger_hits (
                    day text NOT NULL, content_hash text NOT NULL, book_id text NOT NULL, client_key_id text NOT NULL,
                    client_name text, voice_id text NOT NULL, hits bigint NOT NULL, joined bigint NOT NULL,
                    characters_saved bigint NOT NULL,
                    PRIMARY KEY (day, content_hash, book_id, client_key_id)
                )
                """,
                "CREATE INDEX ledger_hits_content_hash ON ledger_hits (content_hash)",
                """
                CREATE TABLE ledger_admin_actions (
                    id bigserial PRIMARY KEY, at double precision NOT NULL, action text NOT NULL, content_hash text,
                    book_id text, books bigint NOT NULL, links bigint NOT NULL, assets_removed bigint NOT NULL,
                    bytes_freed bigint NOT NULL, detail text
                )
                """,
            ]),
        CatalogMigration(
            version: 12, name: "usage ledger identity",
            statements: [
                // The ledger's identity and the histories carried into it by `voicevault migrate`, each once.
                "CREATE TABLE ledger_identity (id text NOT NULL)",
                "INSERT INTO ledger_identity VALUES (replace(gen_random_uuid()::text, '-', ''))",
                "CREATE TABLE ledger_sources (source text PRIMARY KEY, carried_at double precision NOT NULL)",
            ]),
        CatalogMigration(
            version: 13, name: "book links",
            statements: [
                // What a book says about each asset it links (`BookLink`): its chapter, place and title.
                "ALTER TABLE asset_books ADD COLUMN chapter_id text, ADD COLUMN chapter_index integer, ADD COLUMN chapter_title text"
            ]),
        CatalogMigration(
            version: 14, name: "listening positions",
            statements: [
                // Listeners' positions in books (`PostgresListeningPositions`), per client key.
                """
                CREATE TABLE listening_positions (
                    key_id text NOT NULL, listener text NOT NULL, book_id text NOT NULL, chapter_id text NOT NULL,
                    char bigint NOT NULL, at double precision NOT NULL, saved_at double precision NOT NULL,
                    PRIMARY KEY (key_id, listener, book_id)
                )
                """
            ]),
        CatalogMigration(
            version: 15, name: "upstream history item ids",
            statements: [
                // ElevenLabs' `history-item-id` of each generation, beside its `request-id`.
                "ALTER TABLE assets ADD COLUMN upstream_history_item_id text"
            ]),
    ]

    /// The newest version this build knows.
    public static var current: Int { all.last?.version ?? 0 }
}

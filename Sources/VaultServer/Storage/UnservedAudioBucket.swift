import VaultCore

/// The generated audio bucket on a cluster node, which does not offer it yet: its listing would be this
/// node's copies only. Every call is 501 `not_yet_on_cluster_nodes`; `/audio` serves every asset of the
/// cluster.
struct UnservedAudioBucket: StorageObjectSource {
    static let refusal = SupabaseError(
        .notImplemented, "not_yet_on_cluster_nodes",
        "the generated audio bucket is not served by cluster nodes yet; GET /audio/<bookId>/<hash>.mp3 serves every asset")

    func permit(_ change: StorageChange) throws { throw Self.refusal }
    func object(key: String) async throws -> ObjectRecord? { throw Self.refusal }
    func prepare(_ record: ObjectRecord) async throws -> Bool { throw Self.refusal }
    func bytes(of record: ObjectRecord) throws -> DownloadBytes? { throw Self.refusal }
    func file(of record: ObjectRecord) -> String? { nil }
    func folderContents(_ folder: String) async throws -> (folders: [String], objects: [ObjectRecord]) { throw Self.refusal }
    func keyPage(_ request: KeyPageRequest) async throws -> KeyPage { throw Self.refusal }
    func remove(keys: [String]) async throws -> [ObjectRecord] { throw Self.refusal }
    func remove(key: String, ifStill original: ObjectRecord) async throws -> Bool { throw Self.refusal }
    func empty() async throws { throw Self.refusal }
    func copy(from source: String, to destination: String, move: Bool, upsert: Bool) async throws -> ObjectRecord { throw Self.refusal }
    func put(_ upload: StagedUpload, key: String, upsert: Bool) async throws -> ObjectRecord { throw Self.refusal }
    func adopt(_ original: ObjectRecord, from source: any StorageObjectSource, key: String, upsert: Bool) async throws -> ObjectRecord {
        throw Self.refusal
    }
}

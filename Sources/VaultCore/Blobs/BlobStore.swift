/// Where a cluster keeps audio and object bytes: immutable blobs named by the SHA-256 of their own bytes (two
/// requests that yield identical bytes share one blob). One of the two seams of issue 26 (Docs/CLUSTER.md):
/// the catalog says which URL and which record point at a blob; the blob store only holds bytes.
///
/// Invariant every implementation keeps: `put` returns only once the store holds exactly those bytes (size
/// and SHA-256 verified), so a record written after it never points at a partial or wrong blob.
public protocol BlobStore: Sendable {
    /// Stores `bytes` as the blob `sha256` (their SHA-256) and verifies it; storing a blob again is harmless.
    func put(_ bytes: [UInt8], sha256: SHA256Digest) async throws(BlobStoreError)
    /// Stores the finished file at `path` (`size` bytes whose SHA-256 is `sha256`) as that blob, verified as
    /// `put` is. A store that can send a file without holding it in memory does (S3); others read it whole.
    func put(file path: String, size: Int, sha256: SHA256Digest) async throws(BlobStoreError)
    /// The blob's bytes, or the `range` of them (offsets inclusive, as HTTP's); nil when there is no such blob.
    func read(_ blob: SHA256Digest, range: ClosedRange<Int>?) async throws(BlobStoreError) -> [UInt8]?
    /// The blob's size in bytes; nil when there is no such blob.
    func size(of blob: SHA256Digest) async throws(BlobStoreError) -> Int?
    /// Removes the blob; removing one that is not there is harmless.
    func delete(_ blob: SHA256Digest) async throws(BlobStoreError)
    /// Every blob held, for `fsck` (blobs without records, records without blobs).
    func list() async throws(BlobStoreError) -> [SHA256Digest]
}

extension BlobStore {
    public func put(file path: String, size: Int, sha256: SHA256Digest) async throws(BlobStoreError) {
        let bytes: [UInt8]
        do { bytes = try await BlockingIO.run { try FileSystem.readFile(path) } } catch {
            throw .unavailable("cannot read \(path) to store it: \(error)")
        }
        guard bytes.count == size else { throw .mismatch("\(path) has \(bytes.count) bytes, not \(size)") }
        try await put(bytes, sha256: sha256)
    }
}

/// Why a blob store could not do what was asked, with a stable code for logs and answers.
public enum BlobStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store could not be reached or failed (a 5xx, a timeout, a refused connection): try again later.
    case unavailable(String)
    /// The store refused the request (a 4xx with its own code, such as `BadDigest` or `AccessDenied`).
    case refused(status: Int, code: String, message: String)
    /// The store holds something other than what was put (size or digest differ).
    case mismatch(String)

    public var code: String {
        switch self {
        case .unavailable: "blob_store_unavailable"
        case .refused: "blob_store_refused"
        case .mismatch: "blob_store_mismatch"
        }
    }

    public var description: String {
        switch self {
        case let .unavailable(why): "\(code): \(why)"
        case let .refused(status, code, message): "\(self.code): \(status) \(code) \(message)"
        case let .mismatch(why): "\(code): \(why)"
        }
    }
}

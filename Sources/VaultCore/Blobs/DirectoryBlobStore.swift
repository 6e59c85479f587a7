import Foundation

/// Blobs as files in a directory every node mounts (`VOICEVAULT_BLOB_URL=file:///shared/dir`): the setup of a
/// cluster on PostgreSQL with blobs on a shared disk (NFS, a SAN volume). A blob is `blobs/<aa>/<sha256>`
/// (`aa` its first two hex digits, so no directory holds more than 1/256 of them), written to `tmp/` first,
/// fsynced, renamed into place and its directory fsynced: a blob's name only ever holds its whole bytes.
///
/// Work runs off the cooperative pool; every failure of the file system is `unavailable`.
public struct DirectoryBlobStore: BlobStore {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    func path(_ blob: SHA256Digest) -> String {
        let hex = blob.hex
        return root + "/blobs/" + hex.prefix(2) + "/" + hex
    }

    public func put(_ bytes: [UInt8], sha256: SHA256Digest) async throws(BlobStoreError) {
        guard SHA256Digest.of(bytes) == sha256 else {
            throw .refused(status: 400, code: "BadDigest", message: "the bytes' SHA-256 is not \(sha256.hex)")
        }
        let root = root
        let target = path(sha256)
        try await run {
            if let status = try FileSystem.status(target), status.size == bytes.count { return }
            try FileSystem.makeDirectories(root + "/tmp")
            let directory = String(target.dropLast(65))
            try FileSystem.makeDirectories(directory)
            try DurableFile.replace(
                target, with: bytes, directory: directory,
                temporary: root + "/tmp/" + sha256.hex + "." + UUID().uuidString.lowercased())
        }
        guard try await size(of: sha256) == bytes.count else { throw .mismatch("blob \(sha256.hex) has another size after put") }
    }

    public func read(_ blob: SHA256Digest, range: ClosedRange<Int>?) async throws(BlobStoreError) -> [UInt8]? {
        let path = path(blob)
        return try await run {
            guard try FileSystem.status(path) != nil else { return nil }
            let bytes = try FileSystem.readFile(path)
            guard let range else { return bytes }
            guard range.lowerBound < bytes.count else { return [] }
            return Array(bytes[range.lowerBound...min(range.upperBound, bytes.count - 1)])
        }
    }

    public func size(of blob: SHA256Digest) async throws(BlobStoreError) -> Int? {
        let path = path(blob)
        return try await run { try FileSystem.status(path)?.size }
    }

    public func delete(_ blob: SHA256Digest) async throws(BlobStoreError) {
        let path = path(blob)
        try await run {
            guard try FileSystem.status(path) != nil else { return }
            try FileSystem.removeFile(path)
            try FileSystem.syncDirectory(String(path.dropLast(65)))
        }
    }

    public func list() async throws(BlobStoreError) -> [SHA256Digest] {
        let root = root
        return try await run {
            let blobs = root + "/blobs"
            guard FileSystem.isDirectory(blobs) else { return [] }
            var found: [SHA256Digest] = []
            for shard in try FileSystem.contents(of: blobs).sorted() where FileSystem.isDirectory(blobs + "/" + shard) {
                for name in try FileSystem.contents(of: blobs + "/" + shard).sorted() {
                    if let digest = SHA256Digest(hex: name) { found.append(digest) }
                }
            }
            return found
        }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws(BlobStoreError) -> T {
        do { return try await BlockingIO.run(work) } catch let error as BlobStoreError { throw error } catch {
            throw .unavailable(String(describing: error))
        }
    }
}

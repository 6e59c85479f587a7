import Foundation
import VaultCore

/// Resumable uploads for the crash test: each object's bytes are a function of the round that started its
/// upload (kept in the upload's user metadata), so an upload a kill interrupted is resumed with the very bytes
/// it began with, and the test can check every object against its round.
struct ResumableDrill {
    static let bucket = "drill-resumable"
    static let keys = (0..<4).map { "tus/object-\($0).bin" }
    static let piece = 16 * 1024
    static let globalLimit = 1 << 24

    let uploads: ResumableUploadStore

    /// The bytes of `key` uploaded in `round`.
    static func bytes(round: String, key: String) -> [UInt8] {
        var generator = SeededBytes(seed: "\(round)-\(key)")
        let size = 40_000 + (key.utf8.reduce(0) { $0 + Int($1) } * 977) % 60_000
        return (0..<size).map { _ in generator.next() }
    }

    static func round(of userMetadata: String?) -> String? {
        guard let text = userMetadata, let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            return nil
        }
        return object["round"] as? String
    }

    func run(round: String) throws {
        let objects = uploads.objects
        _ = try objects.catalog.ensureBucket(
            BucketRecord(
                id: Self.bucket, name: Self.bucket, isPublic: false, fileSizeLimit: nil, allowedMimeTypes: nil, createdAt: 0, updatedAt: 0))
        _ = try uploads.recover(globalLimit: Self.globalLimit)
        FileHandle.standardOutput.write(Data("ready\n".utf8))
        // Uploads a kill left in progress, finished with the bytes of the round that began them.
        for upload in try uploads.all() {
            guard let begun = Self.round(of: upload.userMetadata) else { continue }
            try finish(upload, bytes: Self.bytes(round: begun, key: upload.key))
        }
        for key in Self.keys {
            let now = Date().timeIntervalSince1970
            let bytes = Self.bytes(round: round, key: key)
            let upload = ResumableUpload(
                id: ResumableUploadStore.newId(), bucket: Self.bucket, key: key, length: bytes.count, mimeType: "application/octet-stream",
                cacheControl: "no-cache", userMetadata: #"{"round":"\#(round)"}"#, upsert: true, metadataHeader: "",
                createdAt: now, expiresAt: now + 86_400)
            try uploads.create(upload)
            try finish(upload, bytes: bytes)
        }
        FileHandle.standardOutput.write(Data("uploaded round \(round)\n".utf8))
    }

    /// Appends the rest of `bytes` in checkpointed pieces, as PATCHes would, and commits.
    func finish(_ upload: ResumableUpload, bytes: [UInt8]) throws {
        var current = upload
        if !current.isComplete {
            let writer = try uploads.writer(for: current)
            var offset = current.offset
            while offset < bytes.count {
                let end = min(offset + Self.piece, bytes.count)
                try writer.append(Array(bytes[offset..<end]))
                try writer.checkpoint()
                offset = end
            }
            current = try writer.close()
        }
        _ = try uploads.complete(current, globalLimit: Self.globalLimit)
    }
}

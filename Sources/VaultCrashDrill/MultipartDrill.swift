import Foundation
import VaultCore

/// S3 multipart uploads for the crash test: three objects a round, each from three parts whose bytes are a
/// function of the round (kept in the upload's metadata), completed through `MultipartUploadStore`. A start
/// recovers completions a kill interrupted (as the server does) and aborts uploads that never got as far as
/// completing, as an S3 client would start them over.
struct MultipartDrill {
    static let bucket = "drill-multipart"
    static let keys = (0..<3).map { "s3/object-\($0).bin" }
    static let globalLimit = 1 << 24

    let store: MultipartUploadStore

    static func part(round: String, key: String, number: Int) -> [UInt8] {
        var generator = SeededBytes(seed: "\(round)-\(key)-\(number)")
        return (0..<(20_000 + number * 3_001)).map { _ in generator.next() }
    }

    func run(round: String) throws {
        let objects = store.objects
        _ = try objects.catalog.ensureBucket(
            BucketRecord(
                id: Self.bucket, name: Self.bucket, isPublic: false, fileSizeLimit: nil, allowedMimeTypes: nil, createdAt: 0, updatedAt: 0))
        _ = try store.recover(globalLimit: Self.globalLimit)
        for upload in try store.all() where upload.completion == nil { try store.remove(upload.id) }
        FileHandle.standardOutput.write(Data("ready\n".utf8))
        for key in Self.keys {
            let upload = MultipartUpload(
                id: ResumableUploadStore.newId(), bucket: Self.bucket, key: key, mimeType: "application/octet-stream",
                cacheControl: "no-cache", userMetadata: #"{"round":"\#(round)"}"#, createdAt: Date().timeIntervalSince1970)
            try store.create(upload)
            var parts: [(number: Int, sha256: String)] = []
            for number in 1...3 {
                let file = try StagingFile(directory: objects.directory, limit: Self.globalLimit)
                try file.append(Self.part(round: round, key: key, number: number))
                parts.append((number, try store.putPart(try file.finish(), number: number, of: upload.id)))
            }
            _ = try store.complete(upload.id, parts: parts, globalLimit: Self.globalLimit)
        }
        FileHandle.standardOutput.write(Data("completed round \(round)\n".utf8))
    }
}

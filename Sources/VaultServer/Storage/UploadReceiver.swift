import Foundation
import Hummingbird
import VaultCore

/// Reads a Storage upload's body as it streams in and stages the file on disk, so an upload of any size costs
/// bounded memory: a multipart body goes through `MultipartStreamParser`, a raw body straight to the file.
///
/// The file is the first part with a filename, else the last part that is not a known form field
/// (`cacheControl`, `metadata`): storage3 names it `file`, supabase-js sends an empty name. Since the choice can
/// only be made at the end, each candidate part is staged in its own temp file and the others are discarded.
/// Small form fields are held in memory, bounded. A `contentType` field overrides the file part's own type;
/// a raw body takes its user metadata from `x-metadata` (base64 of a JSON object), as upstream reads them.
struct UploadReceiver {
    /// Where the bytes are staged (this node's data directory).
    let staging: DataDirectory
    /// The bucket's settings: a type it refuses is refused before the body is read.
    let policy: BucketRecord

    static let knownFields: Set<String> = ["cacheControl", "metadata", "contentType"]
    /// A form field (cacheControl, metadata) larger than this is refused.
    static let maximumFieldBytes = 64 * 1024
    /// Parts that could be the file; more is not an upload a client sends.
    static let maximumFileParts = 4
    /// Bytes gathered before each write to the staging file: few, large writes off the event loop.
    static let writeBatchBytes = 1 << 20

    struct Received: Sendable {
        let file: StagingFile
        let staged: StagingFile.Staged
        let mimeType: String
        let cacheControl: String
        let userMetadata: String?
    }

    /// Stages the upload's file (at most `limit` bytes). On any error every temp file is removed.
    func receive(_ request: Request, key: String, limit: Int) async throws -> Received {
        let contentType = request.headers[.contentType] ?? ""
        if let boundary = MultipartFormData.boundary(fromContentType: contentType) {
            return try await receiveMultipart(request.body, boundary: boundary, key: key, limit: limit)
        }
        let mimeType = contentType.isEmpty ? "application/octet-stream" : contentType
        try ObjectAdmission.checkMimeType(mimeType, key: key, in: policy)  // refuse before reading a byte of the body
        let metadata = try request.headers[.xMetadata].map(Self.decodedMetadataHeader)
        let sink = StagingSink(file: try StagingFile(directory: staging, limit: limit))
        do {
            for try await buffer in request.body { try await sink.write(buffer.readableBytesView) }
            let staged = try await sink.finish()
            return Received(
                file: sink.file, staged: staged, mimeType: mimeType,
                cacheControl: StorageRoutes.cacheControlValue(request.headers[.cacheControl]), userMetadata: metadata)
        } catch {
            sink.file.discard()
            throw error
        }
    }

    private struct Candidate {
        let headers: MultipartStreamParser.PartHeaders
        let sink: StagingSink
    }

    /// `x-metadata`: base64 of a JSON object, kept as the object's user metadata.
    static func decodedMetadataHeader(_ value: String) throws -> String {
        guard value.utf8.count <= maximumFieldBytes * 2, let data = Data(base64Encoded: value.trimmingCharacters(in: .whitespaces)),
            (try? JSONSerialization.jsonObject(with: data)) is [String: Any]
        else { throw SupabaseError.invalidRequest("x-metadata must be base64 of a JSON object") }
        return String(decoding: data, as: UTF8.self)
    }

    private func receiveMultipart(_ body: RequestBody, boundary: String, key: String, limit: Int) async throws -> Received {
        var parser = MultipartStreamParser(boundary: boundary)
        var candidates: [Candidate] = []
        var fields: [String: [UInt8]] = [:]
        var currentField: String?
        var current: StagingSink?
        do {
            for try await buffer in body {
                let events: [MultipartStreamParser.Event]
                do { events = try parser.feed(buffer.readableBytesView) } catch {
                    throw SupabaseError.invalidRequest("unreadable multipart body: \(error.message)")
                }
                for event in events {
                    switch event {
                    case let .partBegan(headers):
                        if headers.filename == nil, Self.knownFields.contains(headers.name) {
                            currentField = fields[headers.name] == nil ? headers.name : nil  // the first of a name counts
                            if let name = currentField { fields[name] = [] }
                            continue
                        }
                        guard candidates.count < Self.maximumFileParts else {
                            throw SupabaseError.invalidRequest("multipart body has more than \(Self.maximumFileParts) file parts")
                        }
                        if headers.filename != nil {
                            let declared = fields["contentType"].map { String(decoding: $0, as: UTF8.self) } ?? Self.mimeType(of: headers)
                            try ObjectAdmission.checkMimeType(declared, key: key, in: policy)
                        }
                        let sink = StagingSink(file: try StagingFile(directory: staging, limit: limit))
                        candidates.append(Candidate(headers: headers, sink: sink))
                        current = sink
                    case let .body(bytes):
                        if let sink = current {
                            try await sink.write(bytes)
                        } else if let name = currentField {
                            fields[name, default: []] += bytes
                            guard fields[name, default: []].count <= Self.maximumFieldBytes else {
                                throw SupabaseError.invalidRequest(
                                    "multipart field '\(name)' is larger than \(Self.maximumFieldBytes) bytes")
                            }
                        }
                    case .partEnded:
                        if let sink = current { try await sink.flush() }
                        current = nil
                        currentField = nil
                    }
                }
            }
            do { try parser.finish() } catch { throw SupabaseError.invalidRequest("unreadable multipart body: \(error.message)") }
            guard let chosen = candidates.first(where: { $0.headers.filename != nil }) ?? candidates.last else {
                throw SupabaseError.invalidRequest("multipart body has no file part")
            }
            for other in candidates where other.sink !== chosen.sink { other.sink.file.discard() }
            let metadata = fields["metadata"].map { String(decoding: $0, as: UTF8.self) }
            if let metadata, (try? JSONSerialization.jsonObject(with: Data(metadata.utf8))) as? [String: Any] == nil {
                throw SupabaseError.invalidRequest("metadata must be a JSON object")
            }
            let staged = try await chosen.sink.finish()
            let override = fields["contentType"].map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespaces) }
            return Received(
                file: chosen.sink.file, staged: staged,
                mimeType: override.flatMap { $0.isEmpty ? nil : $0 } ?? Self.mimeType(of: chosen.headers),
                cacheControl: StorageRoutes.cacheControlValue(fields["cacheControl"].map { String(decoding: $0, as: UTF8.self) }),
                userMetadata: metadata)
        } catch {
            for candidate in candidates { candidate.sink.file.discard() }
            throw error
        }
    }

    static func mimeType(of headers: MultipartStreamParser.PartHeaders) -> String {
        headers.contentType.flatMap { $0.isEmpty ? nil : $0 } ?? "application/octet-stream"
    }
}

/// Batches bytes for a staging file and writes them off the event loop, a megabyte at a time. The size limit
/// is checked as bytes arrive, so an oversized upload stops at the first byte too many.
/// Owned by the one request handler that receives the upload; never shared between tasks.
final class StagingSink {
    let file: StagingFile
    private var pending: [UInt8] = []
    private var total = 0

    init(file: StagingFile) {
        self.file = file
    }

    func write(_ bytes: some Collection<UInt8>) async throws {
        total += bytes.count
        guard total <= file.limit else { throw ObjectStore.Failure.tooLarge(limit: file.limit) }
        pending.append(contentsOf: bytes)
        if pending.count >= UploadReceiver.writeBatchBytes { try await flush() }
    }

    func flush() async throws {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        let file = file
        try await BlockingIO.run { try file.append(batch) }
    }

    func finish() async throws -> StagingFile.Staged {
        try await flush()
        let file = file
        return try await BlockingIO.run { try file.finish() }
    }
}

import HTTPTypes
import Synchronization
import VaultCore

/// The representation of an audio file as every download of it states it (validators, type, caching headers,
/// rendered as `HTTPFields`), built once per file instead of per request: building the entity tag and the
/// fields, each value validated, was a tenth of a range answer (Docs/PERFORMANCE.md, "Descriptors kept open").
///
/// A pure memo: the key is everything the value is made from (the file's checksum, age and length), so an
/// entry can never disagree with the record just read, whatever was deleted or stored since; nothing needs
/// invalidating. Bounded: past `capacity` entries it starts again empty.
final class RepresentationMemo: Sendable {
    struct Key: Hashable, Sendable {
        let sha256: SHA256Digest
        let lastModified: Int64
        let length: Int
    }

    private let entries = Mutex<[Key: DownloadRepresentation]>([:])
    let capacity: Int

    init(capacity: Int = 4_096) {
        self.capacity = capacity
    }

    /// The representation of the audio `fields` describe, without a `Content-Disposition`.
    func representation(of fields: AssetDownloadFields) -> DownloadRepresentation {
        let key = Key(sha256: fields.sha256, lastModified: Int64(fields.createdAt.rounded(.down)), length: fields.byteSize)
        if let known = entries.withLock({ $0[key] }) { return known }
        var made = DownloadRepresentation(
            facts: DownloadFacts(length: UInt64(key.length), entityTag: "\"\(key.sha256.hex)\"", lastModified: key.lastModified),
            contentType: "audio/mpeg", cacheControl: DownloadRoutes.cacheControl, contentDisposition: nil)
        made.prepared = PreparedFields(DownloadResponder.commonHeaders(made))
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = made
        }
        return made
    }

    var count: Int { entries.withLock { $0.count } }
}

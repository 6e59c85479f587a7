#if canImport(Glibc)
import Glibc
#endif
public import Foundation
import Synchronization

/// A cluster node's own copies of blobs it has served or received, as files `<directory>/<sha256>`, so an
/// object's download is answered from a local file with the same range and conditional logic as anywhere
/// else, and fetched from the blob store once per node rather than once per request.
///
/// Bounded by `limit` bytes: past it the copies used longest ago go, but never one used within `graceSeconds`
/// (a download may be about to open it). A copy's name only ever holds its whole bytes (written to a temp file,
/// fsynced, renamed), and bytes under a digest never change, so a copy is never stale, only perhaps unneeded.
public final class LocalBlobCopies: Sendable {
    public let directory: String
    public let limit: Int
    let graceSeconds: Double
    private struct Entry {
        var size: Int
        var usedAt: Double
    }
    private let entries: Mutex<[SHA256Digest: Entry]>

    /// Opens the directory, removing temp files a crash left, and counts the copies already there.
    public init(directory: String, limit: Int, graceSeconds: Double = 60) throws {
        self.directory = directory
        self.limit = max(0, limit)
        self.graceSeconds = graceSeconds
        try FileSystem.makeDirectories(directory)
        var found: [SHA256Digest: Entry] = [:]
        for name in try FileSystem.contents(of: directory) {
            let path = directory + "/" + name
            guard let digest = SHA256Digest(hex: name) else {
                if name.hasSuffix(".part") { try? FileSystem.removeFile(path) }
                continue
            }
            if let status = try FileSystem.status(path) { found[digest] = Entry(size: status.size, usedAt: 0) }
        }
        entries = Mutex(found)
    }

    public func path(_ blob: SHA256Digest) -> String { directory + "/" + blob.hex }

    /// The copy's path when this node holds it, marking it used.
    public func held(_ blob: SHA256Digest, now: Double = Date().timeIntervalSince1970) -> String? {
        let known = entries.withLock { entries -> Bool in
            guard entries[blob] != nil else { return false }
            entries[blob]?.usedAt = now
            return true
        }
        guard known, FileSystem.exists(path(blob)) else {
            if known { _ = entries.withLock { $0.removeValue(forKey: blob) } }
            return nil
        }
        return path(blob)
    }

    /// Keeps `bytes` as the copy of `blob` (durably, by rename), then trims the copies to the limit. Blocks.
    public func keep(_ bytes: [UInt8], as blob: SHA256Digest) throws {
        let temporary = path(blob) + "." + UUID().uuidString.lowercased() + ".part"
        try DurableFile.replace(path(blob), with: bytes, directory: directory, temporary: temporary)
        record(blob, size: bytes.count)
    }

    /// Moves the finished file at `file` (the node's own upload, already fsynced) in as the copy of `blob`.
    public func adopt(file: String, size: Int, as blob: SHA256Digest) throws {
        try FileSystem.rename(file, to: path(blob))
        record(blob, size: size)
    }

    /// Drops the copy of a blob the cluster no longer holds.
    public func forget(_ blob: SHA256Digest) {
        _ = entries.withLock { $0.removeValue(forKey: blob) }
        try? FileSystem.removeFile(path(blob))
    }

    public var storedBytes: Int { entries.withLock { $0.values.reduce(0) { $0 + $1.size } } }

    private func record(_ blob: SHA256Digest, size: Int) {
        let now = Date().timeIntervalSince1970
        let victims = entries.withLock { entries -> [SHA256Digest] in
            entries[blob] = Entry(size: size, usedAt: now)
            var total = entries.values.reduce(0) { $0 + $1.size }
            guard total > limit else { return [] }
            var victims: [SHA256Digest] = []
            for (digest, entry) in entries.sorted(by: { $0.value.usedAt < $1.value.usedAt }) {
                guard total > limit, now - entry.usedAt >= graceSeconds else { break }
                victims.append(digest)
                total -= entry.size
                entries[digest] = nil
            }
            return victims
        }
        for victim in victims { try? FileSystem.removeFile(path(victim)) }
    }
}

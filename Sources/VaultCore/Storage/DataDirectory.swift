#if canImport(Glibc)
import Glibc
#endif

/// The layout of one VoiceVault data directory:
///
///     <root>/audio/<bookId>/<hash>.mp3   published audio (hard links when several books share a hash)
///     <root>/tmp/                        temp files being written; swept at start
///     <root>/index/                      LMDB environment (data.mdb, lock.mdb)
///     <root>/quarantine/                 files fsck --repair moved aside
///     <root>/objects/<version>           bytes of Storage-API uploads, one file per written version
///     <root>/uploads/<id>.json|.part     resumable (TUS) uploads in progress: manifest and bytes so far
///     <root>/multipart/<id>/             S3 multipart uploads in progress: manifest and one file per part
///     <root>/signing.key                 secret for signed URLs (created on first start, mode 0600)
///     <root>/usage.sqlite                the usage ledger (SQLite, WAL: also -wal and -shm)
///     <root>/jobs.sqlite                 pre-generation jobs and their items (SQLite, WAL)
///     <root>/voicevault.lock             exclusive lock held by the one process using the directory
///
/// `tmp` lives inside the data directory so that a temp file and its final path are on one filesystem and
/// `link(2)` can publish it atomically.
public struct DataDirectory: Sendable, Equatable {
    public let root: String

    /// `root` is made canonical (`realpath`): links in the path *to* the data directory are the operator's
    /// (`/var/lib/voicevault` on another disk, say) and are resolved once here, so that no path under it
    /// legitimately passes through a link and `FileSystem` can refuse every one it meets (Docs/OPERATIONS.md).
    /// A root that does not exist yet is resolved through its parent.
    public init(root: String) {
        var trimmed = root
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = Self.canonical(trimmed)
    }

    static func canonical(_ path: String) -> String {
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        guard let slash = path.lastIndex(of: "/") else {
            return path == "." || path == ".." ? path : canonical(".") + "/" + path
        }
        let parent = slash == path.startIndex ? "/" : String(path[..<slash])
        let name = path[path.index(after: slash)...]
        guard let resolved = realpath(parent, nil) else { return path }
        defer { free(resolved) }
        let base = String(cString: resolved)
        return (base == "/" ? "" : base) + "/" + name
    }

    public var audio: String { root + "/audio" }
    public var temporary: String { root + "/tmp" }
    public var index: String { root + "/index" }
    public var quarantine: String { root + "/quarantine" }
    public var lockFile: String { root + "/voicevault.lock" }
    public var objects: String { root + "/objects" }
    /// A cluster node's copies of the cluster's Storage objects, by blob digest (`LocalBlobCopies`).
    public var objectCopies: String { root + "/object-copies" }
    /// Resumable uploads in progress (`ResumableUploadStore`).
    public var uploads: String { root + "/uploads" }
    /// S3 multipart uploads in progress (`MultipartUploadStore`).
    public var multipart: String { root + "/multipart" }
    public var signingKeyFile: String { root + "/signing.key" }
    /// The usage ledger (SQLite, WAL; `UsageLedger`).
    public var ledgerFile: String { root + "/usage.sqlite" }
    /// Pre-generation jobs (`JobStore`).
    public var jobsFile: String { root + "/jobs.sqlite" }

    /// The file holding one version of an uploaded object; versions are generated UUIDs, never client input.
    public func objectFile(version: String) -> String { objects + "/" + version }

    public func bookDirectory(_ bookId: StorageIdentifier) -> String { audio + "/" + bookId.value }

    /// `<book>/<hash>.<extension>`, the extension the asset's `output_format` names (`AudioFormat`): `mp3` for
    /// every MP3 format, as every asset was named before the other formats were stored.
    public func audioFile(book bookId: StorageIdentifier, hash: SHA256Digest, format: String) -> String {
        audioFile(book: bookId, hash: hash, fileExtension: AudioFormat.fileExtension(of: format))
    }

    /// `<book>/<hash>.<fileExtension>`, for a name already parsed (a Storage key, a download's path).
    public func audioFile(book bookId: StorageIdentifier, hash: SHA256Digest, fileExtension: String) -> String {
        bookDirectory(bookId) + "/" + hash.hex + "." + fileExtension
    }

    /// Creates the directory tree (idempotent).
    public func prepare() throws(SystemError) {
        var created = try FileSystem.makeDirectory(root)
        for path in [audio, temporary, index, quarantine, objects, uploads, multipart] {
            if try FileSystem.makeDirectory(path) { created = true }
        }
        if created { try FileSystem.syncDirectory(root) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Foundation

/// Content-addressed audio on disk plus its LMDB index, kept consistent under crashes.
///
/// The invariant every method keeps: an index record only ever names files that exist, whole, with the
/// recorded size and sha256. Files are therefore made durable before the record that names them is
/// committed, and records are removed before the files they name. A crash at any instant leaves at worst an
/// unindexed file or a temp file, which the start-up sweep and fsck deal with.
///
/// Methods block on disk I/O; call them from a thread that may block, not from an event loop.
public final class AssetStore: Sendable {
    public let directory: DataDirectory
    public let index: AssetIndex
    private let observer: PublicationObserver?
    private let deletionObserver: DeletionObserver?
    private let hashLocks = StripedLock()
    /// Told after each audio file is unlinked, for whoever holds descriptors open.
    public let linkRemovals = AudioLinkRemovals()

    public init(
        directory: DataDirectory, index: AssetIndex, observer: PublicationObserver? = nil,
        deletionObserver: DeletionObserver? = nil
    ) {
        self.directory = directory
        self.index = index
        self.observer = observer
        self.deletionObserver = deletionObserver
    }

    /// Prepares the directory tree and opens the index in it. The caller must hold the directory lock.
    public static func open(
        directory: DataDirectory, options: LMDBEnvironment.Options = .init(), observer: PublicationObserver? = nil,
        deletionObserver: DeletionObserver? = nil
    ) throws -> AssetStore {
        try directory.prepare()
        let index = try AssetIndex(directory: directory.index, options: options)
        return AssetStore(directory: directory, index: index, observer: observer, deletionObserver: deletionObserver)
    }

    public func record(for hash: SHA256Digest) throws -> AssetRecord? {
        try index.record(for: hash)
    }

    // MARK: Publishing

    /// Stores `audio` as the asset `hash` for `bookId` and returns its record.
    ///
    /// - If the asset already exists, the book is linked to the existing bytes (first writer wins: bytes
    ///   under a hash never change) and `audio` is ignored.
    /// - `audio` must be a complete MP3; otherwise nothing is written and `StoreError.invalidAudio` is thrown.
    public func publish(
        _ audio: [UInt8], hash: SHA256Digest, bookId: StorageIdentifier, metadata: AssetMetadata,
        now: Date = Date()
    ) throws -> AssetRecord {
        let mp3: InspectedMP3
        do { mp3 = try InspectedMP3(audio) } catch { throw StoreError.invalidAudio(error) }
        return try publishTimed(mp3, hash: hash, bookId: bookId, metadata: metadata, now: now).record
    }

    /// How long the two halves of a publication took: making the file durable, and committing the record.
    public struct PublishTimings: Sendable, Equatable {
        public var writeSeconds: Double = 0
        /// The part of `writeSeconds` spent waiting for fsync (the file's and its directory's).
        public var fsyncSeconds: Double = 0
        public var indexSeconds: Double = 0
    }

    /// `publish` of audio already inspected (by the synthesizer that made it), also reporting where the time
    /// went (for the request log).
    ///
    /// - Parameter alignment: when each character is spoken, committed with the record that it belongs to.
    public func publishTimed(
        _ mp3: InspectedMP3, hash: SHA256Digest, bookId: StorageIdentifier, metadata: AssetMetadata,
        alignment: SpeechAlignment? = nil, now: Date = Date()
    ) throws -> (record: AssetRecord, timings: PublishTimings) {
        let audio = mp3.bytes
        let encodedAlignment = try Self.encode(alignment)
        let clock = ContinuousClock()
        let start = clock.now
        var timings = PublishTimings()
        return try hashLocks.withLock(for: hash) {
            if let existing = try index.record(for: hash) {
                return (try linkLocked(existing, hash: hash, to: bookId), timings)
            }
            let temp = try writeTemporaryFile(audio, hash: hash, fsyncSeconds: &timings.fsyncSeconds)
            return try commitLocked(
                temp: temp, size: audio.count, digest: SHA256Digest.of(audio), duration: mp3.info.durationSeconds,
                hash: hash, bookId: bookId, metadata: metadata, alignment: encodedAlignment, now: now,
                start: start, timings: timings)
        }
    }

    /// A temp file for audio that arrives piece by piece (a streamed generation), to publish with
    /// `publishStaged` once it is whole.
    public func stage(_ hash: SHA256Digest, format: String = OutputFormat.default) throws -> StagedAudio {
        let checked = AudioFormat(outputFormat: format) ?? AudioFormat(outputFormat: OutputFormat.default)
        guard let checked else { throw StoreError.invalidAudio(.empty) }
        return try StagedAudio(directory: directory, hash: hash, format: checked, observer: observer)
    }

    /// Publishes staged audio that `StagedAudio.seal` proved whole and made durable, in the same order as
    /// `publishTimed` from the link on. When the asset appeared meanwhile (first writer wins), the book is
    /// linked to it and the staged file is removed.
    public func publishStaged(
        _ sealed: StagedAudio.Sealed, hash: SHA256Digest, bookId: StorageIdentifier, metadata: AssetMetadata,
        alignment: SpeechAlignment? = nil, now: Date = Date()
    ) throws -> (record: AssetRecord, timings: PublishTimings) {
        let encodedAlignment = try Self.encode(alignment)
        let start = ContinuousClock.now
        return try hashLocks.withLock(for: hash) {
            if let existing = try index.record(for: hash) {
                try? FileSystem.removeFile(sealed.path)
                return (try linkLocked(existing, hash: hash, to: bookId), PublishTimings())
            }
            return try commitLocked(
                temp: sealed.path, size: sealed.size, digest: sealed.sha256, duration: sealed.durationSeconds,
                hash: hash, bookId: bookId, metadata: metadata, alignment: encodedAlignment, now: now,
                start: start, timings: PublishTimings())
        }
    }

    static func encode(_ alignment: SpeechAlignment?) throws -> [UInt8]? {
        do { return try alignment.map(SpeechAlignmentCodec.encode) } catch { throw StoreError.invalidAlignment(error) }
    }

    /// The second half of every publication, under the hash's lock, once the temp file is durable: link it into
    /// the book (keeping an unindexed file already there if it is whole audio), make the link durable, commit
    /// the record with its timings, remove the temp name.
    private func commitLocked(
        temp: String, size: Int, digest: SHA256Digest, duration: Double, hash: SHA256Digest, bookId: StorageIdentifier,
        metadata: AssetMetadata, alignment encodedAlignment: [UInt8]?, now: Date, start: ContinuousClock.Instant,
        timings: PublishTimings
    ) throws -> (record: AssetRecord, timings: PublishTimings) {
        let clock = ContinuousClock()
        var timings = timings
        let finalPath = directory.audioFile(book: bookId, hash: hash, format: metadata.outputFormat)
        try prepareBookDirectory(bookId)
        var size = size
        var digest = digest
        var duration = duration
        if !(try FileSystem.link(temp, to: finalPath)) {
            // An unindexed file from an interrupted earlier publication. It was linked only after its bytes
            // were durable, so it is whole: keep it (first writer wins) if it is valid audio, else set it aside.
            let bytes = try FileSystem.readFile(finalPath)
            let format = AudioFormat(outputFormat: metadata.outputFormat) ?? AudioFormat(outputFormat: OutputFormat.default)
            if let format, let existing = try? AudioInspection.durationSeconds(bytes, format: format) {
                size = bytes.count
                digest = SHA256Digest.of(bytes)
                duration = existing
            } else {
                try quarantine(finalPath)
                linkRemovals.linkRemoved(hash)
                guard try FileSystem.link(temp, to: finalPath) else {
                    throw SystemError(errno: EEXIST, operation: "link", path: finalPath)
                }
            }
        }
        observer?(.linked)
        let directorySync = clock.now
        try FileSystem.syncDirectory(directory.bookDirectory(bookId))
        timings.fsyncSeconds += (clock.now - directorySync).seconds
        observer?(.directorySynced)
        let durable = clock.now
        timings.writeSeconds = (durable - start).seconds

        let record = try index.update(hash, alignment: encodedAlignment) { current in
            var record =
                current
                ?? Self.newRecord(
                    hash: hash, bookId: bookId, metadata: metadata, size: size, sha256: digest, duration: duration, now: now)
            record.addBook(bookId.value)
            return record
        }
        observer?(.indexCommitted)
        timings.indexSeconds = (clock.now - durable).seconds
        try FileSystem.removeFile(temp)
        observer?(.tempRemoved)
        guard let record else { throw StoreError.notFound(hash: hash.hex) }
        return (record, timings)
    }

    /// The record a publication makes when its hash has none: what the caller knows and what the store measured.
    /// A cluster node shares exactly this record before publishing it locally.
    public static func newRecord(
        hash: SHA256Digest, bookId: StorageIdentifier, metadata: AssetMetadata, size: Int, sha256: SHA256Digest,
        duration: Double, now: Date
    ) -> AssetRecord {
        AssetRecord(
            contentHash: hash.hex, bookIds: [bookId.value], voiceId: metadata.voiceId, modelId: metadata.modelId,
            outputFormat: metadata.outputFormat, byteSize: size, sha256: sha256.hex, durationSeconds: duration,
            wordCount: metadata.wordCount, characterCount: metadata.characterCount, createdAt: now.timeIntervalSince1970,
            upstreamRequestId: metadata.upstreamRequestId, characterCost: metadata.characterCost, origin: metadata.origin,
            upstreamHistoryItemId: metadata.upstreamHistoryItemId)
    }

    /// Makes an existing asset available under another book: a hard link to the same bytes, then the record.
    public func link(_ hash: SHA256Digest, to bookId: StorageIdentifier) throws -> AssetRecord {
        try hashLocks.withLock(for: hash) {
            guard let record = try index.record(for: hash) else { throw StoreError.notFound(hash: hash.hex) }
            return try linkLocked(record, hash: hash, to: bookId)
        }
    }

    private func linkLocked(_ record: AssetRecord, hash: SHA256Digest, to bookId: StorageIdentifier) throws
        -> AssetRecord
    {
        let destination = directory.audioFile(book: bookId, hash: hash, format: record.outputFormat)
        if record.bookIds.contains(bookId.value), try FileSystem.status(destination) != nil {
            return record
        }
        let source = try readableSource(for: record, hash: hash)
        try prepareBookDirectory(bookId)
        if !(try FileSystem.link(source.path, to: destination)) {
            // Something is already there: keep it only if it is these very bytes.
            let existing = try FileSystem.status(destination)
            let isSame = existing.map { $0.isSameFile(as: source.status) } ?? false
            if !isSame {
                let facts = try FileSystem.digest(of: destination)
                if facts.size != record.byteSize || facts.sha256.hex != record.sha256 {
                    try quarantine(destination)
                    linkRemovals.linkRemoved(hash)
                    guard try FileSystem.link(source.path, to: destination) else {
                        throw SystemError(errno: EEXIST, operation: "link", path: destination)
                    }
                }
            }
        }
        observer?(.linked)
        try FileSystem.syncDirectory(directory.bookDirectory(bookId))
        observer?(.directorySynced)
        let updated = try index.update(hash) { current in
            guard var current else { return nil }
            current.addBook(bookId.value)
            return current
        }
        observer?(.indexCommitted)
        guard let updated else { throw StoreError.notFound(hash: hash.hex) }
        return updated
    }

    /// A book file of `record` that exists with the recorded size, to link new books to.
    private func readableSource(for record: AssetRecord, hash: SHA256Digest) throws -> (path: String, status: FileStatus) {
        for book in record.bookIds {
            guard let id = try? StorageIdentifier(book, kind: .bookId) else { continue }
            let path = directory.audioFile(book: id, hash: hash, format: record.outputFormat)
            if let status = try FileSystem.status(path), status.isRegularFile, status.size == record.byteSize {
                return (path, status)
            }
        }
        throw StoreError.missingFile(hash: hash.hex)
    }

    // MARK: Deleting
    //
    // Every deletion takes the asset's hash lock (so it and a publication or link of the same hash happen one
    // after the other, never interleaved), commits the index change first, then removes links, then makes the
    // removals durable: a crash leaves at worst unindexed files, which fsck quarantines.

    /// Removes a book: its references first, then its files. Audio still referenced by other books keeps its
    /// other links and stays intact; audio left with no book goes with its record. Nil when the book references
    /// nothing.
    @discardableResult
    public func removeBook(_ bookId: StorageIdentifier) throws -> Removal? {
        let hashes = try index.hashes(forBook: bookId)
        var removal = Removal()
        for hash in hashes {
            try hashLocks.withLock(for: hash) {
                if let one = try unlinkLocked(hash, from: bookId) { removal.add(one) }
            }
        }
        let bookDirectory = directory.bookDirectory(bookId)
        if FileSystem.isDirectory(bookDirectory) {
            try FileSystem.syncDirectory(bookDirectory)
            deletionObserver?(.removalSynced)
            try FileSystem.removeEmptyDirectory(bookDirectory)
            try FileSystem.syncDirectory(directory.audio)
        }
        return hashes.isEmpty ? nil : removal
    }

    /// Removes one book's reference to one asset: the record first (dropped when no book is left), then that
    /// book's file. Other books' links to the same bytes are untouched. Nil when the book did not reference
    /// the asset.
    @discardableResult
    public func unlink(_ hash: SHA256Digest, from bookId: StorageIdentifier) throws -> Removal? {
        try hashLocks.withLock(for: hash) {
            guard let removal = try unlinkLocked(hash, from: bookId) else { return nil }
            try syncRemoval(in: bookId)
            deletionObserver?(.removalSynced)
            return removal
        }
    }

    private func unlinkLocked(_ hash: SHA256Digest, from bookId: StorageIdentifier) throws -> Removal? {
        var before: AssetRecord?
        var recordGone = false
        try index.update(hash) { current in
            guard var current, current.bookIds.contains(bookId.value) else { return current }
            before = current
            current.removeBook(bookId.value)
            recordGone = current.bookIds.isEmpty
            return recordGone ? nil : current
        }
        guard let before else { return nil }
        deletionObserver?(.referenceDropped)
        try FileSystem.removeFile(directory.audioFile(book: bookId, hash: hash, format: before.outputFormat))
        linkRemovals.linkRemoved(hash)
        deletionObserver?(.linkRemoved)
        var removal = Removal()
        removal.books = [bookId.value]
        removal.links = 1
        if recordGone {
            removal.assetsRemoved = 1
            removal.bytesFreed = before.byteSize
        }
        return removal
    }

    /// Removes an asset from every book that references it: the record, then every link (the last one frees
    /// the bytes). Nil when the index has no such asset.
    @discardableResult
    public func remove(_ hash: SHA256Digest) throws -> Removal? {
        try hashLocks.withLock(for: hash) {
            var removed: AssetRecord?
            try index.update(hash) { current in
                removed = current
                return nil
            }
            guard let record = removed else { return nil }
            return try removeLinksLocked(record, hash: hash)
        }
    }

    /// What `evict` did: removed the asset, found it pinned, or found it gone.
    public enum Eviction: Sendable, Equatable {
        case evicted(Removal)
        case pinned
        case absent
    }

    /// `remove` for the disk quota: the same crash-safe order, but the record goes only if no pinned book
    /// references it, decided in the transaction that deletes it (`AssetIndex.removeUnlessPinned`).
    public func evict(_ hash: SHA256Digest) throws -> Eviction {
        try hashLocks.withLock(for: hash) {
            let (removed, pinned) = try index.removeUnlessPinned(hash)
            if pinned { return .pinned }
            guard let record = removed else { return .absent }
            return .evicted(try removeLinksLocked(record, hash: hash))
        }
    }

    /// The second half of removing an asset, once its record is gone: every book's link, each removal made
    /// durable.
    private func removeLinksLocked(_ record: AssetRecord, hash: SHA256Digest) throws -> Removal {
        deletionObserver?(.referenceDropped)
        var removal = Removal()
        removal.books = record.bookIds
        removal.assetsRemoved = 1
        removal.bytesFreed = record.byteSize
        for book in record.bookIds {
            guard let id = try? StorageIdentifier(book, kind: .bookId) else { continue }
            let path = directory.audioFile(book: id, hash: hash, format: record.outputFormat)
            if try FileSystem.status(path) != nil {
                try FileSystem.removeFile(path)
                linkRemovals.linkRemoved(hash)
                removal.links += 1
                deletionObserver?(.linkRemoved)
            }
            try syncRemoval(in: id)
            deletionObserver?(.removalSynced)
        }
        return removal
    }

    /// Makes a link's removal from a book directory durable. The directory may be gone already: a concurrent
    /// `removeBook` removes a book's directory once it is empty (ours was its last file) and syncs `audio/`
    /// after, which makes this removal durable with it. The index changed first either way, so a crash can
    /// leave at worst an unindexed file.
    private func syncRemoval(in bookId: StorageIdentifier) throws(SystemError) {
        let path = directory.bookDirectory(bookId)
        do { try FileSystem.syncDirectory(path) } catch  where error.errno == ENOENT && !FileSystem.exists(path) {}
    }

    // MARK: Start-up

    /// Deletes temp files left by interrupted publications and returns how many there were. Only safe while
    /// holding the directory lock, before any publication starts.
    public func sweepTemporaryFiles() throws -> [String] {
        let names = try FileSystem.contents(of: directory.temporary)
        for name in names { try FileSystem.removeFile(directory.temporary + "/" + name) }
        if !names.isEmpty { try FileSystem.syncDirectory(directory.temporary) }
        return names
    }

    // MARK: Helpers

    private func writeTemporaryFile(_ bytes: [UInt8], hash: SHA256Digest, fsyncSeconds: inout Double) throws -> String {
        let path = directory.temporary + "/" + hash.hex + "." + UUID().uuidString.lowercased() + ".part"
        let fd = FileSystem.openNoFollow(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
        guard fd >= 0 else { throw SystemError.last("create", path) }
        var closed = false
        defer { if !closed { close(fd) } }
        do {
            let half = bytes.count / 2
            try FileSystem.writeAll(fd, bytes[0..<half], path: path)
            observer?(.tempPartiallyWritten)
            try FileSystem.writeAll(fd, bytes[half...], path: path)
            observer?(.tempWritten)
            let clock = ContinuousClock()
            let syncStart = clock.now
            guard fsync(fd) == 0 else { throw SystemError.last("fsync", path) }
            fsyncSeconds += (clock.now - syncStart).seconds
            closed = true
            guard close(fd) == 0 else { throw SystemError.last("close", path) }
            observer?(.tempSynced)
        } catch {
            // A full disk or an I/O error: leave nothing half-written behind.
            try? FileSystem.removeFile(path)
            throw error
        }
        return path
    }

    private func prepareBookDirectory(_ bookId: StorageIdentifier) throws(SystemError) {
        if try FileSystem.makeDirectory(directory.bookDirectory(bookId)) {
            try FileSystem.syncDirectory(directory.audio)
        }
    }

    /// Moves a file into `<data>/quarantine/` under a unique name; nothing is ever deleted on suspicion.
    func quarantine(_ path: String) throws(SystemError) {
        let relative =
            path.hasPrefix(directory.audio + "/")
            ? String(path.dropFirst(directory.audio.count + 1))
            : path.hasPrefix(directory.root + "/") ? String(path.dropFirst(directory.root.count + 1)) : path
        let name =
            relative.replacingOccurrences(of: "/", with: "__") + "." + String(Int(Date().timeIntervalSince1970))
            + "." + UUID().uuidString.prefix(8).lowercased()
        try FileSystem.rename(path, to: directory.quarantine + "/" + name)
        try FileSystem.syncDirectory(directory.quarantine)
    }
}

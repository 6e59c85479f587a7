#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// A consistent copy of a data directory, made while a server may be using it, that is itself a data directory:
/// restoring is starting a server on it.
///
/// The order is what makes it consistent:
/// 1. The LMDB environment (asset index, aliases, timings, spend counters, the Storage catalog) is copied first,
///    with LMDB's own compacting hot copy: one snapshot of every record.
/// 2. Then the bytes each snapshot record names are copied, each checked against the record's size and sha256 as
///    it streams. A book's files of one asset are one inode in the copy, as in the original (hard links). An
///    asset or object whose bytes are gone by the time they are copied (deleted after the snapshot, or deleted
///    and made again with other bytes) is dropped from the copy: the copy is then the snapshot with those
///    deletions applied, a state the store could have been in, and the next request regenerates the audio.
/// 3. The usage ledger through SQLite's online backup API, and the signing key.
/// 4. fsck runs on the copy, which must be clean; only then is the copy renamed from `<dest>.partial-…` to
///    `<dest>`. A backup that stops anywhere (a kill, a full disk) leaves no `<dest>`, only a partial directory.
///
/// The source is opened read-only and without its lock: nothing here writes to it. Methods block.
public struct DataDirectoryBackup: Sendable {
    public enum Phase: String, Sendable {
        case index, audio, objects, ledger, check
    }

    public struct Report: Sendable, Codable, Equatable {
        public var destination = ""
        public var assets = 0
        /// Book files in the copy (`<bookId>/<hash>.mp3`), hard links included.
        public var audioFiles = 0
        /// Of `audioFiles`, those that are extra links to bytes already copied.
        public var hardLinks = 0
        public var objects = 0
        public var bytesCopied = 0
        /// Assets and objects in the snapshot whose bytes were gone or different by the time they were copied.
        public var droppedAssets: [String] = []
        public var droppedObjects: [String] = []
        public var ledgerCopied = false
        public var indexBytes = 0
        public var seconds = 0.0
    }

    public enum Failure: Error, CustomStringConvertible {
        case destinationExists(String)
        case notADataDirectory(String)
        case copyNotClean([FsckProblem])

        public var description: String {
            switch self {
            case let .destinationExists(path): "\(path) already exists; back up into a new directory"
            case let .notADataDirectory(path): "\(path) has no index (index/data.mdb): not a VoiceVault data directory"
            case let .copyNotClean(problems):
                "the copy did not pass fsck (\(problems.count) problems, first: \(problems.first.map { "\($0.kind.rawValue) \($0.detail)" } ?? "")); it is left in the partial directory"
            }
        }
    }

    public typealias Progress = @Sendable (_ phase: Phase, _ done: Int, _ total: Int) -> Void

    public let source: DataDirectory
    public let destination: String

    public init(source: String, destination: String) {
        self.source = DataDirectory(root: source)
        var trimmed = destination
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.destination = DataDirectory(root: trimmed).root
    }

    public func run(progress: Progress = { _, _, _ in }) throws -> Report {
        let started = ContinuousClock.now
        guard !FileSystem.exists(destination) else { throw Failure.destinationExists(destination) }
        guard FileSystem.exists(source.index + "/data.mdb") else { throw Failure.notADataDirectory(source.root) }
        let partialRoot = destination + ".partial-\(getpid())"
        if FileSystem.exists(partialRoot) { try FileManager.default.removeItem(atPath: partialRoot) }
        let partial = DataDirectory(root: partialRoot)
        try partial.prepare()
        var report = Report()

        // 1. One snapshot of every record.
        progress(.index, 0, 1)
        let live = try LMDBEnvironment(directory: source.index, options: .init(readOnly: true))
        try live.copy(toDirectory: partial.index)
        progress(.index, 1, 1)

        // The copy is opened as a data directory of its own (locked: nothing else may use it while it is made).
        let copy = try OpenedVault(root: partialRoot, logger: .init(label: "voicevault.backup", factory: { _ in SwiftLogNoOpLogHandler() }))
        report.indexBytes = copy.store.index.environment.usedBytes
        try copyAudio(into: copy.store, report: &report, progress: progress)
        try copyObjects(into: copy, report: &report, progress: progress)

        // 3. The ledger and the signing key.
        progress(.ledger, 0, 1)
        if FileSystem.exists(source.ledgerFile) {
            let ledger = try SQLiteDatabase(path: source.ledgerFile, readOnly: true)
            try ledger.backup(to: partial.ledgerFile)
            report.ledgerCopied = true
        }
        if FileSystem.exists(source.signingKeyFile) {
            _ = try FileCopy.copy(source.signingKeyFile, to: partial.signingKeyFile, mode: 0o600)
        }
        progress(.ledger, 1, 1)

        // 4. The copy must be whole before it gets its name.
        let fsck = try Fsck(store: copy.store).run(repair: false) { _, done, total in progress(.check, done, total) }
        guard fsck.isClean else { throw Failure.copyNotClean(fsck.problems) }
        try FileSystem.syncDirectory(partial.audio)
        try FileSystem.syncDirectory(partial.objects)
        try FileSystem.syncDirectory(partial.root)
        withExtendedLifetime(copy) {}
        try FileSystem.rename(partialRoot, to: destination)
        let parent = destination.lastIndex(of: "/").map { String(destination[..<$0]) } ?? "."
        try FileSystem.syncDirectory(parent.isEmpty ? "/" : parent)
        report.destination = destination
        report.seconds = (ContinuousClock.now - started).seconds
        return report
    }

    /// 2a. Each snapshot asset's bytes, copied once (checked against the record) and linked into its other books.
    private func copyAudio(into store: AssetStore, report: inout Report, progress: Progress) throws {
        let total = try store.index.count()
        var done = 0
        var dropped: [SHA256Digest] = []
        try store.index.forEachRecord { record in
            done += 1
            progress(.audio, done, total)
            guard let hash = SHA256Digest(hex: record.contentHash) else { return }
            var first: String?
            for book in record.bookIds {
                guard let bookId = try? StorageIdentifier(book, kind: .bookId) else { continue }
                let target = store.directory.audioFile(book: bookId, hash: hash, format: record.outputFormat)
                try FileSystem.makeDirectory(store.directory.bookDirectory(bookId))
                if let first {
                    guard try FileSystem.link(first, to: target) else { throw SystemError(errno: EEXIST, operation: "link", path: target) }
                    report.hardLinks += 1
                    report.audioFiles += 1
                    continue
                }
                // Any of the asset's live book files holds its bytes; the first that still does is copied.
                for candidate in record.bookIds {
                    guard let candidateId = try? StorageIdentifier(candidate, kind: .bookId) else { continue }
                    let path = source.audioFile(book: candidateId, hash: hash, format: record.outputFormat)
                    guard let copied = try FileCopy.copy(path, to: target) else { continue }
                    if copied.size == record.byteSize, copied.sha256.hex == record.sha256 {
                        first = target
                        report.bytesCopied += copied.size
                        report.audioFiles += 1
                        break
                    }
                    try FileSystem.removeFile(target)
                }
                if first == nil { break }
            }
            if first == nil {
                dropped.append(hash)
                report.droppedAssets.append(record.contentHash)
            } else {
                report.assets += 1
            }
        }
        for hash in dropped {
            // Links made for books before the bytes were found missing cannot exist (the first book needs bytes),
            // so only the record goes.
            try store.index.update(hash) { _ in nil }
        }
        for book in try FileSystem.contents(of: store.directory.audio) {
            try FileSystem.syncDirectory(store.directory.audio + "/" + book)
        }
    }

    /// 2b. Each snapshot object's version file, checked against its record; copies of one file stay one inode.
    private func copyObjects(into copy: OpenedVault, report: inout Report, progress: Progress) throws {
        let catalog = copy.objects.catalog
        // Storage copies are hard links to one immutable version file; the copy keeps them so.
        var copiedByInode: [String: (path: String, copied: FileCopy.Copied)] = [:]
        var copiedVersions = Set<String>()
        var dropped: [[UInt8]] = []
        var done = 0
        try catalog.forEachObject(onCorrupt: { key, _ in dropped.append(key) }) { record in
            done += 1
            progress(.objects, done, 0)
            guard StorageName.isVersionName(record.version) else {
                dropped.append(StorageCatalog.objectKey(record.bucket, record.key))
                return
            }
            if copiedVersions.contains(record.version) {
                report.objects += 1
                return
            }
            let from = source.objectFile(version: record.version)
            let to = copy.store.directory.objectFile(version: record.version)
            let status = try FileSystem.status(from)
            let inode = status.map { "\($0.device):\($0.inode)" }
            if let inode, let first = copiedByInode[inode], first.copied.size == record.size,
                first.copied.sha256.hex == record.sha256, try FileSystem.link(first.path, to: to)
            {
                copiedVersions.insert(record.version)
                report.objects += 1
                return
            }
            if let copied = try FileCopy.copy(from, to: to), copied.size == record.size, copied.sha256.hex == record.sha256 {
                if let inode { copiedByInode[inode] = (to, copied) }
                copiedVersions.insert(record.version)
                report.bytesCopied += copied.size
                report.objects += 1
                return
            }
            try FileSystem.removeFile(to)
            dropped.append(StorageCatalog.objectKey(record.bucket, record.key))
            report.droppedObjects.append("\(record.bucket)/\(record.key)")
        }
        try catalog.deleteObjectKeys(dropped)
    }
}

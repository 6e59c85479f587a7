/// Checks a data directory against its index, and optionally repairs it.
///
/// - Every record: each of its books has a file with the recorded size and sha256 (each inode is hashed once,
///   so hard-linked books cost one read), and a `books` key.
/// - Every `books` key belongs to a record that lists the book.
/// - Every file under `audio/` is a `<hash>.<extension>` (its format's, `AudioFormat`) that the index lists for
///   that book.
/// - Temp files that remain are reported as crash residue (a crash leaves them by design), not as problems.
/// - The Storage API's objects: each record's version file has the recorded size and sha256, and every version
///   file has a record (`Fsck+Objects.swift`).
///
/// Repair never deletes audio: dangling references and undecodable records are dropped from the index
/// (records first, so the invariant holds at every instant) and unindexed, mismatched or stray files are moved
/// to `quarantine/`. Records are read in pages, so memory stays bounded for any index size.
public struct Fsck {
    public enum Phase: String, Sendable { case records, files }
    public typealias Progress = (_ phase: Phase, _ done: Int, _ total: Int) -> Void

    let store: AssetStore

    public init(store: AssetStore) {
        self.store = store
    }

    public func run(repair: Bool, progress: Progress = { _, _, _ in }) throws -> FsckReport {
        var report = FsckReport()
        let directory = store.directory
        let index = store.index
        let total = try index.count()
        var verifiedInodes = [UInt64: (size: Int, sha: String)]()
        var indexedPaths = Set<String>()

        // 1. Records -> files.
        var done = 0
        var badReferences = [(hash: SHA256Digest, book: String, format: String, quarantineFile: Bool)]()
        var corruptKeys = [[UInt8]]()
        var recordBytes = 0
        try index.forEachRecord(onCorrupt: { key, error in
            done += 1
            corruptKeys.append(key)
            report.problems.append(
                .init(
                    kind: .corruptRecord, hash: AssetIndex.describeKey(key), path: nil,
                    detail: String(describing: error)))
        }) { record in
            done += 1
            if done % 64 == 0 || done == total { progress(.records, done, total) }
            report.recordsChecked += 1
            recordBytes += record.byteSize
            guard let hash = SHA256Digest(hex: record.contentHash) else {
                report.problems.append(
                    .init(kind: .corruptRecord, hash: record.contentHash, path: nil, detail: "record key is not a sha256"))
                return
            }
            for book in record.bookIds {
                let relative = "audio/\(book)/\(hash.hex).\(AudioFormat.fileExtension(of: record.outputFormat))"
                guard let bookId = try? StorageIdentifier(book, kind: .bookId) else {
                    report.problems.append(
                        .init(kind: .corruptRecord, hash: hash.hex, path: nil, detail: "invalid bookId '\(book)' in record"))
                    badReferences.append((hash, book, record.outputFormat, false))
                    continue
                }
                let path = directory.audioFile(book: bookId, hash: hash, format: record.outputFormat)
                // A link where the file should be (or a linked book directory on the way) is not the file:
                // the reference is missing, and the link itself is a stray entry for the files pass.
                guard let status = try FileSystem.status(path), status.isRegularFile else {
                    report.problems.append(.init(kind: .missingFile, hash: hash.hex, path: relative, detail: "indexed file is missing"))
                    badReferences.append((hash, book, record.outputFormat, false))
                    continue
                }
                indexedPaths.insert(relative)
                report.filesChecked += 1
                let facts: (size: Int, sha: String)
                if let known = verifiedInodes[status.inode] {
                    facts = known
                } else {
                    let digest = try FileSystem.digest(of: path)
                    facts = (digest.size, digest.sha256.hex)
                    verifiedInodes[status.inode] = facts
                }
                if facts.size != record.byteSize {
                    report.problems.append(
                        .init(
                            kind: .sizeMismatch, hash: hash.hex, path: relative,
                            detail: "file has \(facts.size) bytes, index says \(record.byteSize)"))
                    badReferences.append((hash, book, record.outputFormat, true))
                } else if facts.sha != record.sha256 {
                    report.problems.append(
                        .init(
                            kind: .digestMismatch, hash: hash.hex, path: relative,
                            detail: "file sha256 \(facts.sha), index says \(record.sha256)"))
                    badReferences.append((hash, book, record.outputFormat, true))
                }
            }
        }

        // 2. The secondary index against the records.
        let bookKeys = try danglingAndMissingBookKeys(&report)

        // 3. Files -> records.
        let books = try FileSystem.contents(of: directory.audio)
        var strayPaths = [String]()
        for (position, book) in books.enumerated() {
            progress(.files, position + 1, books.count)
            let bookPath = directory.audio + "/" + book
            guard (try? StorageIdentifier(book, kind: .bookId)) != nil, FileSystem.isDirectory(bookPath) else {
                let isLink = (try? FileSystem.status(bookPath))??.isSymbolicLink == true
                report.problems.append(
                    .init(
                        kind: .strayEntry, hash: nil, path: "audio/\(book)",
                        detail: isLink ? "a symbolic link, never followed" : "not a book directory VoiceVault writes"))
                strayPaths.append(bookPath)
                continue
            }
            for name in try FileSystem.contents(of: bookPath) {
                let relative = "audio/\(book)/\(name)"
                if indexedPaths.contains(relative) { continue }
                // `<hash>.<extension>` of any stored format: audio the index lost, not a stranger's file.
                let stem = name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
                let isAssetName =
                    stem.count == 2 && AudioFormat.fileExtensions.contains(String(stem[1])) && SHA256Digest(hex: stem[0]) != nil
                let status = try FileSystem.status(bookPath + "/" + name)
                if isAssetName, status?.isRegularFile == true {
                    report.problems.append(
                        .init(kind: .unindexedFile, hash: String(stem[0]), path: relative, detail: "file is not in the index"))
                } else {
                    report.problems.append(
                        .init(
                            kind: .strayEntry, hash: nil, path: relative,
                            detail: status?.isSymbolicLink == true ? "a symbolic link, never followed" : "not a file VoiceVault writes"))
                }
                strayPaths.append(bookPath + "/" + name)
            }
        }
        let temporaryFiles = try FileSystem.contents(of: directory.temporary)
        for name in temporaryFiles {
            report.problems.append(
                .init(
                    kind: .temporaryFile, hash: nil, path: "tmp/\(name)",
                    detail: "left by an interrupted write, as a crash may; start-up and --repair remove it"))
        }

        let storedBytes = try index.storedBytes()
        if storedBytes != recordBytes {
            report.problems.append(
                .init(
                    kind: .byteTotalMismatch, hash: nil, path: nil,
                    detail: "the index's byte total is \(storedBytes); its records hold \(recordBytes)"))
        }

        try checkObjects(&report, repair: repair)
        guard repair else { return report }

        // Repairs: index first, then files.
        if !corruptKeys.isEmpty {
            try index.environment.write { txn in
                for key in corruptKeys { try txn.delete(key, in: index.databases.assets) }
            }
            for key in corruptKeys { report.repairs.append("dropped undecodable record \(AssetIndex.describeKey(key)) from the index") }
        }
        for reference in badReferences {
            try index.update(reference.hash) { current in
                guard var current else { return nil }
                current.removeBook(reference.book)
                return current.bookIds.isEmpty ? nil : current
            }
            report.repairs.append("dropped reference \(reference.book)/\(reference.hash.hex) from the index")
            if reference.quarantineFile, let id = try? StorageIdentifier(reference.book, kind: .bookId) {
                let path = directory.audioFile(book: id, hash: reference.hash, format: reference.format)
                if FileSystem.exists(path) {
                    try store.quarantine(path)
                    report.repairs.append(
                        "quarantined audio/\(reference.book)/\(reference.hash.hex).\(AudioFormat.fileExtension(of: reference.format))")
                }
            }
        }
        try repairBookKeys(bookKeys, &report)
        // Last among the index repairs: the total of what the repaired records hold.
        var repairedBytes = 0
        try index.forEachRecord(onCorrupt: { _, _ in }) { repairedBytes += $0.byteSize }
        if repairedBytes != storedBytes {
            try index.setStoredBytes(repairedBytes)
            report.repairs.append("set the index's byte total to \(repairedBytes)")
        }
        for path in strayPaths where FileSystem.exists(path) {
            try store.quarantine(path)
            report.repairs.append("quarantined \(path.dropFirst(directory.root.count + 1))")
        }
        for name in temporaryFiles {
            try FileSystem.removeFile(directory.temporary + "/" + name)
            report.repairs.append("removed tmp/\(name)")
        }
        return report
    }

    private struct BookKeyProblems {
        var dangling: [[UInt8]] = []
        var missing: [(hash: SHA256Digest, book: String)] = []
    }

    private func danglingAndMissingBookKeys(_ report: inout FsckReport) throws -> BookKeyProblems {
        let index = store.index
        var problems = BookKeyProblems()
        var keys = Set<String>()
        try index.environment.read { txn in
            try txn.scan(prefix: [], in: index.databases.books) { key, _ in
                keys.insert(String(decoding: key, as: UTF8.self))
                return true
            }
        }
        var listed = Set<String>()
        // Undecodable records were reported in the first pass; their book keys show up as dangling here.
        try index.forEachRecord(onCorrupt: { _, _ in }) { record in
            for book in record.bookIds { listed.insert(book + "/" + record.contentHash) }
            for book in record.bookIds where !keys.contains(book + "/" + record.contentHash) {
                if let hash = SHA256Digest(hex: record.contentHash) {
                    problems.missing.append((hash, book))
                    report.problems.append(
                        .init(
                            kind: .missingBookKey, hash: record.contentHash, path: nil,
                            detail: "record lists book \(book) but the book index does not"))
                }
            }
        }
        for key in keys.subtracting(listed).sorted() {
            problems.dangling.append(Array(key.utf8))
            report.problems.append(
                .init(
                    kind: .danglingBookKey, hash: String(key.suffix(64)), path: nil,
                    detail: "book index entry \(key) has no matching record"))
        }
        return problems
    }

    private func repairBookKeys(_ problems: BookKeyProblems, _ report: inout FsckReport) throws {
        guard !problems.dangling.isEmpty || !problems.missing.isEmpty else { return }
        let index = store.index
        try index.environment.write { txn in
            for key in problems.dangling { try txn.delete(key, in: index.databases.books) }
            for entry in problems.missing {
                // Only restore a key whose record still lists the book after the reference repairs above.
                let record = try AssetIndex.record(entry.hash, in: txn, index.databases)
                if record?.bookIds.contains(entry.book) == true {
                    try txn.put([], for: AssetIndex.bookKey(entry.book, entry.hash), in: index.databases.books)
                }
            }
        }
        report.repairs.append("fixed \(problems.dangling.count + problems.missing.count) book index entries")
    }
}

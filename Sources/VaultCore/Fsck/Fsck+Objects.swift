/// The Storage API's uploaded objects, checked the way audio is: every catalog record names a version file
/// of the recorded size and sha256, and every version file belongs to a record.
///
/// Residue a crash may leave is the same kind as for audio: a version file whose record was never committed
/// (or whose replacing upload committed before the old file was removed) is `unindexed_file`. Repair drops
/// records whose bytes are missing or different (quarantining the different bytes) and quarantines
/// unreferenced version files; it never deletes bytes.
extension Fsck {
    func checkObjects(_ report: inout FsckReport, repair: Bool) throws {
        let directory = store.directory
        guard FileSystem.isDirectory(directory.objects) else { return }
        let catalog = try StorageCatalog(environment: store.index.environment)
        var referenced = Set<String>()
        var badKeys: [[UInt8]] = []
        var mismatched: [String] = []
        try catalog.forEachObject(onCorrupt: { key, error in
            badKeys.append(key)
            report.problems.append(
                .init(
                    kind: .corruptRecord, hash: nil, path: nil,
                    detail: "object record \(Self.describeObjectKey(key)) cannot be decoded: \(error)"))
        }) { record in
            report.recordsChecked += 1
            let relative = "objects/\(record.version)"
            let name = "\(record.bucket)/\(record.key)"
            guard StorageName.isVersionName(record.version) else {
                badKeys.append(StorageCatalog.objectKey(record.bucket, record.key))
                report.problems.append(
                    .init(kind: .corruptRecord, hash: nil, path: nil, detail: "object \(name) names version '\(record.version)'"))
                return
            }
            referenced.insert(record.version)
            let path = directory.objectFile(version: record.version)
            guard let status = try FileSystem.status(path), status.isRegularFile else {
                badKeys.append(StorageCatalog.objectKey(record.bucket, record.key))
                report.problems.append(.init(kind: .missingFile, hash: nil, path: relative, detail: "object \(name): file is missing"))
                return
            }
            report.filesChecked += 1
            let facts = try FileSystem.digest(of: path)
            if facts.size != record.size || facts.sha256.hex != record.sha256 {
                badKeys.append(StorageCatalog.objectKey(record.bucket, record.key))
                mismatched.append(path)
                report.problems.append(
                    .init(
                        kind: facts.size != record.size ? .sizeMismatch : .digestMismatch, hash: nil, path: relative,
                        detail:
                            "object \(name): file has \(facts.size) bytes, sha256 \(facts.sha256.hex); catalog says \(record.size), \(record.sha256)"
                    ))
            }
        }
        var unreferenced: [String] = []
        for name in try FileSystem.contents(of: directory.objects) where !referenced.contains(name) {
            unreferenced.append(directory.objects + "/" + name)
            report.problems.append(
                .init(kind: .unindexedFile, hash: nil, path: "objects/\(name)", detail: "no object record names this file"))
        }
        guard repair else { return }
        // Records first, then files, so no record ever names a file that has been moved away.
        try catalog.deleteObjectKeys(badKeys)
        for key in badKeys { report.repairs.append("dropped object record \(Self.describeObjectKey(key))") }
        for path in mismatched + unreferenced where FileSystem.exists(path) {
            try store.quarantine(path)
            report.repairs.append("quarantined \(path.dropFirst(directory.root.count + 1))")
        }
    }

    /// `<bucket>\0<key>` as `bucket/key` for reports.
    static func describeObjectKey(_ key: [UInt8]) -> String {
        String(decoding: key.map { $0 == 0 ? UInt8(ascii: "/") : $0 }, as: UTF8.self)
    }
}

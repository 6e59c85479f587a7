public import Logging
public import VaultCore

/// `voicevault fsck --cluster`: checks a cluster's store against the rule its nodes keep (Docs/CLUSTER.md,
/// "Crash order"): every record names a blob the store holds, with the record's size; and finds what a crash
/// leaves by design, blobs no record names.
///
/// `--repair` deletes unnamed blobs under the blob's lock (`deleteBlobIfUnreferenced`), so a publication
/// between its blob and its record is never robbed: it puts the blob again under the same lock. A record whose
/// blob is missing or of another size is removed (announced, so every node drops its copy): the next request
/// generates it again instead of failing.
public struct ClusterFsck: Sendable {
    public enum Kind: String, Codable, Sendable {
        case recordWithoutBlob = "record_without_blob"
        case blobSizeMismatch = "blob_size_mismatch"
        case blobWithoutRecord = "blob_without_record"
        /// A Storage object whose blob is missing or of another size: its bytes are lost (listed; `--repair`
        /// leaves the record for the operator, since nothing can make the object again).
        case objectWithoutBlob = "object_without_blob"
    }

    public struct Problem: Codable, Sendable, Equatable {
        public let kind: Kind
        public let hash: String?
        public let blob: String
        public let detail: String
        /// What a crash may leave by design (a blob whose record was never written, or was removed first).
        public var isCrashResidue: Bool { kind == .blobWithoutRecord }
    }

    public struct Report: Codable, Sendable, Equatable {
        public var recordsChecked: Int
        public var blobsChecked: Int
        public var problems: [Problem]
        public var repairs: [String]
        /// Records that do not point at their bytes: the rule the nodes keep was broken.
        public var invariantViolations: Int { problems.filter { !$0.isCrashResidue }.count }
        /// Only a broken rule does: blobs without records are what a crash leaves by design (listed, and removed
        /// by `--repair`), as temp files are in a data directory.
        public var needsAttention: Bool { invariantViolations > 0 }

        public init(recordsChecked: Int = 0, blobsChecked: Int = 0, problems: [Problem] = [], repairs: [String] = []) {
            self.recordsChecked = recordsChecked
            self.blobsChecked = blobsChecked
            self.problems = problems
            self.repairs = repairs
        }
    }

    let catalog: PostgresAssetCatalog
    let objects: PostgresObjectCatalog?
    let blobs: any BlobStore

    /// - Parameter objects: Storage's objects, which name blobs too; a blob one names is never unnamed.
    public init(catalog: PostgresAssetCatalog, objects: PostgresObjectCatalog? = nil, blobs: any BlobStore) {
        self.catalog = catalog
        self.objects = objects
        self.blobs = blobs
    }

    public func run(repair: Bool, progress: @Sendable (String, Int, Int) -> Void = { _, _, _ in }) async throws -> Report {
        var report = Report()
        let held = Set(try await blobs.list())
        report.blobsChecked = held.count
        let records = try await catalog.blobReferences()
        report.recordsChecked = records.count
        var named = Set<SHA256Digest>()
        for (done, reference) in records.enumerated() {
            progress("records", done, records.count)
            named.insert(reference.blob)
            guard held.contains(reference.blob) else {
                report.problems.append(
                    Problem(
                        kind: .recordWithoutBlob, hash: reference.hash.hex, blob: reference.blob.hex,
                        detail: "the record names blob \(reference.blob.hex), which the blob store does not hold"))
                continue
            }
            let size = try await blobs.size(of: reference.blob)
            if size != reference.byteSize {
                report.problems.append(
                    Problem(
                        kind: .blobSizeMismatch, hash: reference.hash.hex, blob: reference.blob.hex,
                        detail: "the record says \(reference.byteSize) bytes, the blob has \(size.map(String.init) ?? "none")"))
            }
        }
        for reference in try await objects?.blobReferences() ?? [] {
            report.recordsChecked += 1
            named.insert(reference.blob)
            let size = held.contains(reference.blob) ? try await blobs.size(of: reference.blob) : nil
            if size != reference.size {
                report.problems.append(
                    Problem(
                        kind: .objectWithoutBlob, hash: reference.object, blob: reference.blob.hex,
                        detail: "the object's blob is \(size.map { "\($0) bytes where its record says \(reference.size)" } ?? "missing")"))
            }
        }
        for blob in held.subtracting(named).sorted(by: { $0.hex < $1.hex }) {
            report.problems.append(Problem(kind: .blobWithoutRecord, hash: nil, blob: blob.hex, detail: "no record names this blob"))
        }
        progress("records", records.count, records.count)
        guard repair else { return report }
        for problem in report.problems {
            guard let blob = SHA256Digest(hex: problem.blob) else { continue }
            switch problem.kind {
            case .blobWithoutRecord:
                let blobs = blobs
                if try await catalog.deleteBlobIfUnreferenced(blob, { try await blobs.delete(blob) }) {
                    report.repairs.append("deleted blob \(blob.hex), which no record named")
                }
            case .objectWithoutBlob:
                continue
            case .recordWithoutBlob, .blobSizeMismatch:
                guard let hash = problem.hash.flatMap(SHA256Digest.init(hex:)), try await catalog.remove(hash) != nil else { continue }
                report.repairs.append("removed record \(hash.hex) (\(problem.kind.rawValue)); the next request generates it again")
                let blobs = blobs
                if problem.kind == .blobSizeMismatch, try await catalog.deleteBlobIfUnreferenced(blob, { try await blobs.delete(blob) }) {
                    report.repairs.append("deleted blob \(blob.hex), whose size no record matched")
                }
            }
        }
        return report
    }
}

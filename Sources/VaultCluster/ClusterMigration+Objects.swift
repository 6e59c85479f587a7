import Foundation
public import VaultCore

/// Supabase Storage's buckets and objects in and out of a cluster, in the crash order the nodes keep (bytes
/// stored and verified before the record that names them), so a run may be stopped anywhere and run again.
/// Every record crosses as it is (its id, version, times, type, cache control and metadata), so the other side
/// answers each object identically: the same bytes and ETag. A key the other side holds with other bytes is
/// counted and left alone, never overwritten. The generated `audio` bucket is not a bucket of objects: its
/// audio crosses as assets.
extension ClusterMigration {
    /// Every bucket and object of the data directory into the cluster.
    public func objectsIntoCluster(_ summary: inout Summary) async throws {
        guard let objects, let objectCatalog else { return }
        let buckets = try await BlockingIO.run { try objects.catalog.allBuckets() }.filter { $0.id != VoiceAssetBucket.name }
        for bucket in buckets {
            summary.buckets += 1
            try await objectCatalog.ensureBucket(bucket)
            let records = try await BlockingIO.run { try objects.catalog.objects(bucket: bucket.id) }
            for record in records {
                summary.objects += 1
                if let there = try await objectCatalog.object(bucket: record.bucket, key: record.key) {
                    if there.sha256 == record.sha256 { summary.objectsAlreadyThere += 1 } else { summary.objectsConflicting += 1 }
                    continue
                }
                guard let blob = SHA256Digest(hex: record.sha256) else { continue }
                let path = objects.path(of: record)
                let blobs = blobs
                try await blobs.put(file: path, size: record.size, sha256: blob)
                do {
                    _ = try await objectCatalog.put(record, replacing: false) {
                        guard try await blobs.size(of: blob) != record.size else { return }
                        try await blobs.put(file: path, size: record.size, sha256: blob)
                    }
                    summary.objectsCopied += 1
                } catch StorageCatalogError.objectExists {
                    summary.objectsConflicting += 1  // written in the cluster while this ran
                }
            }
        }
    }

    /// Every bucket and object of the cluster into the data directory.
    public func objectsOutOfCluster(_ summary: inout Summary) async throws {
        guard let objects, let objectCatalog else { return }
        for bucket in try await objectCatalog.allBuckets() where bucket.id != VoiceAssetBucket.name {
            summary.buckets += 1
            _ = try await BlockingIO.run { try objects.catalog.ensureBucket(bucket) }
            var after: String?
            while true {
                let page = try await objectCatalog.keyPage(
                    bucket: bucket.id, KeyPageRequest(prefix: "", delimited: false, after: after, limit: 500))
                for case let .object(record) in page.entries {
                    summary.objects += 1
                    if let here = try await BlockingIO.run({ try objects.catalog.object(bucket: record.bucket, key: record.key) }) {
                        if here.sha256 == record.sha256 { summary.objectsAlreadyThere += 1 } else { summary.objectsConflicting += 1 }
                        continue
                    }
                    guard let blob = SHA256Digest(hex: record.sha256), let bytes = try await blobs.read(blob, range: nil),
                        bytes.count == record.size, SHA256Digest.of(bytes) == blob
                    else {
                        throw ClusterStoreError.blobStoreUnavailable("object \(record.bucket)/\(record.key)'s blob is missing or damaged")
                    }
                    let added = try await BlockingIO.run {
                        let staging = try StagingFile(directory: objects.directory, limit: bytes.count)
                        defer { staging.discard() }
                        try staging.append(bytes)
                        let staged = try staging.finish()
                        return try objects.restore(record, from: staged.path)
                    }
                    if added {
                        summary.objectsCopied += 1
                    } else {
                        summary.objectsAlreadyThere += 1
                    }
                }
                guard page.isTruncated, let last = page.entries.last else { break }
                after = last.key
            }
        }
    }
}

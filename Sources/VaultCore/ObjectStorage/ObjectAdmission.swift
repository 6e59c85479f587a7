/// What a bucket's settings admit, decided from its record alone, so every store of objects (the data
/// directory's, a cluster's) refuses the same uploads with the same errors.
public enum ObjectAdmission {
    /// The most bytes an upload to the bucket may have: the global cap, lowered by the bucket's own limit.
    public static func uploadLimit(_ policy: BucketRecord, globalLimit: Int) -> Int {
        min(globalLimit, policy.fileSizeLimit ?? .max)
    }

    /// Refuses a MIME type the bucket does not allow (`ObjectStore.Failure.mimeTypeNotAllowed`). Folder
    /// placeholders are exempt (`StorageName.isFolderPlaceholder`).
    public static func checkMimeType(_ mimeType: String, key: String, in policy: BucketRecord) throws {
        guard !StorageName.isFolderPlaceholder(key) else { return }
        guard BucketPolicy.allows(mimeType: mimeType, in: policy.allowedMimeTypes) else {
            throw ObjectStore.Failure.mimeTypeNotAllowed(mimeType)
        }
    }

    /// The checks a new version passes before anything is stored: within the limit, an allowed type.
    public static func check(size: Int, mimeType: String, key: String, in policy: BucketRecord, globalLimit: Int) throws {
        let limit = uploadLimit(policy, globalLimit: globalLimit)
        guard size <= limit else { throw ObjectStore.Failure.tooLarge(limit: limit) }
        try checkMimeType(mimeType, key: key, in: policy)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Appends one request's bytes to a resumable upload's part file, from the manifest's offset.
///
/// Opening cuts the file back to the offset the manifest counts (bytes a crash or a cut connection left beyond
/// it were never acknowledged). `checkpoint()` fsyncs and then records the new offset, so the manifest never
/// counts a byte that is not on disk. Owned by the one request that claimed the upload; blocking.
public final class ResumablePartWriter: @unchecked Sendable {
    // @unchecked: used by one request at a time (the upload is claimed), handed between threads by BlockingIO.
    let store: ResumableUploadStore
    public private(set) var upload: ResumableUpload
    private var descriptor: Int32
    private var unsynced = 0

    init(store: ResumableUploadStore, upload: ResumableUpload) throws {
        self.store = store
        self.upload = upload
        let path = store.partPath(upload.id)
        try Self.truncate(path, to: upload.offset)
        descriptor = FileSystem.openNoFollow(path, O_WRONLY | O_APPEND)
        guard descriptor >= 0 else { throw SystemError.last("open", path) }
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    static func truncate(_ path: String, to size: Int) throws {
        guard Glibc.truncate(path, off_t(size)) == 0 else { throw SystemError.last("truncate", path) }
    }

    /// Bytes written so far, counted or not.
    public var written: Int { upload.offset + unsynced }

    /// Appends `bytes`; checkpoints every `ResumableUploadStore.checkpointBytes`.
    public func append(_ bytes: [UInt8]) throws {
        guard descriptor >= 0 else { throw SystemError(errno: EBADF, operation: "write", path: store.partPath(upload.id)) }
        try FileSystem.writeAll(descriptor, bytes[...], path: store.partPath(upload.id))
        unsynced += bytes.count
        if unsynced >= ResumableUploadStore.checkpointBytes { try checkpoint() }
    }

    /// Makes every byte written durable and counts it in the manifest; returns the upload as recorded.
    @discardableResult
    public func checkpoint() throws -> ResumableUpload {
        guard unsynced > 0 else { return upload }
        guard fsync(descriptor) == 0 else { throw SystemError.last("fsync", store.partPath(upload.id)) }
        var next = upload
        next.offset += unsynced
        try store.save(next)
        upload = next
        unsynced = 0
        store.observer?(.checkpointed)
        return upload
    }

    /// Closes the file without counting bytes written since the last checkpoint (a refused tail); the next
    /// writer cuts them off.
    public func closeDiscardingUncounted() throws -> ResumableUpload {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
        unsynced = 0
        return upload
    }

    /// Checkpoints and closes the file.
    public func close() throws -> ResumableUpload {
        defer {
            if descriptor >= 0 { Glibc.close(descriptor) }
            descriptor = -1
        }
        return try checkpoint()
    }
}

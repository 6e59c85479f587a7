#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An upload's bytes going to a temp file in `<data>/tmp` as they arrive, counted and hashed on the way, so
/// an upload of any size costs bounded memory. The size limit is enforced as bytes come in: an oversized
/// upload fails at the first byte past the limit, not after it has been read whole.
///
/// `finish()` makes the file durable (fsync) and hands it to `ObjectStore.put(staged:...)`, which renames it
/// into place. Anything that does not finish is removed by `discard()`, and a crash leaves only a temp file,
/// which the start-up sweep deletes.
///
/// Methods block on disk I/O. One task uses a staging file at a time; the lock makes that safe to hand
/// between threads.
public final class StagingFile: @unchecked Sendable {
    // @unchecked: every mutable field is only touched under `lock`.
    public struct Staged: Sendable, Equatable {
        public let path: String
        public let size: Int
        public let sha256: SHA256Digest
    }

    public let path: String
    public let limit: Int
    private let lock = PosixMutex()
    private var descriptor: Int32
    private var size = 0
    private var hasher = SHA256Hasher()
    private var finished = false

    /// Creates the temp file. `limit` is the most bytes the upload may have.
    public init(directory: DataDirectory, limit: Int) throws {
        path = directory.temporary + "/object." + UUID().uuidString.lowercased() + ".part"
        self.limit = limit
        descriptor = FileSystem.openNoFollow(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
        guard descriptor >= 0 else { throw SystemError.last("create", path) }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    public var byteCount: Int { lock.withLock { size } }

    /// Appends `bytes`; `ObjectStore.Failure.tooLarge` once the total would pass the limit (the file is then
    /// useless: discard it).
    public func append(_ bytes: some Collection<UInt8>) throws {
        try lock.withLock {
            guard descriptor >= 0, !finished else { throw SystemError(errno: EBADF, operation: "write", path: path) }
            guard size + bytes.count <= limit else { throw ObjectStore.Failure.tooLarge(limit: limit) }
            // Written from the caller's own storage when it is contiguous (it is, from every caller): a copy
            // here would be a megabyte allocated per batch on a BlockingIO thread, and each such thread keeps
            // its own malloc arena.
            let written: Int? = try bytes.withContiguousStorageIfAvailable { buffer in
                let raw = UnsafeRawBufferPointer(buffer)
                try FileSystem.writeAll(descriptor, raw, path: path)
                hasher.update(raw)
                return raw.count
            }
            if let written {
                size += written
            } else {
                let contiguous = Array(bytes)
                try FileSystem.writeAll(descriptor, contiguous[...], path: path)
                hasher.update(contiguous)
                size += contiguous.count
            }
        }
    }

    /// Flushes the bytes to disk and closes the file; the upload is then whole and may be published.
    public func finish() throws -> Staged {
        try lock.withLock {
            guard descriptor >= 0, !finished else { throw SystemError(errno: EBADF, operation: "finish", path: path) }
            guard fsync(descriptor) == 0 else { throw SystemError.last("fsync", path) }
            let fd = descriptor
            descriptor = -1
            guard close(fd) == 0 else { throw SystemError.last("close", path) }
            finished = true
            var digest = SHA256Hasher()
            swap(&digest, &hasher)
            return Staged(path: path, size: size, sha256: digest.finalize())
        }
    }

    /// Closes and removes the temp file (after a failure, or when the upload was not needed). Idempotent; a
    /// file already renamed into place is not at `path` any more and is left alone.
    public func discard() {
        lock.withLock {
            if descriptor >= 0 {
                close(descriptor)
                descriptor = -1
            }
            try? FileSystem.removeFile(path)
        }
    }
}

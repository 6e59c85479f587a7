#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import VaultCore

/// An open file descriptor, shared by the answers that send from it (and by `OpenFileCache` while it keeps
/// it). Reading from the open descriptor means a file deleted or replaced mid-response still completes with
/// the bytes the response started with; `deinit` closes it once the last holder lets go, even if the body is
/// never written (HEAD, a client that went away).
final class OpenFile: @unchecked Sendable {
    // @unchecked: the descriptor never changes, and every read names its offset (`pread`, `sendfile` with an
    // offset), so holders on different threads never move a shared file position.
    let descriptor: Int32
    let size: UInt64
    /// Modification time in whole seconds since the epoch.
    let modified: Int64

    init?(path: String) {
        let fd = FileSystem.openNoFollow(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }
        descriptor = fd
        size = UInt64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec)
    }

    deinit { close(descriptor) }

    /// Reads up to `count` bytes at `offset` straight into a new buffer: one copy, from the page cache to
    /// the buffer the socket write will use. Short only at end of file.
    func read(offset: UInt64, count: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: count)
        var filled = 0
        while filled < count {
            var failure: Int32 = 0
            let got = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - filled) { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                let result = pread(descriptor, base, count - filled, off_t(offset) + off_t(filled))
                if result < 0 {
                    failure = errno
                    return 0
                }
                return result
            }
            if failure == EINTR { continue }
            if failure != 0 { throw SystemError(errno: failure, operation: "pread", path: "audio file") }
            if got == 0 { break }
            filled += got
        }
        return buffer
    }
}

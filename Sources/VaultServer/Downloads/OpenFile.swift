#if canImport(Glibc)
import Glibc
#endif
import VaultCore

/// A file descriptor owned by one response. Reading from the open descriptor means a file deleted or
/// replaced mid-response still completes with the bytes the response started with; `deinit` closes it even if
/// the body is never written (HEAD, a client that went away).
final class OpenFile: @unchecked Sendable {
    // @unchecked: one response uses it from one task at a time; the descriptor is never shared.
    let descriptor: Int32
    let size: UInt64

    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }
        descriptor = fd
        size = UInt64(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads up to `count` bytes at `offset` into a fresh buffer (short only at end of file).
    func read(offset: UInt64, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw SystemError(errno: errno, operation: "pread", path: "audio file")
            }
            if got == 0 { break }
            filled += got
        }
        if filled < count { buffer.removeLast(count - filled) }
        return buffer
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Copies one file into a new file, hashing the bytes as they pass, and makes the copy durable. Used by the
/// backup, which must prove each copied file is the one its record names (a file can be deleted, or deleted
/// and made again with other bytes, between the index snapshot and the copy).
enum FileCopy {
    /// What was copied; nil when the source is not there (or is not a regular file).
    struct Copied: Equatable {
        let size: Int
        let sha256: SHA256Digest
    }

    /// Copies `source` to `destination`, which must not exist (it is created exclusively, mode `mode`), in
    /// 256 KiB reads, and fsyncs it. On any failure the partial destination is removed.
    static func copy(_ source: String, to destination: String, mode: mode_t = 0o644) throws(SystemError) -> Copied? {
        let input = FileSystem.openNoFollow(source, O_RDONLY)
        guard input >= 0 else {
            if errno == ENOENT || errno == ELOOP || errno == ENOTDIR { return nil }
            throw .last("open", source)
        }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw .last("stat", source) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let output = FileSystem.openNoFollow(destination, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        guard output >= 0 else { throw .last("create", destination) }
        var completed = false
        defer {
            close(output)
            if !completed { try? FileSystem.removeFile(destination) }
        }
        var hasher = SHA256Hasher()
        var size = 0
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .last("read", source)
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            try FileSystem.writeAll(output, buffer[0..<count], path: destination)
            size += count
        }
        guard fsync(output) == 0 else { throw .last("fsync", destination) }
        completed = true
        return Copied(size: size, sha256: hasher.finalize())
    }
}

#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file operations the blob store needs, with errors that name the path. Blocking by design:
/// callers run them off the event loop.
public enum FileSystem {
    /// Writes all of `bytes` to `fd`, resuming after short writes and EINTR; a full disk or an I/O error is
    /// thrown with `path`, so callers can remove the half-written file.
    public static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>, path: String) throws(SystemError) {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .last("write", path)
            }
            offset += written
        }
    }

    /// Creates a directory if it does not exist. Returns true when it was created (its parent then needs an
    /// fsync for the new entry to be durable).
    @discardableResult
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(SystemError) -> Bool {
        if mkdir(path, mode) == 0 { return true }
        if errno == EEXIST, isDirectory(path) { return false }
        throw .last("mkdir", path)
    }

    /// `mkdir -p`: creates every missing directory on the way to `path`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            try makeDirectory(current, mode: mode)
        }
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// File size and identity, or nil when the path does not exist.
    public static func status(_ path: String) throws(SystemError) -> FileStatus? {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .last("stat", path)
        }
        return FileStatus(
            size: Int(info.st_size), device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
            linkCount: Int(info.st_nlink), isRegularFile: (info.st_mode & S_IFMT) == S_IFREG,
            modificationTime: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }

    /// Flushes a directory so that entries created, linked or removed in it survive a power loss.
    public static func syncDirectory(_ path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .last("open directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .last("fsync directory", path) }
    }

    /// Names in a directory (no `.`/`..`), or an empty list when it does not exist.
    public static func contents(of path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw .last("opendir", path)
        }
        defer { closedir(dir) }
        var names = [String]()
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Hard-links `source` to `destination`. Returns false, without changing anything, if `destination`
    /// already exists: links never overwrite, which is what makes "first writer wins" hold.
    public static func link(_ source: String, to destination: String) throws(SystemError) -> Bool {
        if Glibc.link(source, destination) == 0 { return true }
        if errno == EEXIST { return false }
        throw .last("link \(source) ->", destination)
    }

    /// Removes a file; a missing file is not an error (removal is idempotent across crashes).
    public static func removeFile(_ path: String) throws(SystemError) {
        if unlink(path) != 0 && errno != ENOENT { throw .last("unlink", path) }
    }

    /// Removes an empty directory; a missing or non-empty one is left alone.
    public static func removeEmptyDirectory(_ path: String) throws(SystemError) {
        if rmdir(path) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST {
            throw .last("rmdir", path)
        }
    }

    public static func rename(_ source: String, to destination: String) throws(SystemError) {
        if Glibc.rename(source, destination) != 0 { throw .last("rename \(source) ->", destination) }
    }

    /// Reads a whole file.
    public static func readFile(_ path: String) throws(SystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .last("open", path) }
        defer { close(fd) }
        var result = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .last("read", path)
            }
            if count == 0 { return result }
            result.append(contentsOf: buffer[0..<count])
        }
    }

    /// Size and SHA-256 of a file, streamed in 256 KiB reads.
    public static func digest(of path: String) throws(SystemError) -> (size: Int, sha256: SHA256Digest) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .last("open", path) }
        defer { close(fd) }
        var hasher = SHA256Hasher()
        var size = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .last("read", path)
            }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            size += count
        }
        return (size, hasher.finalize())
    }
}

/// What `stat` says about a file.
public struct FileStatus: Sendable, Equatable {
    public let size: Int
    public let device: UInt64
    public let inode: UInt64
    public let linkCount: Int
    public let isRegularFile: Bool
    public let modificationTime: Double

    public func isSameFile(as other: FileStatus) -> Bool { device == other.device && inode == other.inode }
}

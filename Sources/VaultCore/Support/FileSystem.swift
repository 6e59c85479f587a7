#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file operations the blob store needs, with errors that name the path. Blocking by design:
/// callers run them off the event loop.
///
/// **No operation follows a symbolic link**, in any component of its path. A data directory's root is made
/// canonical once (`DataDirectory`), so no path VoiceVault builds under it legitimately passes through a
/// link; one that does was put there by someone else, and following it would let the server serve, write,
/// delete or quarantine files outside the data directory (a book directory linked to `/etc`, an asset
/// replaced by a link to a secret). So every path is opened component by component from `/` (or the
/// working directory) with `O_NOFOLLOW`, and operations act through the parent's descriptor (`openat`,
/// `unlinkat`, `linkat`, `renameat`, `fstatat` without following). A link is then just an entry: `status`
/// reports it as not a regular file, and fsck treats it as stray.
public enum FileSystem {
    /// Opens `path` with `flags` without following a symbolic link in any component; -1 with `errno` set
    /// otherwise (`ELOOP` or `ENOTDIR` where a link stood).
    public static func openNoFollow(_ path: String, _ flags: Int32, mode: mode_t = 0) -> Int32 {
        parentDescriptor(of: path) { parent, name in
            guard let parent else { return -1 }
            return openat(parent, name, flags | O_NOFOLLOW | O_CLOEXEC, mode)
        }
    }

    /// Runs `body` with a descriptor of `path`'s parent directory, opened without following links, and the
    /// last component's name. The descriptor is nil (and `errno` set) when the parent cannot be opened.
    static func parentDescriptor<T, Failure: Error>(of path: String, _ body: (Int32?, String) throws(Failure) -> T) throws(Failure) -> T {
        var components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let name = components.popLast() ?? "."
        var current = open(path.hasPrefix("/") ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        for component in components where component != "." {
            guard current >= 0 else { break }
            let next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let saved = errno
            close(current)
            errno = saved
            current = next
        }
        guard current >= 0 else { return try body(nil, name) }
        defer { close(current) }
        return try body(current, name)
    }

    /// `parentDescriptor` for operations that cannot go on without the parent.
    static func inParent<T>(of path: String, _ operation: String, _ body: (Int32, String) throws(SystemError) -> T) throws(SystemError) -> T
    {
        try parentDescriptor(of: path) { (parent, name) throws(SystemError) -> T in
            guard let parent else { throw .last(operation, path) }
            return try body(parent, name)
        }
    }

    /// `lstat` through the parent's descriptor: what the last component itself is. Nil with `errno` set when
    /// it (or a real directory on the way to it) does not exist.
    static func linkStatus(_ path: String) -> stat? {
        parentDescriptor(of: path) { parent, name in
            guard let parent else { return nil }
            var info = stat()
            return fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? info : nil
        }
    }

    /// Writes all of `bytes` to `fd`, resuming after short writes and EINTR; a full disk or an I/O error is
    /// thrown with `path`, so callers can remove the half-written file.
    public static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>, path: String) throws(SystemError) {
        let failure: SystemError? = bytes.withUnsafeBytes { raw -> SystemError? in
            do throws(SystemError) { try writeAll(fd, raw, path: path) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Writes every byte of `bytes` (from a buffer the caller owns: no copy is made).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
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
        let made = try inParent(of: path, "mkdir") { parent, name in mkdirat(parent, name, mode) == 0 }
        if made { return true }
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

    /// A real directory: a link to one is not.
    public static func isDirectory(_ path: String) -> Bool {
        linkStatus(path).map { ($0.st_mode & S_IFMT) == S_IFDIR } ?? false
    }

    /// Whether an entry of any kind (a link included) is there.
    public static func exists(_ path: String) -> Bool {
        linkStatus(path) != nil
    }

    /// File size and identity of the entry itself (a link is reported as a link, not followed), or nil when
    /// there is no such entry reachable through real directories.
    public static func status(_ path: String) throws(SystemError) -> FileStatus? {
        guard let info = linkStatus(path) else {
            if errno == ENOENT || errno == ENOTDIR || errno == ELOOP { return nil }
            throw .last("stat", path)
        }
        return FileStatus(
            size: Int(info.st_size), device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
            linkCount: Int(info.st_nlink), isRegularFile: (info.st_mode & S_IFMT) == S_IFREG,
            isSymbolicLink: (info.st_mode & S_IFMT) == S_IFLNK,
            modificationTime: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }

    /// Flushes a directory so that entries created, linked or removed in it survive a power loss.
    public static func syncDirectory(_ path: String) throws(SystemError) {
        let fd = openNoFollow(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw .last("open directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .last("fsync directory", path) }
    }

    /// Names in a directory (no `.`/`..`), or an empty list when it does not exist.
    public static func contents(of path: String) throws(SystemError) -> [String] {
        let fd = openNoFollow(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0, let dir = fdopendir(fd) else {
            let failure = errno
            if fd >= 0 { close(fd) }
            if failure == ENOENT { return [] }
            errno = failure
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
        let linked = try inParent(of: source, "link \(source) ->") { (from, sourceName) throws(SystemError) -> Bool in
            try inParent(of: destination, "link \(source) ->") { to, destinationName in
                linkat(from, sourceName, to, destinationName, 0) == 0  // without AT_SYMLINK_FOLLOW: a link is linked as itself
            }
        }
        if linked { return true }
        if errno == EEXIST { return false }
        throw .last("link \(source) ->", destination)
    }

    /// Removes a file; a missing file is not an error (removal is idempotent across crashes).
    public static func removeFile(_ path: String) throws(SystemError) {
        let removed = parentDescriptor(of: path) { parent, name in
            guard let parent else { return false }
            return unlinkat(parent, name, 0) == 0
        }
        if !removed && errno != ENOENT { throw .last("unlink", path) }
    }

    /// Removes an empty directory; a missing or non-empty one is left alone.
    public static func removeEmptyDirectory(_ path: String) throws(SystemError) {
        let removed = parentDescriptor(of: path) { parent, name in
            guard let parent else { return false }
            return unlinkat(parent, name, AT_REMOVEDIR) == 0
        }
        if !removed && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST {
            throw .last("rmdir", path)
        }
    }

    /// Renames the entry itself (a link is moved as a link, its target untouched).
    public static func rename(_ source: String, to destination: String) throws(SystemError) {
        let renamed = try inParent(of: source, "rename \(source) ->") { (from, sourceName) throws(SystemError) -> Bool in
            try inParent(of: destination, "rename \(source) ->") { to, destinationName in
                renameat(from, sourceName, to, destinationName) == 0
            }
        }
        if !renamed { throw .last("rename \(source) ->", destination) }
    }

    /// Reads a whole file.
    public static func readFile(_ path: String) throws(SystemError) -> [UInt8] {
        let fd = openNoFollow(path, O_RDONLY)
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
        let fd = openNoFollow(path, O_RDONLY)
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
    public let isSymbolicLink: Bool
    public let modificationTime: Double

    public init(
        size: Int, device: UInt64, inode: UInt64, linkCount: Int, isRegularFile: Bool, isSymbolicLink: Bool = false,
        modificationTime: Double
    ) {
        self.size = size
        self.device = device
        self.inode = inode
        self.linkCount = linkCount
        self.isRegularFile = isRegularFile
        self.isSymbolicLink = isSymbolicLink
        self.modificationTime = modificationTime
    }

    public func isSameFile(as other: FileStatus) -> Bool { device == other.device && inode == other.inode }
}

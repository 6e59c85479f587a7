#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Files replaced whole and durably (the manifests of uploads in progress, a shared directory's blobs): the new
/// content goes to a temp file, is fsynced, renamed over the target, and the target's directory is fsynced, so
/// after a crash the file holds the old content or the new, never a mix or nothing.
enum DurableFile {
    /// - Parameter temporary: where the content is written first, on the target's file system; `<path>.tmp` by
    ///   default. Writers that may race for one target (two nodes putting one blob) each name their own.
    static func replace(_ path: String, with bytes: [UInt8], directory: String, temporary: String? = nil) throws {
        let temporary = temporary ?? path + ".tmp"
        let fd = FileSystem.openNoFollow(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        guard fd >= 0 else { throw SystemError.last("create", temporary) }
        do {
            try FileSystem.writeAll(fd, bytes[...], path: temporary)
            guard fsync(fd) == 0 else { throw SystemError.last("fsync", temporary) }
            close(fd)
        } catch {
            close(fd)
            try? FileSystem.removeFile(temporary)
            throw error
        }
        try FileSystem.rename(temporary, to: path)
        try FileSystem.syncDirectory(directory)
    }

    /// `value` as sorted-key JSON, replacing `path` durably.
    static func replace(_ path: String, withJSON value: some Encodable, directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try replace(path, with: Array(try encoder.encode(value)), directory: directory)
    }

    /// The JSON value at `path`, nil when there is no such file; `unreadable` when it does not decode.
    static func readJSON<T: Decodable>(_ type: T.Type, at path: String, unreadable: @autoclosure () -> any Error) throws -> T? {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch  where error.errno == ENOENT { return nil }
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch { throw unreadable() }
    }
}

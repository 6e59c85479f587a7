#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A generation's audio written to `<data>/tmp` as it arrives: appended, hashed and inspected piece by piece,
/// and readable from byte 0 by any number of listeners while it grows (they `pread` the same descriptor, so a
/// listener keeps its bytes even after the file is linked into place and its temp name removed).
///
/// One writer (the generation's owner) calls `append`, then `seal` or `discard`; readers call `read` at any
/// time. A crash leaves at worst this temp file, which the start-up sweep removes.
public final class StagedAudio: Sendable {
    public let path: String
    /// What the bytes must be: MP3 is checked frame by frame as it arrives; the other formats' containers are
    /// checked whole when sealed (`AudioInspection`), by reading the file back.
    public let format: AudioFormat
    let descriptor: Int32
    private let observer: PublicationObserver?

    private struct WriterState: ~Copyable {
        var hasher = SHA256Hasher()
        var inspector = IncrementalMP3Inspector()
        var size = 0
    }

    private let writer = Mutex(WriterState())
    /// Bytes durable enough to read (written with `write`, so visible to `pread` on the same file).
    private let readable = Atomic<Int>(0)

    /// What sealing proved: a whole file of its format, `size` bytes with this digest and playing time, now
    /// durable.
    public struct Sealed: Sendable {
        public let path: String
        public let size: Int
        public let sha256: SHA256Digest
        public let durationSeconds: Double
    }

    init(directory: DataDirectory, hash: SHA256Digest, format: AudioFormat, observer: PublicationObserver?) throws {
        self.format = format
        path = directory.temporary + "/" + hash.hex + "." + UUID().uuidString.lowercased() + ".part"
        let fd = FileSystem.openNoFollow(path, O_RDWR | O_CREAT | O_EXCL, mode: 0o644)
        guard fd >= 0 else { throw SystemError.last("create", path) }
        descriptor = fd
        self.observer = observer
    }

    deinit { close(descriptor) }

    /// Bytes readable so far.
    public var size: Int { readable.load(ordering: .acquiring) }

    /// Appends the next piece. Blocks on disk I/O.
    public func append(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        let path = path
        let descriptor = descriptor
        let first = try writer.withLock { state throws -> Bool in
            try FileSystem.writeAll(descriptor, bytes[...], path: path)
            state.hasher.update(bytes)
            if checksFrames { _ = state.inspector.feed(bytes) }
            state.size += bytes.count
            readable.store(state.size, ordering: .releasing)
            return state.size == bytes.count
        }
        if first { observer?(.tempPartiallyWritten) }
    }

    /// Empties the file to take a new attempt's bytes; only when no listener has read any (the caller's
    /// `LiveGeneration.restartIfUnheard` says so). Blocks on disk I/O.
    public func restart() throws {
        try writer.withLock { state throws in
            guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else { throw SystemError.last("truncate", path) }
            state = WriterState()
            readable.store(0, ordering: .releasing)
        }
    }

    /// Up to `count` bytes at `offset`, fewer only at the current end. Blocks on disk I/O.
    public func read(offset: Int, count: Int) throws -> [UInt8] {
        let available = min(count, max(0, size - offset))
        guard available > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: available)
        var filled = 0
        while filled < available {
            let got = buffer.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + filled, available - filled, off_t(offset + filled))
            }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { throw SystemError.last("pread", path) }
            filled += got
        }
        return buffer
    }

    private var checksFrames: Bool { format.codec == .mp3 }

    /// Checks that the whole is a complete file of its format and makes it durable. Throws
    /// `StoreError.invalidAudio` (MP3) or `.invalidFormat` when it is not (the caller then discards it). Blocks
    /// on disk I/O.
    public func seal() throws -> Sealed {
        let (duration, digest, size) = try writer.withLock { state throws -> (Double, SHA256Digest, Int) in
            let digest = state.hasher.finalizeCopy()
            guard checksFrames else {
                let whole = try read(offset: 0, count: state.size)
                do throws(AudioInspection.Failure) {
                    return (try AudioInspection.durationSeconds(whole, format: format), digest, state.size)
                } catch {
                    throw StoreError.invalidFormat(error)
                }
            }
            let verdict = Result { () throws(MP3Error) in try state.inspector.finish().info }
            guard case let .success(info) = verdict else {
                if case let .failure(error) = verdict { throw StoreError.invalidAudio(error) }
                throw StoreError.invalidAudio(.empty)
            }
            return (info.durationSeconds, digest, state.size)
        }
        observer?(.tempWritten)
        guard fsync(descriptor) == 0 else { throw SystemError.last("fsync", path) }
        observer?(.tempSynced)
        return Sealed(path: path, size: size, sha256: digest, durationSeconds: duration)
    }

    /// Removes the temp name (readers holding the descriptor finish what they read). Blocks on disk I/O.
    public func discard() {
        try? FileSystem.removeFile(path)
    }
}

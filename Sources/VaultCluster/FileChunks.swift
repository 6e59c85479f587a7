#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import VaultCore

/// A finished file's bytes as a sequence of buffers of at most `chunkSize`, each read off the cooperative pool
/// (`BlockingIO`) at its own offset: a request body that sends a file of any size holding one chunk in memory.
/// The file must not change while it is read (staged uploads never do); a short read is an error.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let size: Int
    let chunkSize: Int

    init(path: String, size: Int, chunkSize: Int = 1 << 20) {
        self.path = path
        self.size = size
        self.chunkSize = Swift.max(1, chunkSize)
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: FileChunks
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            guard offset < chunks.size else { return nil }
            let (path, start, count) = (chunks.path, offset, Swift.min(chunks.chunkSize, chunks.size - offset))
            let bytes = try await BlockingIO.run { try Self.read(path, at: start, count: count) }
            offset += count
            return ByteBuffer(bytes: bytes)
        }

        static func read(_ path: String, at offset: Int, count: Int) throws -> [UInt8] {
            let descriptor = FileSystem.openNoFollow(path, O_RDONLY)
            guard descriptor >= 0 else { throw SystemError(errno: errno, operation: "open", path: path) }
            defer { close(descriptor) }
            var bytes = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let got = bytes.withUnsafeMutableBytes { buffer -> Int in
                    guard let base = buffer.baseAddress else { return 0 }
                    return pread(descriptor, base + done, count - done, off_t(offset + done))
                }
                if got < 0, errno == EINTR { continue }
                guard got > 0 else { throw SystemError(errno: got < 0 ? errno : EIO, operation: "pread", path: path) }
                done += got
            }
            return bytes
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self) }
}

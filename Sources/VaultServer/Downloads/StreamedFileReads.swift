import NIOCore
import NIOPosix

/// How a streamed response reads its file: chunk by chunk on NIO's thread pool (never on the cooperative
/// pool: `pread` may wait for the disk), each chunk handed back on the connection's event loop.
///
/// That hand-back is also what bounds the memory of a response whose client stops reading. NIO's async
/// writer learns that the socket is full only when the event loop has run the writes queued before, so a
/// producer reading from the page cache as fast as it yields can queue megabytes ahead of a stalled client
/// (Docs/PERFORMANCE.md, "Stalled readers"). A chunk completed on the event loop completes after the writes
/// queued before it were made, so the next write already sees the socket's state and waits: a stalled
/// response holds about one chunk in NIO's queue and one being written.
struct StreamedFileReads: Sendable {
    let pool: NIOThreadPool
    let eventLoop: any EventLoop

    init(pool: NIOThreadPool = .singleton, eventLoop: any EventLoop) {
        self.pool = pool
        self.eventLoop = eventLoop
    }

    func read(_ file: OpenFile, offset: UInt64, count: Int) async throws -> ByteBuffer {
        try await pool.runIfActive(eventLoop: eventLoop) { try file.read(offset: offset, count: count) }.get()
    }
}

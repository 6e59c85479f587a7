import NIOCore

/// An answer's body as the fast paths hand it to NIO: held bytes as they are, spans of an open file as
/// `FileRegion`s on a handle of this answer's own, which borrows the descriptor (the `OpenFile`, perhaps kept by
/// `OpenFileCache` and shared with other answers, owns and closes it). `whenWritten` must run once the writes
/// are done, written or failed: it gives the descriptor back unclosed and lets the file go.
struct WireBody {
    let pieces: [IOData]
    /// Bytes sent from the file (by `sendfile`).
    let fileBytes: Int
    let whenWritten: @Sendable () -> Void

    init(_ wire: [DownloadAnswer.WirePiece]) {
        var pieces: [IOData] = []
        pieces.reserveCapacity(wire.count)
        var file: OpenFile?
        var handle: NIOFileHandle?
        var fileBytes = 0
        for piece in wire {
            switch piece {
            case let .bytes(buffer):
                pieces.append(.byteBuffer(buffer))
            case let .file(opened, span):
                let lent = handle ?? NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: opened.descriptor)
                handle = lent
                file = opened
                fileBytes += span.count
                pieces.append(.fileRegion(FileRegion(fileHandle: lent, readerIndex: Int(span.lowerBound), endIndex: Int(span.upperBound))))
            }
        }
        self.pieces = pieces
        self.fileBytes = fileBytes
        if let lent = handle, let owner = file {
            whenWritten = {
                _ = try? lent.takeDescriptorOwnership()
                withExtendedLifetime(owner) {}
            }
        } else {
            whenWritten = {}
        }
    }
}

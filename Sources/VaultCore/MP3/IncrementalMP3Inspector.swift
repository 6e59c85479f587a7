/// `MP3Inspector` for bytes that arrive in pieces: a generation's audio is checked as it streams, so the
/// moment the last byte arrives the server knows whether the whole is a complete MP3, without reading the
/// staged file back. Fed any split of a file, `finish()` answers exactly what `MP3Inspector.inspect` answers
/// for the whole (the tests feed every fixture byte by byte and at random splits to hold it to that).
///
/// Memory stays small whatever the length: an ID3 tag is skipped by counting, the head (where the first frame
/// and any Xing/VBRI frame are found) is buffered up to a fixed size, then only a partial frame is carried
/// between pieces. Trailing bytes that are not frames are kept up to `maximumTailBytes` (an ID3v1 or APE
/// tag); beyond that the file is truncated or damaged either way.
///
/// `feed` also returns the audio frames it completed (not the ID3 tag, Xing/VBRI frame or trailing tags):
/// what joining pieces of speech into one MP3 keeps.
public struct IncrementalMP3Inspector: Sendable {
    static let maximumFrameBytes = 2881
    /// Enough head to find the first frame within `maximumLeadingJunk` and check the frame after it, and to
    /// read a Xing/VBRI tag in it.
    static let headBytes = MP3Inspector.maximumLeadingJunk + 3 * maximumFrameBytes + 4
    public static let maximumTailBytes = 64 * 1024

    enum Phase {
        /// Reading the first ten bytes, which say whether an ID3v2 tag comes first and how long it is.
        case tagHeader
        /// Skipping the tag's remaining bytes.
        case skippingTag(remaining: Int)
        /// Buffering the head until the first frame can be found.
        case head
        case frames
        /// Bytes after the last whole frame: a trailing tag, or damage.
        case tail
    }

    private var phase = Phase.tagHeader
    /// Bytes fed so far.
    public private(set) var total = 0
    private var tagHeader: [UInt8] = []
    private var id3Length = 0
    /// Head bytes, starting at `id3Length`.
    private var head: [UInt8] = []
    private var found: MP3Inspector.Head?
    /// Bytes not yet walked, starting at absolute offset `pendingStart`.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var walk = MP3Inspector.FrameWalk()
    private var tail: [UInt8] = []
    private var tailStart = 0
    private var tailOverflow = false

    public init() {}

    /// Takes the next bytes; returns the audio frames they completed.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var input = ArraySlice(bytes)
        total += input.count
        var audio = [UInt8]()
        while !input.isEmpty {
            switch phase {
            case .tagHeader:
                let take = min(10 - tagHeader.count, input.count)
                tagHeader += input.prefix(take)
                input = input.dropFirst(take)
                if tagHeader.count == 10 {
                    id3Length = MP3Inspector.id3v2DeclaredLength(tagHeader)
                    if id3Length == 0 {
                        head = tagHeader
                        phase = .head
                    } else {
                        phase = .skippingTag(remaining: id3Length - 10)
                    }
                }
            case let .skippingTag(remaining):
                let take = min(remaining, input.count)
                input = input.dropFirst(take)
                phase = remaining - take == 0 ? .head : .skippingTag(remaining: remaining - take)
            case .head:
                let take = min(Self.headBytes - head.count, input.count)
                head += input.prefix(take)
                input = input.dropFirst(take)
                if head.count == Self.headBytes { audio += startWalking() }
            case .frames:
                pending += input
                input = []
                audio += walkPending(final: false)
            case .tail:
                keepTail(input)
                input = []
            }
        }
        return audio
    }

    /// The inspection of everything fed, as `MP3Inspector.inspect` gives it for the whole, and the audio frames
    /// completed by the end.
    public mutating func finish() throws(MP3Error) -> (info: MP3Info, audio: [UInt8]) {
        guard total > 0 else { throw .empty }
        var audio = [UInt8]()
        switch phase {
        case .tagHeader:
            // Under ten bytes: no tag can be read, so they are all head.
            head = tagHeader
            id3Length = 0
            audio += startWalking()
        case .skippingTag:
            // The stream ended inside the tag: nothing after it can be a frame.
            throw .noFrameSync
        case .head:
            audio += startWalking()
        case .frames, .tail:
            break
        }
        guard let found else { throw .noFrameSync }
        if case .frames = phase { audio += walkPending(final: true) }
        let audioEnd = tailStart
        let trailing: Int
        if tail.isEmpty && !tailOverflow {
            trailing = 0
        } else if !tailOverflow, MP3Inspector.trailingTagLength(tail, from: 0) == tail.count {
            trailing = tail.count
        } else {
            throw .truncated(validBytes: audioEnd, totalBytes: total)
        }
        guard walk.frames > 0 else { throw .noFrameSync }
        return (MP3Inspector.makeInfo(head: found, id3Length: id3Length, audioEnd: audioEnd, trailing: trailing, walk: walk), audio)
    }

    /// Finds the first frame in the head and starts walking from the audio after it.
    private mutating func startWalking() -> [UInt8] {
        guard let relative = MP3Inspector.head(head, from: 0) else {
            // No frame in the head: whatever follows, this is not MP3. Count the rest as tail, walk nothing.
            phase = .tail
            tailStart = id3Length
            tailOverflow = true
            return []
        }
        found = relative.shifted(by: id3Length)
        pending = Array(head[relative.audioOffset...])
        pendingStart = id3Length + relative.audioOffset
        head = []
        phase = .frames
        return walkPending(final: false)
    }

    /// Walks whole frames in `pending`; stops at a partial frame (kept for the next piece) or at bytes that are
    /// not a frame of this stream (the tail begins there).
    private mutating func walkPending(final: Bool) -> [UInt8] {
        guard let first = found?.firstHeader else { return [] }
        var cursor = 0
        var stop = false
        while cursor + 4 <= pending.count {
            guard let header = MP3FrameHeader(pending[cursor], pending[cursor + 1], pending[cursor + 2], pending[cursor + 3]),
                header.sampleRate == first.sampleRate, header.layer == first.layer
            else {
                stop = true
                break
            }
            guard cursor + header.frameLength <= pending.count else { break }
            walk.frames += 1
            walk.samples += header.samplesPerFrame
            walk.totalBits += Double(header.bitrateKbps)
            cursor += header.frameLength
        }
        let audio = Array(pending[..<cursor])
        pendingStart += cursor
        pending.removeFirst(cursor)
        tailStart = pendingStart
        if stop || final {
            let rest = pending
            pending = []
            phase = .tail
            keepTail(rest[...])
        }
        return audio
    }

    private mutating func keepTail(_ bytes: ArraySlice<UInt8>) {
        guard !tailOverflow else { return }
        if tail.count + bytes.count > Self.maximumTailBytes {
            tailOverflow = true
            tail = []
        } else {
            tail += bytes
        }
    }
}

/// Checks an Ogg Opus file (RFC 3533 pages, RFC 7845 Opus mapping) page by page and reads its duration from
/// the data: every page's capture pattern, version and CRC, one logical stream with consecutive sequence
/// numbers, `OpusHead` alone on the first page (beginning of stream), `OpusTags` next, the end-of-stream flag on
/// the last page and nothing after it, granule positions that never go back. The duration is the last page's
/// granule position less the pre-skip, at 48 kHz, as RFC 7845 defines it.
///
/// One pass over the bytes, bounded work per byte (the CRC); nothing allocated per page.
public enum OggOpusInspector {
    public struct Info: Sendable, Equatable {
        public let channels: Int
        public let preSkip: Int
        public let pages: Int
        /// The last granule position: samples at 48 kHz, pre-skip included.
        public let granulePosition: UInt64
        public var durationSeconds: Double { Double(granulePosition &- UInt64(preSkip)) / 48_000 }
    }

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case notOgg(offset: Int)
        case truncatedPage(offset: Int)
        case badChecksum(page: Int)
        case unexpectedStream(page: Int)
        case outOfSequence(page: Int)
        case notOpus(String)
        case granuleWentBack(page: Int)
        case noEndOfStream
        case empty

        public var description: String {
            switch self {
            case let .notOgg(offset): "no Ogg page at byte \(offset)"
            case let .truncatedPage(offset): "the Ogg page at byte \(offset) is cut short"
            case let .badChecksum(page): "Ogg page \(page) fails its CRC"
            case let .unexpectedStream(page): "Ogg page \(page) belongs to another stream or begins one"
            case let .outOfSequence(page): "Ogg page \(page) is out of sequence"
            case let .notOpus(reason): "not an Ogg Opus stream: \(reason)"
            case let .granuleWentBack(page): "Ogg page \(page)'s granule position goes back"
            case .noEndOfStream: "the stream has no end-of-stream page (cut short?)"
            case .empty: "no audio"
            }
        }
    }

    static let capture: [UInt8] = Array("OggS".utf8)
    static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index) << 24
        for _ in 0..<8 { value = value & 0x8000_0000 != 0 ? (value << 1) ^ 0x04C1_1DB7 : value << 1 }
        return value
    }

    /// Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial value and final XOR 0, over the page with its
    /// checksum field read as zero.
    static func checksum(_ bytes: ArraySlice<UInt8>, checksumAt field: Int) -> UInt32 {
        var crc: UInt32 = 0
        for index in bytes.indices {
            let byte = (field..<(field + 4)).contains(index) ? 0 : bytes[index]
            crc = (crc << 8) ^ crcTable[Int((crc >> 24) ^ UInt32(byte))]
        }
        return crc
    }

    public static func inspect(_ bytes: [UInt8]) throws(Failure) -> Info {
        guard !bytes.isEmpty else { throw .empty }
        var offset = 0
        var page = 0
        var serial: UInt32 = 0
        var granule: UInt64 = 0
        var channels = 0
        var preSkip = 0
        var ended = false
        while offset < bytes.count {
            guard !ended else { throw .unexpectedStream(page: page) }
            guard offset + 27 <= bytes.count else { throw .truncatedPage(offset: offset) }
            guard bytes[offset..<(offset + 4)].elementsEqual(capture), bytes[offset + 4] == 0 else { throw .notOgg(offset: offset) }
            let flags = bytes[offset + 5]
            let pageGranule = littleEndian(bytes, offset + 6, count: 8)
            let pageSerial = UInt32(littleEndian(bytes, offset + 14, count: 4))
            let sequence = UInt32(littleEndian(bytes, offset + 18, count: 4))
            let stored = UInt32(littleEndian(bytes, offset + 22, count: 4))
            let segments = Int(bytes[offset + 26])
            guard offset + 27 + segments <= bytes.count else { throw .truncatedPage(offset: offset) }
            let lacing = bytes[(offset + 27)..<(offset + 27 + segments)]
            let bodyLength = lacing.reduce(0) { $0 + Int($1) }
            let end = offset + 27 + segments + bodyLength
            guard end <= bytes.count else { throw .truncatedPage(offset: offset) }
            guard checksum(bytes[offset..<end], checksumAt: offset + 22) == stored else { throw .badChecksum(page: page) }
            let beginsStream = flags & 0x02 != 0
            if page == 0 {
                guard beginsStream else { throw .notOpus("the first page does not begin a stream") }
                serial = pageSerial
            } else {
                guard !beginsStream, pageSerial == serial else { throw .unexpectedStream(page: page) }
            }
            guard sequence == UInt32(truncatingIfNeeded: page) else { throw .outOfSequence(page: page) }
            let body = bytes[(offset + 27 + segments)..<end]
            if page == 0 {
                guard body.count >= 19, body.prefix(8).elementsEqual("OpusHead".utf8), body[body.startIndex + 8] & 0xF0 == 0 else {
                    throw .notOpus("the first page is not an OpusHead")
                }
                channels = Int(body[body.startIndex + 9])
                preSkip = Int(littleEndian(bytes, body.startIndex + 10, count: 2))
                guard channels > 0, pageGranule == 0 else { throw .notOpus("OpusHead has no channels or a granule position") }
            } else if page == 1 {
                guard body.count >= 8, body.prefix(8).elementsEqual("OpusTags".utf8) else {
                    throw .notOpus("the second page does not start with OpusTags")
                }
            }
            // -1: no packet ends on this page.
            if pageGranule != UInt64.max {
                guard pageGranule >= granule else { throw .granuleWentBack(page: page) }
                granule = pageGranule
            }
            ended = flags & 0x04 != 0
            offset = end
            page += 1
        }
        guard ended else { throw .noEndOfStream }
        guard page > 2, granule >= UInt64(preSkip) else { throw .notOpus("no audio pages after the headers") }
        return Info(channels: channels, preSkip: preSkip, pages: page, granulePosition: granule)
    }

    static func littleEndian(_ bytes: [UInt8], _ offset: Int, count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in (0..<count).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
        return value
    }
}

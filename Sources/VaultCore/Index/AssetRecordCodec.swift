/// The binary encoding of `AssetRecord` in LMDB.
///
/// A hit must cost microseconds, and a general-purpose JSON decoder costs about ten of them per record, so
/// records use a small fixed layout instead (about 250 bytes, decoded in well under a microsecond):
///
///     "VR" 0x01                      magic and layout version
///     32 bytes                       content hash
///     32 bytes                       sha256 of the file
///     8 bytes                        duration, IEEE 754 binary64, little-endian
///     8 bytes                        created-at, binary64 seconds since 1970, little-endian
///     varint                         byte size
///     varint, varint                 word count, character count
///     1 byte                         flags: 0x01 upstream request id present, 0x02 character cost present,
///                                    0x04 imported (`AssetOrigin.imported`; a reader that predates it sees
///                                    generated audio, which is what such a reader can serve)
///     varint                         character cost (if flagged)
///     string x 3                     voice id, model id, output format (varint length + UTF-8)
///     string                         upstream request id (if flagged)
///     varint, string x n             book ids
///
/// Every read is bounds-checked: a damaged value is a thrown `corruptRecord`, never a crash. A new field
/// means layout version 2 plus an index migration (Index/IndexSchema.swift).
public enum AssetRecordCodec {
    static let magic: [UInt8] = [0x56, 0x52, 0x01]

    public struct DecodingError: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public static func encode(_ record: AssetRecord) throws(DecodingError) -> [UInt8] {
        guard let hash = SHA256Digest(hex: record.contentHash) else { throw .init(reason: "contentHash is not a sha256") }
        guard let sha = SHA256Digest(hex: record.sha256) else { throw .init(reason: "sha256 is not a sha256") }
        guard record.byteSize >= 0, record.wordCount >= 0, record.characterCount >= 0, (record.characterCost ?? 0) >= 0
        else { throw .init(reason: "negative count") }
        var out = magic
        out.reserveCapacity(160 + record.bookIds.reduce(0) { $0 + $1.utf8.count + 2 })
        out += hash.bytes
        out += sha.bytes
        appendDouble(record.durationSeconds, to: &out)
        appendDouble(record.createdAt, to: &out)
        appendVarint(UInt64(record.byteSize), to: &out)
        appendVarint(UInt64(record.wordCount), to: &out)
        appendVarint(UInt64(record.characterCount), to: &out)
        out.append(
            (record.upstreamRequestId == nil ? 0 : 0x01) | (record.characterCost == nil ? 0 : 0x02)
                | (record.origin == .imported ? 0x04 : 0) | (record.upstreamHistoryItemId == nil ? 0 : 0x08))
        if let cost = record.characterCost { appendVarint(UInt64(cost), to: &out) }
        appendString(record.voiceId, to: &out)
        appendString(record.modelId, to: &out)
        appendString(record.outputFormat, to: &out)
        if let id = record.upstreamRequestId { appendString(id, to: &out) }
        if let id = record.upstreamHistoryItemId { appendString(id, to: &out) }
        appendVarint(UInt64(record.bookIds.count), to: &out)
        for book in record.bookIds { appendString(book, to: &out) }
        return out
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> AssetRecord {
        var reader = Reader(bytes: bytes)
        guard try reader.take(3).elementsEqual(magic) else { throw .init(reason: "unknown record layout") }
        let hash = try reader.digestHex()
        let sha = try reader.digestHex()
        let duration = try reader.double()
        let createdAt = try reader.double()
        let size = try reader.count()
        let words = try reader.count()
        let characters = try reader.count()
        let flags = try reader.byte()
        let cost = flags & 0x02 != 0 ? try reader.count() : nil
        let voice = try reader.string()
        let model = try reader.string()
        let format = try reader.string()
        let requestId = flags & 0x01 != 0 ? try reader.string() : nil
        let historyItemId = flags & 0x08 != 0 ? try reader.string() : nil
        let bookCount = try reader.count()
        guard bookCount <= bytes.count else { throw .init(reason: "book count \(bookCount) exceeds the record") }
        var books = [String]()
        books.reserveCapacity(bookCount)
        for _ in 0..<bookCount { books.append(try reader.string()) }
        guard reader.isAtEnd else { throw .init(reason: "trailing bytes after the record") }
        return AssetRecord(
            contentHash: hash, bookIds: books, voiceId: voice, modelId: model, outputFormat: format, byteSize: size,
            sha256: sha, durationSeconds: duration, wordCount: words, characterCount: characters,
            createdAt: createdAt, upstreamRequestId: requestId, characterCost: cost,
            origin: flags & 0x04 != 0 ? .imported : .generated, upstreamHistoryItemId: historyItemId)
    }

    /// What a download reads of a record (its size, checksum and age, and whether `book` holds it), without
    /// decoding the rest: no string is built, the book ids are compared in place. It walks the whole layout as
    /// `decode` does, so it throws for exactly the records `decode` throws for. A fraction of `decode`'s cost,
    /// on every download's path (Docs/PERFORMANCE.md, "Descriptors kept open").
    public static func downloadFields(_ bytes: UnsafeRawBufferPointer, book: UnsafeRawBufferPointer) throws(DecodingError)
        -> AssetDownloadFields
    {
        var reader = Reader(bytes: bytes)
        guard try reader.take(3).elementsEqual(magic) else { throw .init(reason: "unknown record layout") }
        _ = try reader.take(32)
        let sha = try reader.take(32)
        _ = try reader.double()
        let createdAt = try reader.double()
        let size = try reader.count()
        _ = try reader.count()
        _ = try reader.count()
        let flags = try reader.byte()
        if flags & 0x02 != 0 { _ = try reader.count() }
        for _ in 0..<(3 + (flags & 0x01 != 0 ? 1 : 0) + (flags & 0x08 != 0 ? 1 : 0)) { _ = try reader.take(try reader.count()) }
        let bookCount = try reader.count()
        guard bookCount <= bytes.count else { throw .init(reason: "book count \(bookCount) exceeds the record") }
        var inBook = false
        for _ in 0..<bookCount {
            let id = try reader.take(try reader.count())
            if !inBook, id.elementsEqual(book) { inBook = true }
        }
        guard reader.isAtEnd else { throw .init(reason: "trailing bytes after the record") }
        return AssetDownloadFields(byteSize: size, sha256: SHA256Digest(checkedBytes: Array(sha)), createdAt: createdAt, inBook: inBook)
    }

    // MARK: Writing

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    static func appendString(_ value: String, to out: inout [UInt8]) {
        appendVarint(UInt64(value.utf8.count), to: &out)
        out += value.utf8
    }

    // MARK: Reading

    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func take(_ count: Int) throws(DecodingError) -> UnsafeRawBufferPointer.SubSequence {
            guard count >= 0, count <= bytes.count - offset else { throw .init(reason: "record ends early") }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        mutating func byte() throws(DecodingError) -> UInt8 {
            guard offset < bytes.count else { throw .init(reason: "record ends early") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() throws(DecodingError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < bytes.count else { throw .init(reason: "record ends inside a number") }
                let byte = bytes[offset]
                offset += 1
                guard shift < 64 else { throw .init(reason: "number too long") }
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }

        mutating func count() throws(DecodingError) -> Int {
            let value = try varint()
            guard value <= UInt64(Int.max) else { throw .init(reason: "number out of range") }
            return Int(value)
        }

        mutating func double() throws(DecodingError) -> Double {
            let raw = UnsafeRawBufferPointer(rebasing: try take(8))
            return Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)))
        }

        mutating func string() throws(DecodingError) -> String {
            let length = try count()
            return String(decoding: try take(length), as: UTF8.self)
        }

        mutating func digestHex() throws(DecodingError) -> String {
            SHA256Digest.hex(UnsafeRawBufferPointer(rebasing: try take(32)))
        }
    }
}

/// The layout of a ZIP archive whose entries are all stored (method 0, no compression), as EPUB's container
/// asks of its `mimetype` and as audio, already compressed, gains nothing from: every header is known before
/// a byte is sent, so the archive streams with its `Content-Length` from parts (entries' bytes or files)
/// without a temporary file.
///
/// Entries keep their order (EPUB needs `mimetype` first); names are ASCII, as this server makes them. No
/// ZIP64: an archive of 4 GiB or more, or of more than 65,535 entries, is refused (`tooLarge`).
public struct StoredZipArchive: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let size: Int
        public let crc32: UInt32

        public init(name: String, size: Int, crc32: UInt32) {
            self.name = name
            self.size = size
            self.crc32 = crc32
        }
    }

    public enum Failure: Error, Equatable { case tooLarge }

    public let entries: [Entry]
    /// The DOS date and time every entry carries.
    public let modified: (date: UInt16, time: UInt16)

    public static func == (a: Self, b: Self) -> Bool {
        a.entries == b.entries && a.modified == b.modified
    }

    /// - Parameter modifiedAt: seconds since 1970 (UTC), written as the entries' DOS time (2-second precision,
    ///   1980 at the earliest).
    public init(entries: [Entry], modifiedAt: Double) throws(Failure) {
        self.entries = entries
        modified = Self.dosDateTime(modifiedAt)
        let total = entries.reduce(22) { $0 + 30 + $1.name.utf8.count + $1.size + 46 + $1.name.utf8.count }
        guard entries.count <= 0xFFFF, total <= Int(UInt32.max), entries.allSatisfy({ $0.size <= Int(UInt32.max) }) else {
            throw .tooLarge
        }
    }

    /// The archive's whole length in bytes.
    public var length: Int { entries.reduce(22) { $0 + 30 + $1.name.utf8.count + $1.size + 46 + $1.name.utf8.count } }

    /// The local header written before entry `index`'s bytes.
    public func localHeader(_ index: Int) -> [UInt8] {
        let entry = entries[index]
        var bytes: [UInt8] = []
        Self.put32(&bytes, 0x0403_4B50)
        Self.put16(&bytes, 10)  // version needed: 1.0, stored
        putDescription(&bytes, entry)
        Self.put16(&bytes, 0)  // extra field length
        bytes += Array(entry.name.utf8)
        return bytes
    }

    /// The central directory and its end record, written after the last entry.
    public var centralDirectory: [UInt8] {
        var bytes: [UInt8] = []
        var offset = 0
        for entry in entries {
            Self.put32(&bytes, 0x0201_4B50)
            Self.put16(&bytes, 20)  // made by: MS-DOS attributes, ZIP 2.0
            Self.put16(&bytes, 10)  // version needed
            putDescription(&bytes, entry)
            Self.put16(&bytes, 0)  // extra
            Self.put16(&bytes, 0)  // comment
            Self.put16(&bytes, 0)  // disk
            Self.put16(&bytes, 0)  // internal attributes
            Self.put32(&bytes, 0)  // external attributes
            Self.put32(&bytes, UInt32(offset))
            bytes += Array(entry.name.utf8)
            offset += 30 + entry.name.utf8.count + entry.size
        }
        let directorySize = bytes.count
        Self.put32(&bytes, 0x0605_4B50)
        Self.put16(&bytes, 0)
        Self.put16(&bytes, 0)
        Self.put16(&bytes, UInt16(entries.count))
        Self.put16(&bytes, UInt16(entries.count))
        Self.put32(&bytes, UInt32(directorySize))
        Self.put32(&bytes, UInt32(offset))
        Self.put16(&bytes, 0)  // comment length
        return bytes
    }

    /// What the local header and the central directory both say of an entry, in the same order: flags,
    /// method (stored), time, date, CRC-32, both sizes, the name's length.
    func putDescription(_ bytes: inout [UInt8], _ entry: Entry) {
        Self.put16(&bytes, 0)  // flags
        Self.put16(&bytes, 0)  // method: stored
        Self.put16(&bytes, modified.time)
        Self.put16(&bytes, modified.date)
        Self.put32(&bytes, entry.crc32)
        Self.put32(&bytes, UInt32(entry.size))
        Self.put32(&bytes, UInt32(entry.size))
        Self.put16(&bytes, UInt16(entry.name.utf8.count))
    }

    static func put16(_ bytes: inout [UInt8], _ value: UInt16) {
        bytes += [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    static func put32(_ bytes: inout [UInt8], _ value: UInt32) {
        bytes += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }

    /// MS-DOS date and time of `seconds` since 1970 in UTC; 1980-01-01 00:00 for anything earlier.
    static func dosDateTime(_ seconds: Double) -> (date: UInt16, time: UInt16) {
        let earliest = 315_532_800.0  // 1980-01-01
        let (days, secondOfDay) = ISO8601Timestamp.dayAndSecond(Int64(max(seconds.isFinite ? seconds : 0, earliest)))
        let (year, month, day) = ISO8601Timestamp.civilDate(daysSince1970: days)
        let date = UInt16(clamping: ((min(year, 2107) - 1980) << 9) | (month << 5) | day)
        let time = UInt16(((secondOfDay / 3600) << 11) | ((secondOfDay % 3600 / 60) << 5) | (secondOfDay % 60 / 2))
        return (date, time)
    }
}

import Foundation

/// CRC-32 (the zlib/IEEE polynomial) and CRC-32C (Castagnoli), as S3's `x-amz-checksum-crc32` and `-crc32c`
/// carry them: base64 of the big-endian 4 bytes. Fed in pieces as a body streams.
///
/// Slicing-by-8 (eight tables, eight bytes a step): boto3 sends a CRC32 with every PutObject and UploadPart,
/// so this runs over every byte uploaded through S3; a table step per byte held a debug build to under
/// 1 MB/s.
public struct CRC32: Sendable {
    public enum Polynomial: Sendable { case ieee, castagnoli }

    private let tables: [UInt32]
    private var value: UInt32 = 0xFFFF_FFFF

    static let ieeeTables = makeTables(0xEDB8_8320)
    static let castagnoliTables = makeTables(0x82F6_3B78)

    public init(_ polynomial: Polynomial) {
        tables = polynomial == .ieee ? Self.ieeeTables : Self.castagnoliTables
    }

    /// Eight 256-entry tables, one after another: table k advances a byte k positions further.
    static func makeTables(_ reversed: UInt32) -> [UInt32] {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ reversed : crc >> 1 }
            tables[index] = crc
        }
        for k in 1..<8 {
            for index in 0..<256 {
                let previous = tables[(k - 1) * 256 + index]
                tables[k * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let start = value
        let tables = tables
        if let updated = bytes.withContiguousStorageIfAvailable({ Self.update(start, UnsafeRawBufferPointer($0), tables) }) {
            value = updated
        } else {
            value = Array(bytes).withUnsafeBytes { Self.update(start, $0, tables) }
        }
    }

    static func update(_ start: UInt32, _ bytes: UnsafeRawBufferPointer, _ tables: [UInt32]) -> UInt32 {
        tables.withUnsafeBufferPointer { t in
            var crc = start
            var offset = 0
            let count = bytes.count
            while count - offset >= 8 {
                let low = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian ^ crc
                let high = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian
                crc =
                    t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                crc = t[Int((crc ^ UInt32(bytes[offset])) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
            return crc
        }
    }

    public var checksum: UInt32 { value ^ 0xFFFF_FFFF }

    /// The value as S3 headers carry it.
    public var base64: String {
        let sum = checksum
        return Data([
            UInt8(sum >> 24), UInt8(truncatingIfNeeded: sum >> 16), UInt8(truncatingIfNeeded: sum >> 8), UInt8(truncatingIfNeeded: sum),
        ])
        .base64EncodedString()
    }
}

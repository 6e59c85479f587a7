/// CRC-32 (the zlib/IEEE polynomial) and CRC-32C (Castagnoli), as S3's `x-amz-checksum-crc32` and `-crc32c`
/// carry them: base64 of the big-endian 4 bytes. Table-driven, fed in pieces as a body streams.
public struct CRC32: Sendable {
    public enum Polynomial: Sendable { case ieee, castagnoli }

    private let table: [UInt32]
    private var value: UInt32 = 0xFFFF_FFFF

    static let ieeeTable = makeTable(0xEDB8_8320)
    static let castagnoliTable = makeTable(0x82F6_3B78)

    public init(_ polynomial: Polynomial) {
        table = polynomial == .ieee ? Self.ieeeTable : Self.castagnoliTable
    }

    static func makeTable(_ reversed: UInt32) -> [UInt32] {
        (0..<256).map { index in
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ reversed : crc >> 1 }
            return crc
        }
    }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        var crc = value
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        value = crc
    }

    public var checksum: UInt32 { value ^ 0xFFFF_FFFF }

    /// The value as S3 headers carry it.
    public var base64: String {
        let sum = checksum
        return base64Encode([UInt8(sum >> 24), UInt8(truncatingIfNeeded: sum >> 16), UInt8(truncatingIfNeeded: sum >> 8), UInt8(truncatingIfNeeded: sum)])
    }
}

func base64Encode(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out = [UInt8]()
    var index = 0
    while index < bytes.count {
        let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
        let n = (UInt32(chunk[0]) << 16) | (UInt32(chunk.count > 1 ? chunk[1] : 0) << 8) | UInt32(chunk.count > 2 ? chunk[2] : 0)
        out.append(alphabet[Int(n >> 18 & 63)])
        out.append(alphabet[Int(n >> 12 & 63)])
        out.append(chunk.count > 1 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
        out.append(chunk.count > 2 ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
        index += 3
    }
    return String(decoding: out, as: UTF8.self)
}

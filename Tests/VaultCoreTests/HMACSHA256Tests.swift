import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct HMACSHA256Tests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    static func bytes(_ hex: String) -> [UInt8] {
        var out = [UInt8]()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }

    // RFC 4231 test cases 1, 2 and 6 (key longer than the block size).
    @Test(arguments: [
        (
            String(repeating: "0b", count: 20), "4869205468657265",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            String(repeating: "aa", count: 131),
            "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
    ])
    func rfc4231(key: String, data: String, expected: String) {
        let mac = HMACSHA256.authenticate(Self.bytes(data), key: Self.bytes(key))
        #expect(Self.hex(mac) == expected)
        #expect(HMACSHA256.isValid(mac, for: Self.bytes(data), key: Self.bytes(key)))
    }

    @Test func tamperedOrShortMACsAreInvalid() {
        let key = Array("secret".utf8)
        let message = Array("audio/book/hash.mp3|1764000000".utf8)
        var mac = HMACSHA256.authenticate(message, key: key)
        #expect(!HMACSHA256.isValid(Array(mac.dropLast()), for: message, key: key))
        mac[0] ^= 1
        #expect(!HMACSHA256.isValid(mac, for: message, key: key))
        #expect(!HMACSHA256.isValid(HMACSHA256.authenticate(message, key: key), for: message, key: Array("other".utf8)))
    }
}

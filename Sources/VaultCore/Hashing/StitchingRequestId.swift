/// The `request-id` VoiceVault puts on its ElevenLabs-compatible answers, which clients send back as
/// `previous_request_ids` / `next_request_ids`: `vv_<content hash>_<12 random hex digits>`.
///
/// It carries the asset's content hash, so any node resolves it without a table of ids given out (the hash is
/// on every answer as `X-Content-Hash` already), and a random tail, so that two answers never share an id as
/// two upstream answers never do. An id in this shape whose asset is not stored is unknown all the same.
public enum StitchingRequestId {
    static let prefix = "vv_"
    static let tailDigits = 12

    /// A fresh id for an answer about `hash`.
    public static func make(for hash: SHA256Digest) -> String {
        var tail = ""
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<tailDigits { tail.append(Character(String(generator.next(upperBound: 16 as UInt8), radix: 16))) }
        return prefix + hash.hex + "_" + tail
    }

    /// The content hash an id names; nil when `id` is not one VoiceVault gave out.
    public static func asset(of id: String) -> SHA256Digest? {
        let utf8 = Array(id.utf8)
        let expected = prefix.utf8.count + 64 + 1 + tailDigits
        guard utf8.count == expected, utf8.starts(with: prefix.utf8), utf8[prefix.utf8.count + 64] == UInt8(ascii: "_"),
            utf8[(expected - tailDigits)...].allSatisfy(isLowerHex)
        else { return nil }
        return SHA256Digest(hex: String(decoding: utf8[prefix.utf8.count..<(prefix.utf8.count + 64)], as: UTF8.self))
    }

    static func isLowerHex(_ byte: UInt8) -> Bool { (48...57).contains(byte) || (97...102).contains(byte) }
}

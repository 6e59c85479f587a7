import Foundation

/// AWS Signature Version 4 as S3 clients sign requests, computed by the server to check them: the canonical
/// request, the string to sign, the derived signing key. Pure; `SigV4Verifier` applies it to a request.
///
/// References: the AWS SigV4 specification ("Create a canonical request", "Create a string to sign",
/// "Calculate the signature"), with S3's own rule that the path is encoded once, never twice.
public enum SigV4 {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    public static let emptyPayloadHash = SHA256Digest.of([UInt8]()).hex

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters (`A-Z a-z 0-9 - . _ ~`) kept, everything else
    /// as `%XX` with upper-case hex; `/` kept only when `keepSlash`.
    public static func uriEncode(_ text: some StringProtocol, keepSlash: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes (a `+` stays a `+`); nil when an escape is malformed or the result is not UTF-8.
    public static func percentDecode(_ text: some StringProtocol) -> String? {
        StorageName.percentDecoded(Substring(text))
    }

    /// The query's parameters, decoded, in order of appearance. A parameter without `=` has an empty value.
    public static func queryParameters(_ rawQuery: some StringProtocol) -> [(name: String, value: String)]? {
        var result: [(String, String)] = []
        for piece in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecode(parts[0]), let value = percentDecode(parts.count == 2 ? parts[1] : "") else { return nil }
            result.append((name, value))
        }
        return result
    }

    /// Parameters sorted by encoded name then value, each `name=value` with both encoded, joined by `&`.
    public static func canonicalQuery(_ parameters: [(name: String, value: String)]) -> String {
        parameters.map { (uriEncode($0.name, keepSlash: false), uriEncode($0.value, keepSlash: false)) }
            .sorted { $0.0 == $1.0 ? $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            .map { $0.0 + "=" + $0.1 }
            .joined(separator: "&")
    }

    /// A header value as signed: surrounding spaces trimmed, inner runs of spaces collapsed to one.
    public static func canonicalHeaderValue(_ value: String) -> String {
        var out = [UInt8]()
        var space = false
        for byte in FieldBytes.trimmed(value.utf8) {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                space = true
                continue
            }
            if space, !out.isEmpty { out.append(UInt8(ascii: " ")) }
            space = false
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func canonicalRequest(
        method: String, canonicalURI: String, canonicalQuery: String,
        headers: [(name: String, value: String)], signedHeaders: [String], payloadHash: String
    ) -> String {
        let lines = headers.map { "\($0.name):\(canonicalHeaderValue($0.value))\n" }.joined()
        return [method, canonicalURI, canonicalQuery, lines, signedHeaders.joined(separator: ";"), payloadHash].joined(separator: "\n")
    }

    public static func stringToSign(amzDate: String, scope: String, canonicalRequest: String) -> String {
        [algorithm, amzDate, scope, SHA256Digest.of(canonicalRequest).hex].joined(separator: "\n")
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    public static func signingKey(secret: String, date: String, region: String, service: String) -> [UInt8] {
        var key = HMACSHA256.authenticate(Array(date.utf8), key: Array(("AWS4" + secret).utf8))
        for part in [region, service, "aws4_request"] { key = HMACSHA256.authenticate(Array(part.utf8), key: key) }
        return key
    }

    public static func signature(_ stringToSign: String, key: [UInt8]) -> String {
        hex(HMACSHA256.authenticate(Array(stringToSign.utf8), key: key))
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
        return String(decoding: out, as: UTF8.self)
    }

    /// `yyyyMMddTHHmmssZ` as Unix seconds.
    public static func parseAmzDate(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
            let minute = number(11..<13), let second = number(13..<15),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        return ISO8601Timestamp.secondsSince1970(year: year, month: month, day: day) + Int64(hour * 3600 + minute * 60 + second)
    }
}

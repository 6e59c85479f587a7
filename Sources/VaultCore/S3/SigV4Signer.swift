/// Signs requests to an S3-compatible store with AWS Signature Version 4 (header form), from the same
/// primitives `SigV4Verifier` checks incoming requests with (`SigV4`): the canonical request, the string to
/// sign, the derived key. A request this signs is one the verifier accepts (a test holds the two together),
/// and AWS's documented example signs to AWS's documented signature.
///
/// Pure: the time is passed in, and the caller sends exactly the fields it returns alongside the ones it
/// gave (every one of which is signed).
public struct SigV4Signer: Sendable {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let region: String
    public let service: String

    public init(accessKeyID: String, secretAccessKey: String, region: String, service: String = "s3") {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.region = region
        self.service = service
    }

    /// The fields to add to a request: `x-amz-date`, `x-amz-content-sha256` and `Authorization`.
    /// - `path`: the request's path as it will be sent, already percent-encoded (S3 signs it as sent).
    /// - `query`: its parameters, not encoded; `headers`: every other field to send (`host` among them), each
    ///   signed; `payloadSHA256`: the body's SHA-256 in hex (`SigV4.emptyPayloadHash` for none).
    /// - `now`: Unix seconds.
    public func sign(
        method: String, path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)],
        payloadSHA256: String, now: Int64
    ) -> [(name: String, value: String)] {
        let amzDate = Self.amzDate(now)
        let day = String(amzDate.prefix(8))
        var signed = headers.map { (name: $0.name.lowercased(), value: $0.value) }
        signed.append((name: "x-amz-date", value: amzDate))
        signed.append((name: "x-amz-content-sha256", value: payloadSHA256))
        signed.sort { $0.name < $1.name }
        let names = signed.map(\.name)
        let canonical = SigV4.canonicalRequest(
            method: method, canonicalURI: path, canonicalQuery: SigV4.canonicalQuery(query), headers: signed,
            signedHeaders: names, payloadHash: payloadSHA256)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let key = SigV4.signingKey(secret: secretAccessKey, date: day, region: region, service: service)
        let signature = SigV4.signature(SigV4.stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical), key: key)
        let authorization =
            "\(SigV4.algorithm) Credential=\(accessKeyID)/\(scope),SignedHeaders=\(names.joined(separator: ";")),Signature=\(signature)"
        return [("x-amz-date", amzDate), ("x-amz-content-sha256", payloadSHA256), ("authorization", authorization)]
    }

    /// The query to send for `query`: encoded as it is signed (the canonical order is as good as any).
    public static func queryString(_ query: [(name: String, value: String)]) -> String {
        SigV4.canonicalQuery(query)
    }

    /// Unix seconds as `yyyyMMddTHHmmssZ`.
    public static func amzDate(_ seconds: Int64) -> String {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = ISO8601Timestamp.civilDate(daysSince1970: days)
        let pad = ISO8601Timestamp.pad
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(secondOfDay / 3_600, 2) + pad(secondOfDay / 60 % 60, 2)
            + pad(secondOfDay % 60, 2) + "Z"
    }
}

import Foundation

/// Checks a request's AWS Signature Version 4 (an `Authorization: AWS4-HMAC-SHA256 ...` header, or a presigned
/// URL's `X-Amz-*` query) against the one access key pair the server is configured with. Pure: the request's
/// parts in, the verdict out, so every refusal is a unit test.
///
/// The signature is recomputed from what arrived and compared in constant time before anything in the request
/// is trusted. Any region name is accepted (self-hosted: there is one); the service must be `s3`. Dates must be
/// within 15 minutes of the server's clock; a presigned URL lives at most 7 days.
public struct SigV4Verifier: Sendable {
    public struct Credentials: Sendable, Equatable {
        public let accessKeyId: String
        public let secretAccessKey: String

        public init(accessKeyId: String, secretAccessKey: String) {
            self.accessKeyId = accessKeyId
            self.secretAccessKey = secretAccessKey
        }
    }

    /// What the body is, as the signature declared it.
    public enum Payload: Equatable, Sendable {
        case unsigned
        /// The body's SHA-256 (hex), which the body must match.
        case sha256(String)
        /// aws-chunked with a signature per chunk (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`).
        case streamingSigned(trailer: Bool)
        /// aws-chunked without chunk signatures, with a trailing checksum (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
        case streamingUnsignedTrailer
    }

    /// A request that passed: what a streaming body needs to check its chunk signatures.
    public struct Verified: Equatable, Sendable {
        public let payload: Payload
        public let signingKey: [UInt8]
        public let scope: String
        public let amzDate: String
        public let signature: String

        /// A plain body held to the hash the signature covers (declared, or the empty body's); unsigned and
        /// streaming payloads are checked elsewhere (not at all, or chunk by chunk).
        public func checkBody(sha256: SHA256Digest) throws(S3Error) {
            if case let .sha256(signed) = payload, signed != sha256.hex { throw S3Error.contentSHA256Mismatch }
        }
    }

    /// The parts of a request SigV4 covers. `header` answers a lower-case name (`host` included);
    /// `headerNames` lists every field name that arrived, lower-case, so that S3's own fields the signature
    /// does not name can be refused.
    public struct Request {
        public let method: String
        /// The path as it arrived, still percent-encoded.
        public let rawPath: String
        public let rawQuery: String
        public let headerNames: [String]
        public let header: (String) -> String?

        public init(method: String, rawPath: String, rawQuery: String, headerNames: [String], header: @escaping (String) -> String?) {
            self.method = method
            self.rawPath = rawPath
            self.rawQuery = rawQuery
            self.headerNames = headerNames
            self.header = header
        }
    }

    public static let maximumSkewSeconds: Int64 = 15 * 60
    public static let maximumPresignedSeconds: Int64 = 7 * 86_400

    let credentials: Credentials

    public init(credentials: Credentials) {
        self.credentials = credentials
    }

    public func verify(_ request: Request, now: Int64) throws(S3Error) -> Verified {
        guard let parameters = SigV4.queryParameters(request.rawQuery) else {
            throw .invalidArgument("the query is not valid percent-encoding")
        }
        if parameters.contains(where: { $0.name == "X-Amz-Signature" }) {
            return try verifyPresigned(request, parameters, now: now)
        }
        guard let authorization = request.header("authorization") else {
            throw .accessDenied("the S3 protocol needs a SigV4 signature (Authorization header or presigned URL)")
        }
        let parsed = try Self.parseAuthorization(authorization)
        guard let amzDate = request.header("x-amz-date") else { throw .accessDenied("a signed request needs x-amz-date") }
        try checkScope(parsed.credential, amzDate: amzDate)
        guard let time = SigV4.parseAmzDate(amzDate) else { throw .accessDenied("x-amz-date is not yyyyMMddTHHmmssZ") }
        guard abs(time - now) <= Self.maximumSkewSeconds else {
            throw S3Error(403, "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large.")
        }
        // The string to sign carries these two by value, so they are covered whether or not they are named.
        try Self.refuseUnsignedAmazonHeaders(
            request.headerNames, signed: parsed.signedHeaders,
            coveredByValue: ["x-amz-content-sha256", "x-amz-date"])
        let declared = request.header("x-amz-content-sha256")
        let declaredPayload = try Self.payload(declared)
        // Without the header a client signed one of the two plain forms; either may match, and the one that
        // matched is what the body is held to (the empty body's hash binds the body to be empty).
        let hashes = declared.map { [$0] } ?? [SigV4.unsignedPayload, SigV4.emptyPayloadHash]
        let key = signingKey(parsed.credential)
        for hash in hashes {
            if try matches(
                request, parameters: parameters, signedHeaders: parsed.signedHeaders, payloadHash: hash, amzDate: amzDate,
                scope: parsed.credential.scope, key: key, signature: parsed.signature)
            {
                let payload = declared == nil ? try Self.payload(hash) : declaredPayload
                return Verified(
                    payload: payload, signingKey: key, scope: parsed.credential.scope, amzDate: amzDate, signature: parsed.signature)
            }
        }
        throw .signatureMismatch()
    }

    private func verifyPresigned(_ request: Request, _ parameters: [(name: String, value: String)], now: Int64) throws(S3Error) -> Verified
    {
        func value(_ name: String) throws(S3Error) -> String {
            guard let found = parameters.first(where: { $0.name == name })?.value else {
                throw S3Error(400, "AuthorizationQueryParametersError", "a presigned URL needs \(name)")
            }
            return found
        }
        guard try value("X-Amz-Algorithm") == SigV4.algorithm else {
            throw S3Error(400, "AuthorizationQueryParametersError", "X-Amz-Algorithm must be \(SigV4.algorithm)")
        }
        let credential = try Self.parseCredential(try value("X-Amz-Credential"))
        let amzDate = try value("X-Amz-Date")
        try checkScope(credential, amzDate: amzDate)
        guard let time = SigV4.parseAmzDate(amzDate) else { throw .accessDenied("X-Amz-Date is not yyyyMMddTHHmmssZ") }
        guard let expires = Int64(try value("X-Amz-Expires")), expires > 0, expires <= Self.maximumPresignedSeconds else {
            throw S3Error(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be 1 to \(Self.maximumPresignedSeconds) seconds")
        }
        guard time - now <= Self.maximumSkewSeconds else {
            throw S3Error(403, "RequestTimeTooSkewed", "The presigned URL's date is in the future.")
        }
        guard now <= time + expires else { throw .accessDenied("Request has expired") }
        let signedHeaders = try value("X-Amz-SignedHeaders").split(separator: ";").map(String.init)
        try Self.refuseUnsignedAmazonHeaders(request.headerNames, signed: signedHeaders, coveredByValue: [])
        let signature = try value("X-Amz-Signature")
        let key = signingKey(credential)
        let unsigned = parameters.filter { $0.name != "X-Amz-Signature" }
        guard
            try matches(
                request, parameters: unsigned, signedHeaders: signedHeaders, payloadHash: SigV4.unsignedPayload, amzDate: amzDate,
                scope: credential.scope, key: key, signature: signature)
        else { throw .signatureMismatch() }
        return Verified(payload: .unsigned, signingKey: key, scope: credential.scope, amzDate: amzDate, signature: signature)
    }

    /// Whether the signature matches for the path as sent, or (for clients that sign a stricter encoding than
    /// they send) the path re-encoded segment by segment.
    private func matches(
        _ request: Request, parameters: [(name: String, value: String)], signedHeaders: [String], payloadHash: String,
        amzDate: String, scope: String, key: [UInt8], signature: String
    ) throws(S3Error) -> Bool {
        guard signedHeaders.contains("host") else { throw .accessDenied("SignedHeaders must include host") }
        var headers: [(name: String, value: String)] = []
        for name in signedHeaders {
            guard let value = request.header(name) else { throw .accessDenied("the signed header \(name) is missing") }
            headers.append((name, value))
        }
        let query = SigV4.canonicalQuery(parameters)
        var paths = [request.rawPath.isEmpty ? "/" : request.rawPath]
        if let normalized = Self.reencodedPath(request.rawPath), normalized != paths[0] { paths.append(normalized) }
        for path in paths {
            let canonical = SigV4.canonicalRequest(
                method: request.method, canonicalURI: path, canonicalQuery: query, headers: headers,
                signedHeaders: signedHeaders, payloadHash: payloadHash)
            let expected = SigV4.signature(SigV4.stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical), key: key)
            if HMACSHA256.constantTimeEquals(Array(expected.utf8), Array(signature.utf8)) { return true }
        }
        return false
    }

    /// AWS refuses any `x-amz-*` field the signature does not name ("There were headers present in the request
    /// which were not signed"); S3 acts on those fields (`x-amz-copy-source`, `x-amz-meta-*`), so honouring an
    /// unsigned one would let a holder of any signature change what the signed request does.
    static func refuseUnsignedAmazonHeaders(_ names: [String], signed: [String], coveredByValue: Set<String>) throws(S3Error) {
        let unsigned = Set(
            names.lazy.map { $0.lowercased() }.filter { name in
                name.hasPrefix("x-amz-") && !coveredByValue.contains(name) && !signed.contains(name)
            })
        guard unsigned.isEmpty else {
            let listed = unsigned.sorted().joined(separator: ", ")
            throw .accessDenied("There were headers present in the request which were not signed: \(listed)")
        }
    }

    static func reencodedPath(_ rawPath: String) -> String? {
        var segments: [String] = []
        for segment in rawPath.split(separator: "/", omittingEmptySubsequences: false) {
            guard let decoded = SigV4.percentDecode(segment) else { return nil }
            segments.append(SigV4.uriEncode(decoded, keepSlash: false))
        }
        return segments.joined(separator: "/")
    }

    struct Credential: Equatable {
        let accessKeyId: String
        let date: String
        let region: String
        let service: String
        var scope: String { "\(date)/\(region)/\(service)/aws4_request" }
    }

    struct Authorization: Equatable {
        let credential: Credential
        let signedHeaders: [String]
        let signature: String
    }

    static func parseCredential(_ text: String) throws(S3Error) -> Credential {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[4] == "aws4_request", !parts[0].isEmpty else {
            throw S3Error(400, "AuthorizationHeaderMalformed", "the credential must be <key id>/<date>/<region>/s3/aws4_request")
        }
        return Credential(accessKeyId: parts[0], date: parts[1], region: parts[2], service: parts[3])
    }

    static func parseAuthorization(_ header: String) throws(S3Error) -> Authorization {
        guard header.utf8.count <= 4096 else { throw S3Error(400, "AuthorizationHeaderMalformed", "the Authorization header is too long") }
        guard header.hasPrefix(SigV4.algorithm + " ") else {
            throw S3Error(400, "AuthorizationHeaderMalformed", "only AWS4-HMAC-SHA256 (SigV4) signatures are accepted")
        }
        var fields: [String: String] = [:]
        for piece in header.dropFirst(SigV4.algorithm.count + 1).split(separator: ",") {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            fields[pair[0].trimmingWhitespace()] = pair[1].trimmingWhitespace()
        }
        guard let credential = fields["Credential"], let signed = fields["SignedHeaders"], let signature = fields["Signature"] else {
            throw S3Error(400, "AuthorizationHeaderMalformed", "Authorization needs Credential, SignedHeaders and Signature")
        }
        return Authorization(
            credential: try parseCredential(credential), signedHeaders: signed.split(separator: ";").map(String.init),
            signature: signature)
    }

    private func checkScope(_ credential: Credential, amzDate: String) throws(S3Error) {
        guard HMACSHA256.constantTimeEquals(Array(credential.accessKeyId.utf8), Array(credentials.accessKeyId.utf8)) else {
            throw S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
        }
        guard credential.service == "s3" else { throw S3Error(400, "AuthorizationHeaderMalformed", "the credential's service must be s3") }
        guard amzDate.hasPrefix(credential.date), credential.date.utf8.count == 8 else {
            throw S3Error(400, "AuthorizationHeaderMalformed", "the credential's date must be the day of x-amz-date")
        }
    }

    private func signingKey(_ credential: Credential) -> [UInt8] {
        SigV4.signingKey(secret: credentials.secretAccessKey, date: credential.date, region: credential.region, service: credential.service)
    }

    static func payload(_ declared: String?) throws(S3Error) -> Payload {
        switch declared {
        case nil, SigV4.unsignedPayload?: return .unsigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"?: return .streamingSigned(trailer: false)
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"?: return .streamingSigned(trailer: true)
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER"?: return .streamingUnsignedTrailer
        case let hash?:
            guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw S3Error(400, "InvalidArgument", "x-amz-content-sha256 must be a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING- mode")
            }
            return .sha256(hash)
        }
    }
}

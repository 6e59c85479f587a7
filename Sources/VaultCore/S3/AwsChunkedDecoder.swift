/// Decodes an `aws-chunked` body as S3 clients stream it: `<hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n`
/// chunks, a zero-size last chunk, then (in the `-TRAILER` modes) trailing headers such as
/// `x-amz-checksum-crc32:<base64>` and `x-amz-trailer-signature:<sig>`, and a blank line.
///
/// Fed the body in whatever pieces it arrives; hands out decoded bytes as they come (the caller stages them and
/// discards the file if the body later fails). In the signed modes each chunk's signature chains from the
/// previous one (the seed is the request's own signature) and is checked when the chunk ends, in constant time.
/// Bytes only: a line is bounded, sizes are hex digits of bounded length, nothing is read twice.
public final class AwsChunkedDecoder {
    public struct Signing: Sendable {
        let key: [UInt8]
        let scope: String
        let amzDate: String
        let seed: String

        public init(key: [UInt8], scope: String, amzDate: String, seed: String) {
            self.key = key
            self.scope = scope
            self.amzDate = amzDate
            self.seed = seed
        }
    }

    enum State {
        case chunkHeader
        case data(remaining: Int)
        case dataEnd
        case trailers
        case done
    }

    /// Longest chunk header or trailer line accepted.
    public static let maximumLineBytes = 4096
    /// Largest chunk accepted (clients send 64 KiB to a few MiB).
    public static let maximumChunkBytes = 64 << 20
    public static let maximumTrailers = 16

    let signing: Signing?
    let expectsTrailer: Bool
    private var state = State.chunkHeader
    private var line: [UInt8] = []
    private var previousSignature: String
    private var chunkSignature: String?
    private var chunkHasher = SHA256Hasher()
    private var chunkSize = 0
    public private(set) var decodedBytes = 0
    /// Trailing headers by lower-case name (`x-amz-checksum-crc32` ...).
    public private(set) var trailers: [String: String] = [:]
    private var trailerLines: [String] = []

    public init(signing: Signing?, expectsTrailer: Bool) {
        self.signing = signing
        self.expectsTrailer = expectsTrailer
        previousSignature = signing?.seed ?? ""
    }

    public var isFinished: Bool { if case .done = state { true } else { false } }

    /// Decodes `bytes`, passing each run of body bytes to `deliver`.
    public func feed(_ bytes: some Collection<UInt8>, deliver: ([UInt8]) throws -> Void) throws {
        var index = bytes.startIndex
        while index != bytes.endIndex {
            switch state {
            case .chunkHeader, .dataEnd, .trailers:
                let byte = bytes[index]
                index = bytes.index(after: index)
                line.append(byte)
                guard line.count <= Self.maximumLineBytes else {
                    throw Self.malformed("a chunk line is longer than \(Self.maximumLineBytes) bytes")
                }
                guard byte == UInt8(ascii: "\n") else { continue }
                guard line.count >= 2, line[line.count - 2] == UInt8(ascii: "\r") else { throw Self.malformed("chunk lines end in CRLF") }
                let content = Array(line.dropLast(2))
                line.removeAll(keepingCapacity: true)
                try endLine(content)
            case let .data(remaining):
                let available = bytes.distance(from: index, to: bytes.endIndex)
                let take = min(remaining, available)
                let end = bytes.index(index, offsetBy: take)
                let piece = Array(bytes[index..<end])
                index = end
                if signing != nil { chunkHasher.update(piece) }
                decodedBytes += piece.count
                try deliver(piece)
                state = remaining - take == 0 ? .dataEnd : .data(remaining: remaining - take)
            case .done:
                throw Self.malformed("bytes after the end of an aws-chunked body")
            }
        }
    }

    /// Throws unless the whole body, last chunk and trailers included, has arrived.
    public func finish() throws {
        guard isFinished else { throw Self.malformed("the aws-chunked body ended early") }
    }

    private func endLine(_ content: [UInt8]) throws {
        switch state {
        case .chunkHeader:
            try beginChunk(content)
        case .dataEnd:
            guard content.isEmpty else { throw Self.malformed("chunk data must be followed by CRLF") }
            try endChunk()
            state = .chunkHeader
        case .trailers:
            if content.isEmpty {
                try checkTrailerSignature()
                state = .done
                return
            }
            guard let colon = content.firstIndex(of: UInt8(ascii: ":")), trailers.count < Self.maximumTrailers else {
                throw Self.malformed("a trailer must be name:value")
            }
            let name = String(decoding: content[..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: FieldBytes.trimmed(content[(colon + 1)...]), as: UTF8.self)
            if name == "x-amz-trailer-signature" {
                trailers[name] = value
            } else {
                trailers[name] = value
                trailerLines.append("\(name):\(value)\n")
            }
        case .data, .done:
            break
        }
    }

    private func beginChunk(_ content: [UInt8]) throws {
        let parts = content.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)
        let hex = parts[0]
        guard !hex.isEmpty, hex.count <= 8 else { throw Self.malformed("a chunk size must be 1 to 8 hex digits") }
        var size = 0
        for byte in hex {
            guard let digit = FieldBytes.hexValue(byte).map(Int.init) else { throw Self.malformed("a chunk size must be hex") }
            size = size * 16 + digit
        }
        guard size <= Self.maximumChunkBytes else { throw Self.malformed("a chunk is larger than \(Self.maximumChunkBytes) bytes") }
        chunkSignature = nil
        if parts.count == 2 {
            let extensionText = String(decoding: parts[1], as: UTF8.self)
            if extensionText.hasPrefix("chunk-signature=") { chunkSignature = String(extensionText.dropFirst("chunk-signature=".count)) }
        }
        if signing != nil, chunkSignature == nil {
            throw S3Error(403, "SignatureDoesNotMatch", "every chunk of a signed stream needs its chunk-signature")
        }
        chunkSize = size
        chunkHasher = SHA256Hasher()
        if size == 0 {
            try endChunk()
            // Trailers (or, without them, just the closing blank line) follow the last chunk.
            state = .trailers
            return
        }
        state = .data(remaining: size)
    }

    /// Checks the chunk's signature (signed modes) once its bytes are all in.
    private func endChunk() throws {
        guard let signing else { return }
        var hasher = SHA256Hasher()
        swap(&hasher, &chunkHasher)
        let chunkHash = hasher.finalize().hex
        let toSign = ["AWS4-HMAC-SHA256-PAYLOAD", signing.amzDate, signing.scope, previousSignature, SigV4.emptyPayloadHash, chunkHash]
            .joined(separator: "\n")
        let expected = SigV4.signature(toSign, key: signing.key)
        guard let presented = chunkSignature, HMACSHA256.constantTimeEquals(Array(expected.utf8), Array(presented.utf8)) else {
            throw S3Error.signatureMismatch()
        }
        previousSignature = presented
        chunkSignature = nil
    }

    private func checkTrailerSignature() throws {
        guard let signing, expectsTrailer else { return }
        guard let presented = trailers["x-amz-trailer-signature"] else {
            throw S3Error(403, "SignatureDoesNotMatch", "a signed stream with trailers needs x-amz-trailer-signature")
        }
        let toSign = [
            "AWS4-HMAC-SHA256-TRAILER", signing.amzDate, signing.scope, previousSignature, SHA256Digest.of(trailerLines.joined()).hex,
        ]
        .joined(separator: "\n")
        let expected = SigV4.signature(toSign, key: signing.key)
        guard HMACSHA256.constantTimeEquals(Array(expected.utf8), Array(presented.utf8)) else { throw S3Error.signatureMismatch() }
    }

    static func malformed(_ message: String) -> S3Error { S3Error(400, "IncompleteBody", "unreadable aws-chunked body: \(message)") }
}

import Foundation
import HTTPTypes
import Hummingbird
import VaultCore

/// Stages an S3 request body on disk as its signature declared it: plain (unsigned, or with its SHA-256 in
/// `x-amz-content-sha256`, checked at the end) or `aws-chunked` (chunk signatures checked as they end, the
/// decoded length against `x-amz-decoded-content-length`), and checks a declared checksum
/// (`x-amz-checksum-crc32`, `-crc32c`, `-sha256`, as a header or a trailer). Bounded memory for any size;
/// on any failure the staged file is removed.
struct S3BodyReceiver {
    let directory: DataDirectory

    struct Failure: Error {}

    func receive(_ request: Request, verified: SigV4Verifier.Verified, limit: Int) async throws -> (
        file: StagingFile, staged: StagingFile.Staged
    ) {
        let headers = request.headers
        if let declared = headers[HTTPField.Name("x-amz-decoded-content-length")!] ?? headers[.contentLength], let size = Int(declared),
            size > limit
        {
            throw S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size of \(limit) bytes")
        }
        var checksum = try ChecksumExpectation(headers)
        let file = try StagingFile(directory: directory, limit: limit)
        let sink = StagingSink(file: file)
        do {
            var crc = checksum.map { CRC32($0.polynomial ?? .ieee) }
            switch verified.payload {
            case .unsigned, .sha256:
                for try await buffer in request.body {
                    try await sink.write(buffer.readableBytesView)
                    crc?.update(buffer.readableBytesView)
                }
            case let .streamingSigned(trailer):
                let signing = AwsChunkedDecoder.Signing(
                    key: verified.signingKey, scope: verified.scope, amzDate: verified.amzDate, seed: verified.signature)
                let trailers = try await decodeChunked(
                    request.body, AwsChunkedDecoder(signing: signing, expectsTrailer: trailer), sink: sink,
                    crc: &crc, headers: headers)
                try checksum?.arrive(from: trailers)
            case .streamingUnsignedTrailer:
                let trailers = try await decodeChunked(
                    request.body, AwsChunkedDecoder(signing: nil, expectsTrailer: true), sink: sink,
                    crc: &crc, headers: headers)
                try checksum?.arrive(from: trailers)
            }
            let staged = try await sink.finish()
            try verified.checkBody(sha256: staged.sha256)
            try checksum?.check(crc: crc, sha256: staged.sha256)
            return (file, staged)
        } catch {
            file.discard()
            throw error
        }
    }

    /// Decodes the body into the sink; returns its trailers.
    private func decodeChunked(
        _ body: RequestBody, _ decoder: AwsChunkedDecoder, sink: StagingSink, crc: inout CRC32?,
        headers: HTTPFields
    ) async throws -> [String: String] {
        for try await buffer in body {
            var pieces: [[UInt8]] = []
            try decoder.feed(buffer.readableBytesView) { pieces.append($0) }
            for piece in pieces {
                try await sink.write(piece)
                crc?.update(piece)
            }
        }
        try decoder.finish()
        if let declared = headers[HTTPField.Name("x-amz-decoded-content-length")!], Int(declared) != decoder.decodedBytes {
            throw S3Error(
                400, "IncompleteBody", "The decoded body is \(decoder.decodedBytes) bytes, not x-amz-decoded-content-length \(declared)")
        }
        return decoder.trailers
    }
}

/// A checksum the client declared for the body: its header name, the value (nil until a trailer brings it).
struct ChecksumExpectation {
    let name: String
    var value: String?

    var polynomial: CRC32.Polynomial? {
        switch name {
        case "x-amz-checksum-crc32": .ieee
        case "x-amz-checksum-crc32c": .castagnoli
        default: nil
        }
    }

    static let supported = ["x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-sha256"]

    init?(_ headers: HTTPFields) throws {
        if let trailer = headers[HTTPField.Name("x-amz-trailer")!]?.trimmingCharacters(in: .whitespaces).lowercased(), !trailer.isEmpty {
            guard Self.supported.contains(trailer) else {
                throw S3Error.invalidRequest("the checksum \(trailer) is not supported; use CRC32, CRC32C or SHA256")
            }
            name = trailer
            value = nil
            return
        }
        for name in Self.supported {
            if let value = headers[HTTPField.Name(name)!] {
                self.name = name
                self.value = value
                return
            }
        }
        if headers.contains(where: {
            $0.name.canonicalName.hasPrefix("x-amz-checksum-") && $0.name.canonicalName != "x-amz-checksum-mode"
                && $0.name.canonicalName != "x-amz-checksum-algorithm" && $0.name.canonicalName != "x-amz-checksum-type"
        }) {
            throw S3Error.invalidRequest("only CRC32, CRC32C and SHA256 checksums are supported")
        }
        return nil
    }

    /// A checksum announced in `x-amz-trailer` takes its value from the body's trailers.
    mutating func arrive(from trailers: [String: String]) throws {
        guard value == nil else { return }
        guard let found = trailers[name] else { throw S3Error.invalidRequest("the trailer \(name) announced in x-amz-trailer never came") }
        value = found
    }

    /// Compares the declared value with what the body hashed to.
    func check(crc: CRC32?, sha256: SHA256Digest) throws {
        guard let value else { throw S3Error.invalidRequest("the checksum \(name) has no value") }
        let computed = polynomial != nil ? crc?.base64 : Data(sha256.bytes).base64EncodedString()
        guard let computed, computed == value.trimmingCharacters(in: .whitespaces) else {
            throw S3Error(400, "BadDigest", "The \(name) you specified did not match the calculated checksum.")
        }
    }
}

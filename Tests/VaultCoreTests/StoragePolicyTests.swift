import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct SignedURLTokenTests {
    let signer = SignedURLToken(secret: Array("a secret of at least thirty-two bytes".utf8))

    @Test func aTokenIsValidForItsObjectUntilItExpires() {
        let token = signer.issue(bucket: "b", key: "a b+c.mp3", expiresAt: 1_000, issuedAt: 900)
        #expect(token.split(separator: ".").count == 3)
        #expect(signer.verify(token, bucket: "b", key: "a b+c.mp3", now: 999) == .valid)
        #expect(signer.verify(token, bucket: "b", key: "a b+c.mp3", now: 1_000) == .expired)
        #expect(signer.verify(token, bucket: "b", key: "a b c.mp3", now: 999) == .invalid("token is for another object"))
        #expect(signer.verify(token, bucket: "other", key: "a b+c.mp3", now: 999) != .valid)
    }

    @Test func tamperingAnyPartOrAnotherSecretIsRefused() {
        let token = signer.issue(bucket: "b", key: "k", expiresAt: 2_000, issuedAt: 1_000)
        let parts = token.split(separator: ".").map(String.init)
        // A payload re-encoded with a later expiry but the old signature.
        let extended = SignedURLToken.base64URL(Array(#"{"exp":9999999999,"iat":1000,"url":"b/k"}"#.utf8))
        #expect(signer.verify([parts[0], extended, parts[2]].joined(separator: "."), bucket: "b", key: "k", now: 1_500) == .invalid("invalid signature"))
        var flipped = Array(parts[2])
        flipped[0] = flipped[0] == "A" ? "B" : "A"
        #expect(signer.verify([parts[0], parts[1], String(flipped)].joined(separator: "."), bucket: "b", key: "k", now: 1_500) == .invalid("invalid signature"))
        #expect(SignedURLToken(secret: Array("another secret entirely, also long".utf8)).verify(token, bucket: "b", key: "k", now: 1_500) == .invalid("invalid signature"))
        for garbage in ["", "a.b", "a.b.c.d", "...", "x.y.!!"] {
            #expect(signer.verify(garbage, bucket: "b", key: "k", now: 1_500) != .valid, "\(garbage)")
        }
    }
}

@Suite struct BucketPolicyTests {
    @Test(arguments: [
        ("50MB", 50_000_000), ("1GB", 1_000_000_000), ("100kb", 100_000), ("2048", 2048), (" 10 MB ", 10_000_000),
        ("1.5MB", 1_500_000), ("0", 0), ("7B", 7),
    ])
    func sizeLimits(text: String, bytes: Int) {
        #expect(BucketPolicy.parseSizeLimit(text) == bytes)
    }

    @Test(arguments: ["", "MB", "-1MB", "10XB", "ten", "1e3", "99999999999TB"])
    func unreadableSizeLimits(text: String) {
        #expect(BucketPolicy.parseSizeLimit(text) == nil)
    }

    @Test func mimeTypesMatchExactlyOrByWildcard() {
        #expect(BucketPolicy.allows(mimeType: "audio/mpeg", in: nil))
        #expect(BucketPolicy.allows(mimeType: "audio/mpeg", in: []))
        #expect(BucketPolicy.allows(mimeType: "audio/mpeg", in: ["audio/*"]))
        #expect(BucketPolicy.allows(mimeType: "Audio/MPEG; charset=x", in: ["audio/mpeg"]))
        #expect(BucketPolicy.allows(mimeType: "text/plain;charset=UTF-8", in: ["image/png", "text/plain"]))
        #expect(BucketPolicy.allows(mimeType: "video/mp4", in: ["*/*"]))
        #expect(!BucketPolicy.allows(mimeType: "text/plain", in: ["audio/*"]))
        #expect(!BucketPolicy.allows(mimeType: "audiox/mpeg", in: ["audio/*"]))
        #expect(!BucketPolicy.allows(mimeType: "audio/mpeg3", in: ["audio/mpeg"]))
    }
}

@Suite struct MultipartFormDataTests {
    static func body(_ parts: [String], boundary: String = "XyZ") -> [UInt8] {
        Array((parts.map { "--\(boundary)\r\n\($0)" }.joined(separator: "\r\n") + "\r\n--\(boundary)--\r\n").utf8)
    }

    @Test func storage3ShapeFieldsThenFile() throws {
        let bytes = Self.body([
            "Content-Disposition: form-data; name=\"cacheControl\"\r\n\r\n60",
            "Content-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"a\":1}",
            "Content-Disposition: form-data; name=\"file\"; filename=\"a; b \\\"q\\\".mp3\"\r\nContent-Type: audio/mpeg\r\n\r\nID3\r\n--not-the-boundary\r\n",
        ])
        let form = try WholeBodyMultipart(body: bytes, boundary: "XyZ")
        #expect(form.parts.count == 3)
        #expect(form.field("cacheControl") == "60")
        #expect(form.field("metadata") == "{\"a\":1}")
        let file = try #require(form.filePart(knownFields: ["cacheControl", "metadata"]))
        #expect(file.filename == "a; b \"q\".mp3")
        #expect(file.contentType == "audio/mpeg")
        #expect(Array(file.body) == Array("ID3\r\n--not-the-boundary\r\n".utf8))
    }

    @Test func anEmptyFieldNameAndAnEmptyBody() throws {
        let form = try WholeBodyMultipart(body: Self.body(["Content-Disposition: form-data; name=\"\"\r\nContent-Type: text/plain\r\n\r\n"]), boundary: "XyZ")
        let file = try #require(form.filePart(knownFields: ["cacheControl"]))
        #expect(file.name == "")
        #expect(file.body.isEmpty)
    }

    @Test func binaryBytesSurviveExactly() throws {
        let payload = (0..<2048).map { UInt8($0 % 256) }
        var body = Array("--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n".utf8)
        body += payload + Array("\r\n--B--\r\n".utf8)
        let form = try WholeBodyMultipart(body: body, boundary: "B")
        #expect(Array(form.parts[0].body) == payload)
    }

    @Test func boundaryFromContentType() {
        #expect(MultipartFormData.boundary(fromContentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartFormData.boundary(fromContentType: "Multipart/Form-Data; charset=x; boundary=\"a b\"") == "a b")
        #expect(MultipartFormData.boundary(fromContentType: "application/json") == nil)
        #expect(MultipartFormData.boundary(fromContentType: "multipart/form-data") == nil)
    }

    @Test func malformedBodiesAreErrorsNotCrashes() {
        for text in ["", "no delimiter", "--XyZ", "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
                     "--XyZ\r\nContent-Type: text/plain\r\n\r\nno name\r\n--XyZ--"] {
            #expect(throws: MultipartFormData.Failure.self, "\(text)") { try WholeBodyMultipart(body: Array(text.utf8), boundary: "XyZ") }
        }
    }
}

@Suite struct ObjectListingTests {
    static func record(_ key: String, created: Double) -> ObjectRecord {
        ObjectRecord(id: key, bucket: "b", key: key, version: "v", size: key.count, mimeType: "audio/mpeg", cacheControl: "max-age=1",
                     sha256: "", userMetadata: nil, createdAt: created, updatedAt: created, lastAccessedAt: created)
    }

    let records = [("book/ch2.mp3", 3.0), ("book/ch1.mp3", 2.0), ("book/extra/n.mp3", 4.0), ("Cover.mp3", 1.0), ("a.mp3", 5.0)]
        .map { record($0.0, created: $0.1) }

    @Test func immediateChildrenWithFoldersOnce() {
        #expect(ObjectListing().entries(records).map(\.name) == ["Cover.mp3", "a.mp3", "book"])
        #expect(ObjectListing(prefix: "book").entries(records).map(\.name) == ["ch1.mp3", "ch2.mp3", "extra"])
        #expect(ObjectListing(prefix: "/book/").entries(records).map(\.name) == ["ch1.mp3", "ch2.mp3", "extra"])
        #expect(ObjectListing(prefix: "boo").entries(records).isEmpty)
        #expect(ObjectListing().entries(records).last == .folder(name: "book"))
    }

    @Test func searchIsACaseInsensitivePrefix() {
        #expect(ObjectListing(search: "co").entries(records).map(\.name) == ["Cover.mp3"])
        #expect(ObjectListing(prefix: "book", search: "EX").entries(records).map(\.name) == ["extra"])
        #expect(ObjectListing(search: "over").entries(records).isEmpty)
    }

    @Test func sortingAndPaging() {
        #expect(ObjectListing(prefix: "book", ascending: false).entries(records).map(\.name) == ["extra", "ch2.mp3", "ch1.mp3"])
        #expect(ObjectListing(prefix: "book", column: .createdAt).entries(records).map(\.name) == ["ch1.mp3", "ch2.mp3", "extra"])
        #expect(ObjectListing(column: .createdAt, ascending: false).entries(records).map(\.name) == ["book", "a.mp3", "Cover.mp3"])
        #expect(ObjectListing(prefix: "book", limit: 1, offset: 1).entries(records).map(\.name) == ["ch2.mp3"])
        #expect(ObjectListing(prefix: "book", limit: 10, offset: 5).entries(records).isEmpty)
        #expect(ObjectListing(limit: 0).limit == ObjectListing.defaultLimit)
        #expect(ObjectListing(limit: 1_000_000).limit == ObjectListing.maximumLimit)
        #expect(ObjectListing(offset: -3).offset == 0)
    }
}

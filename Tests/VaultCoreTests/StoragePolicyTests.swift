import Testing
import VaultTestSupport
@testable import VaultCore

@Suite struct SignedURLTokenTests {
    let signer = SignedURLToken(secret: Array("a secret of at least thirty-two bytes".utf8))

    @Test func aTokenIsValidForItsObjectUntilItExpires() {
        let token = signer.issue(bucket: "b", key: "a b+c.mp3", expiresAt: 1_000, issuedAt: 900)
        #expect(token.split(separator: ".").count == 3)
        #expect(signer.verify(token, bucket: "b", key: "a b+c.mp3", now: 999) == .valid(.init(scope: .download, expiresAt: 1_000)))
        #expect(signer.verify(token, bucket: "b", key: "a b+c.mp3", now: 1_000) == .expired)
        #expect(signer.verify(token, bucket: "b", key: "a b c.mp3", now: 999) == .invalid("token is for another object"))
        #expect(signer.verify(token, bucket: "other", key: "a b+c.mp3", now: 999) != .valid(.download))
    }

    @Test func uploadAndDownloadTokensAreNotInterchangeable() {
        let download = signer.issue(bucket: "b", key: "k", expiresAt: 2_000, issuedAt: 1_000)
        let upload = signer.issue(bucket: "b", key: "k", expiresAt: 2_000, issuedAt: 1_000, grant: .init(scope: .upload, upsert: true))
        let plainUpload = signer.issue(bucket: "b", key: "k", expiresAt: 2_000, issuedAt: 1_000, grant: .init(scope: .upload))
        #expect(
            signer.verify(upload, bucket: "b", key: "k", scope: .upload, now: 1_500)
                == .valid(.init(scope: .upload, upsert: true, expiresAt: 2_000)))
        #expect(
            signer.verify(plainUpload, bucket: "b", key: "k", scope: .upload, now: 1_500)
                == .valid(.init(scope: .upload, upsert: false, expiresAt: 2_000)))
        #expect(
            signer.verify(upload, bucket: "b", key: "k", scope: .download, now: 1_500)
                == .invalid("this token is for uploads, not downloads"))
        #expect(
            signer.verify(download, bucket: "b", key: "k", scope: .upload, now: 1_500)
                == .invalid("this token is for downloads, not uploads"))
        #expect(signer.verify(upload, bucket: "b", key: "k", scope: .upload, now: 2_000) == .expired)
        #expect(signer.verify(upload, bucket: "b", key: "other", scope: .upload, now: 1_500) == .invalid("token is for another object"))
        // The upsert choice is signed: flipping it in the payload breaks the signature.
        let parts = upload.split(separator: ".").map(String.init)
        let widened = SignedURLToken.base64URL(Array(#"{"exp":2000,"iat":1000,"scope":"upload","upsert":true,"url":"b/k"}"#.utf8))
        let forged = [
            parts[0], widened,
            signer.issue(bucket: "b", key: "k", expiresAt: 2_000, issuedAt: 1_000).split(separator: ".").map(String.init)[2],
        ]
        #expect(
            signer.verify(forged.joined(separator: "."), bucket: "b", key: "k", scope: .upload, now: 1_500) == .invalid("invalid signature")
        )
    }

    @Test func tamperingAnyPartOrAnotherSecretIsRefused() {
        let token = signer.issue(bucket: "b", key: "k", expiresAt: 2_000, issuedAt: 1_000)
        let parts = token.split(separator: ".").map(String.init)
        // A payload re-encoded with a later expiry but the old signature.
        let extended = SignedURLToken.base64URL(Array(#"{"exp":9999999999,"iat":1000,"url":"b/k"}"#.utf8))
        #expect(
            signer.verify([parts[0], extended, parts[2]].joined(separator: "."), bucket: "b", key: "k", now: 1_500)
                == .invalid("invalid signature"))
        var flipped = Array(parts[2])
        flipped[0] = flipped[0] == "A" ? "B" : "A"
        #expect(
            signer.verify([parts[0], parts[1], String(flipped)].joined(separator: "."), bucket: "b", key: "k", now: 1_500)
                == .invalid("invalid signature"))
        #expect(
            SignedURLToken(secret: Array("another secret entirely, also long".utf8)).verify(token, bucket: "b", key: "k", now: 1_500)
                == .invalid("invalid signature"))
        for garbage in ["", "a.b", "a.b.c.d", "...", "x.y.!!"] {
            #expect(signer.verify(garbage, bucket: "b", key: "k", now: 1_500) != .valid(.download), "\(garbage)")
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
        let form = try WholeBodyMultipart(
            body: Self.body(["Content-Disposition: form-data; name=\"\"\r\nContent-Type: text/plain\r\n\r\n"]), boundary: "XyZ")
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
        for text in [
            "", "no delimiter", "--XyZ", "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
            "--XyZ\r\nContent-Type: text/plain\r\n\r\nno name\r\n--XyZ--",
        ] {
            #expect(throws: MultipartFormData.Failure.self, "\(text)") { try WholeBodyMultipart(body: Array(text.utf8), boundary: "XyZ") }
        }
    }
}

@Suite struct ObjectListingTests {
    static func record(_ key: String, created: Double) -> ObjectRecord {
        ObjectRecord(
            id: key, bucket: "b", key: key, version: "v", size: key.count, mimeType: "audio/mpeg", cacheControl: "max-age=1",
            sha256: "", userMetadata: nil, createdAt: created, updatedAt: created, lastAccessedAt: created)
    }

    let records = [("book/ch2.mp3", 3.0), ("book/ch1.mp3", 2.0), ("book/extra/n.mp3", 4.0), ("Cover.mp3", 1.0), ("a.mp3", 5.0)]
        .map { record($0.0, created: $0.1) }

    @Test func immediateChildrenWithFoldersOnce() {
        // Upstream's `lower(name) COLLATE "C"`: case-insensitive, so `Cover` sorts after `book`.
        #expect(ObjectListing().entries(records).map(\.name) == ["a.mp3", "book", "Cover.mp3"])
        #expect(ObjectListing(prefix: "book").entries(records).map(\.name) == ["ch1.mp3", "ch2.mp3", "extra"])
        #expect(ObjectListing(prefix: "/book/").entries(records).map(\.name) == ["ch1.mp3", "ch2.mp3", "extra"])
        #expect(ObjectListing(prefix: "boo").entries(records).isEmpty)
        #expect(ObjectListing().entries(records)[1] == .folder(name: "book"))
    }

    @Test func searchIsACaseInsensitivePrefix() {
        #expect(ObjectListing(search: "co").entries(records).map(\.name) == ["Cover.mp3"])
        #expect(ObjectListing(prefix: "book", search: "EX").entries(records).map(\.name) == ["extra"])
        #expect(ObjectListing(search: "over").entries(records).isEmpty)
        // The search continues the prefix as one path: it can reach inside a folder, which is then listed.
        #expect(ObjectListing(search: "book/ch").entries(records).map(\.name) == ["book"])
        #expect(ObjectListing(search: "BOOK/EXTRA/").entries(records).map(\.name) == ["book"])
        #expect(ObjectListing(search: "book/zz").entries(records).isEmpty)
        #expect(ObjectListing(prefix: "book", search: "extra/n").entries(records).map(\.name) == ["extra"])
        #expect(ObjectListing(search: "book/ch").needsDeepRecords && !ObjectListing(search: "book").needsDeepRecords)
    }

    @Test func namesSortCaseInsensitivelyThenByExactBytes() {
        let mixed = ["b.mp3", "B.mp3", "a.mp3", "C.mp3", "_x.mp3"].map { Self.record($0, created: 1) }
        #expect(ObjectListing().entries(mixed).map(\.name) == ["_x.mp3", "a.mp3", "B.mp3", "b.mp3", "C.mp3"])
        #expect(ObjectListing(ascending: false).entries(mixed).map(\.name) == ["C.mp3", "b.mp3", "B.mp3", "a.mp3", "_x.mp3"])
    }

    @Test func sortingAndPaging() {
        #expect(ObjectListing(prefix: "book", ascending: false).entries(records).map(\.name) == ["extra", "ch2.mp3", "ch1.mp3"])
        // Time sorts list folders first, in either direction.
        #expect(ObjectListing(prefix: "book", column: .createdAt).entries(records).map(\.name) == ["extra", "ch1.mp3", "ch2.mp3"])
        #expect(ObjectListing(column: .createdAt, ascending: false).entries(records).map(\.name) == ["book", "a.mp3", "Cover.mp3"])
        #expect(ObjectListing(prefix: "book", limit: 1, offset: 1).entries(records).map(\.name) == ["ch2.mp3"])
        #expect(ObjectListing(prefix: "book", limit: 10, offset: 5).entries(records).isEmpty)
        #expect(ObjectListing(limit: 0).limit == ObjectListing.defaultLimit)
        #expect(ObjectListing(limit: 1_000_000).limit == ObjectListing.maximumLimit)
        #expect(ObjectListing(offset: -3).offset == 0)
    }
}

@Suite struct KeyPageTests {
    static let keys = ["a.mp3", "b/1.mp3", "b/2.mp3", "b/c/3.mp3", "ba.mp3", "c/4.mp3", "d.mp3"]
    static let records = keys.map { ObjectListingTests.record($0, created: 1) }

    static func keysOf(_ page: KeyPage) -> [String] { page.entries.map(\.key) }

    @Test func flatListsEveryKeyUnderThePrefixInKeyOrder() {
        let page = KeyPageBuilder.page(KeyPageRequest(prefix: "b", delimited: false, limit: 10), of: Self.records.shuffled())
        #expect(Self.keysOf(page) == ["b/1.mp3", "b/2.mp3", "b/c/3.mp3", "ba.mp3"])
        #expect(!page.isTruncated)
    }

    @Test func delimitedFoldsEachFolderOnce() {
        let root = KeyPageBuilder.page(KeyPageRequest(prefix: "", delimited: true, limit: 10), of: Self.records)
        #expect(
            root.entries == [.object(Self.records[0]), .folder("b/"), .object(Self.records[4]), .folder("c/"), .object(Self.records[6])])
        let inside = KeyPageBuilder.page(KeyPageRequest(prefix: "b/", delimited: true, limit: 10), of: Self.records)
        #expect(Self.keysOf(inside) == ["b/1.mp3", "b/2.mp3", "b/c/"])
    }

    @Test func pagesContinueAfterTheLastEntryWithoutRepeatsOrGaps() {
        for delimited in [false, true] {
            for limit in 1...4 {
                var seen: [String] = []
                var after: String?
                var pages = 0
                while true {
                    let page = KeyPageBuilder.page(
                        KeyPageRequest(prefix: "", delimited: delimited, after: after, limit: limit), of: Self.records)
                    seen += Self.keysOf(page)
                    pages += 1
                    guard page.isTruncated, let last = page.entries.last else { break }
                    after = last.key
                }
                let whole = Self.keysOf(KeyPageBuilder.page(KeyPageRequest(prefix: "", delimited: delimited, limit: 100), of: Self.records))
                #expect(seen == whole, "delimited \(delimited), limit \(limit)")
                // A page is marked truncated only when an entry beyond it exists: no empty last page.
                #expect(pages == (whole.count + limit - 1) / limit)
            }
        }
    }

    @Test func aFolderIsSkippedWithOneSeek() {
        var builder = KeyPageBuilder(KeyPageRequest(prefix: "", delimited: true, limit: 10))
        #expect(builder.offer("b/1.mp3", record: { Self.records[1] }) == .seek(to: "b0"))
        // A continuation point at the folder itself skips the whole folder.
        var resumed = KeyPageBuilder(KeyPageRequest(prefix: "", delimited: true, after: "b/", limit: 10))
        #expect(resumed.start == "b/")
        #expect(resumed.offer("b/2.mp3", record: { Self.records[2] }) == .seek(to: "b0"))
        #expect(resumed.page.entries.isEmpty)
        #expect(resumed.offer("ba.mp3", record: { Self.records[4] }) == .proceed)
        #expect(resumed.offer("zzz", record: { Self.records[4] }) == .proceed)
        var bounded = KeyPageBuilder(KeyPageRequest(prefix: "b/", delimited: false, limit: 10))
        #expect(bounded.offer("ba.mp3", record: { Self.records[4] }) == .stop)
    }

    @Test func onlyReturnedObjectsAreDecoded() throws {
        var builder = KeyPageBuilder(KeyPageRequest(prefix: "", delimited: false, after: "b", limit: 1))
        var decoded = 0
        for record in Self.records {
            let next = builder.offer(record.key) {
                decoded += 1
                return record
            }
            if next == .stop { break }
        }
        #expect(decoded == 1)
        #expect(builder.page.isTruncated)
    }
}

@Suite struct ListingOrderTests {
    static let records = [("x/old.mp3", 1.0), ("x/new.mp3", 9.0), ("x/mid.mp3", 5.0), ("x/same-b.mp3", 5.0)]
        .map { ObjectListingTests.record($0.0, created: $0.1) }
    static let entries: [KeyPageEntry] = records.map { .object($0) } + [.folder("x/sub/")]

    @Test func timeSortsPutFoldersFirstThenTimeThenKey() {
        let ascending = ListingOrder(column: .createdAt, ascending: true).page(Self.entries, after: nil, limit: 10)
        #expect(ascending.entries.map(\.key) == ["x/sub/", "x/old.mp3", "x/mid.mp3", "x/same-b.mp3", "x/new.mp3"])
        let descending = ListingOrder(column: .createdAt, ascending: false).page(Self.entries, after: nil, limit: 10)
        #expect(descending.entries.map(\.key) == ["x/sub/", "x/new.mp3", "x/same-b.mp3", "x/mid.mp3", "x/old.mp3"])
        let byName = ListingOrder(column: .name, ascending: false).page(Self.entries, after: nil, limit: 10)
        #expect(byName.entries.map(\.key) == ["x/sub/", "x/same-b.mp3", "x/old.mp3", "x/new.mp3", "x/mid.mp3"])
    }

    @Test func cursorsWalkEveryOrderWithoutRepeatsOrGaps() throws {
        for column in ListingOrder.Column.allCases {
            for ascending in [true, false] {
                let order = ListingOrder(column: column, ascending: ascending)
                let whole = order.page(Self.entries, after: nil, limit: 100).entries
                var seen: [KeyPageEntry] = []
                var cursor: ListingOrder.Position?
                while true {
                    let page = order.page(Self.entries, after: cursor, limit: 2)
                    seen += page.entries
                    guard page.isTruncated, let last = page.entries.last else { break }
                    // Round-trip through the opaque text, as a client carries it.
                    let text = ListingCursor(prefix: "x/", order: order, position: order.position(of: last)).encoded
                    cursor = try #require(ListingCursor.decode(text, prefix: "x/", order: order)).position
                }
                #expect(seen == whole, "\(column) \(ascending)")
            }
        }
    }

    @Test func aCursorOnlyContinuesItsOwnListing() {
        let order = ListingOrder(column: .updatedAt, ascending: true)
        let text = ListingCursor(prefix: "x/", order: order, position: .init(rank: 1, time: 5, key: "x/mid.mp3")).encoded
        #expect(ListingCursor.decode(text, prefix: "x/", order: order) != nil)
        #expect(ListingCursor.decode(text, prefix: "y/", order: order) == nil)
        #expect(ListingCursor.decode(text, prefix: "x/", order: ListingOrder()) == nil)
        for garbage in ["", "!!!", "eyJ9", String(repeating: "A", count: 5000)] {
            #expect(ListingCursor.decode(garbage, prefix: "x/", order: order) == nil)
        }
    }
}

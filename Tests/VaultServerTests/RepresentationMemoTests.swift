import HTTPTypes
import NIOCore
import Testing
@testable import VaultCore
@testable import VaultServer

/// The memo of each file's representation: the same as one made afresh, never stale for a record that changed
/// (a file deleted and stored again under its hash), and bounded.
@Suite struct RepresentationMemoTests {
    static func fields(_ seed: String, createdAt: Double = 1_764_000_000.75, size: Int = 4_096) -> AssetDownloadFields {
        AssetDownloadFields(byteSize: size, sha256: SHA256Digest.of(seed), createdAt: createdAt, inBook: true)
    }

    static func afresh(_ fields: AssetDownloadFields) -> DownloadRepresentation {
        DownloadRepresentation(
            facts: DownloadFacts(
                length: UInt64(fields.byteSize), entityTag: "\"\(fields.sha256.hex)\"",
                lastModified: Int64(fields.createdAt.rounded(.down))),
            contentType: "audio/mpeg", cacheControl: DownloadRoutes.cacheControl, contentDisposition: nil)
    }

    @Test func aRememberedRepresentationIsTheOneMadeAfresh() {
        let memo = RepresentationMemo()
        for fields in [Self.fields("a"), Self.fields("a"), Self.fields("b", size: 1)] {
            let remembered = memo.representation(of: fields)
            let made = Self.afresh(fields)
            #expect(remembered.facts == made.facts && remembered.contentType == made.contentType)
            #expect(remembered.prepared?.fields == DownloadResponder.commonHeaders(made))
            var head = ByteBuffer()
            ResponseHeadBytes.write(status: .ok, fields: DownloadResponder.commonHeaders(made), into: &head)
            let lines = remembered.prepared.map { Array($0.lines.readableBytesView) } ?? []
            #expect(
                Array("HTTP/1.1 200 OK\r\n".utf8) + lines + Array("\r\n".utf8) == Array(head.readableBytesView),
                "the prepared lines are the fields' own")
        }
        #expect(memo.count == 2)
    }

    /// The same hash stored again later (deleted, then generated again): a new age, so a new `Last-Modified`.
    @Test func aRecordStoredAgainIsNeverAnsweredWithItsOldValidators() {
        let memo = RepresentationMemo()
        let before = memo.representation(of: Self.fields("a", createdAt: 1_000))
        let after = memo.representation(of: Self.fields("a", createdAt: 2_000))
        #expect(before.facts.lastModified == 1_000 && after.facts.lastModified == 2_000)
        #expect(after.prepared?.fields[.lastModified] == HTTPDate.format(2_000))
    }

    @Test func itHoldsNoMoreThanItsCapacity() {
        let memo = RepresentationMemo(capacity: 8)
        for index in 0..<100 { _ = memo.representation(of: Self.fields("\(index)")) }
        #expect(memo.count <= 8)
    }
}

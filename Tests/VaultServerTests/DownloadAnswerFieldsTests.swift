import HTTPTypes
import NIOCore
import Testing
@testable import VaultServer

/// `DownloadAnswerFields` keeps the common fields shared and the answer's own apart; merged, they must be what
/// setting each field on a copy gives (`HTTPFields.set`, the way answers were built before), and the prepared
/// lines must be dropped exactly when the common fields change.
@Suite struct DownloadAnswerFieldsTests {
    static let common: HTTPFields = [.contentType: "audio/mpeg", .acceptRanges: "bytes", .eTag: "\"e\"", .cacheControl: "max-age=1"]

    @Test func addingMergesAsSettingDoes() {
        let names: [HTTPField.Name] = [.contentLength, .contentRange, .contentType, .eTag, .vary]
        var generator = SystemRandomNumberGenerator()
        // Common fields with a length too, so that the shortcut for fields known to lack lengths is held to
        // the search it skips.
        var withLength = Self.common
        withLength[.contentLength] = "9"
        for _ in 0..<2_000 {
            let common = Bool.random(using: &generator) ? Self.common : withLength
            var fields = DownloadAnswerFields(PreparedFields(common))
            var oracle = common
            var changedCommon = false
            for step in 0..<Int.random(in: 0...4, using: &generator) {
                let name = names.randomElement(using: &generator) ?? .vary
                if common.contains(name) { changedCommon = true }
                fields.add(name, "v\(step)")
                oracle.set(name, "v\(step)")
            }
            #expect(fields.merged == oracle)
            #expect((fields.sharedLines == nil) == changedCommon, "the lines go exactly when a common field changes")
            for name in names { #expect(fields.contains(name) == oracle.contains(name)) }
        }
    }

    @Test func removingACommonFieldDropsTheLines() {
        var fields = DownloadAnswerFields(PreparedFields(Self.common))
        fields.remove(.contentDisposition)
        #expect(fields.sharedLines != nil, "nothing removed, nothing changed")
        fields.remove(.contentType)
        #expect(fields.sharedLines == nil && !fields.contains(.contentType))
        #expect(fields.merged == [.acceptRanges: "bytes", .eTag: "\"e\"", .cacheControl: "max-age=1"])
    }
}

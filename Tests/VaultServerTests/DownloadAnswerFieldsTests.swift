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

    /// Every configuration's finishing fields, for the shortcut below.
    static func everyFinishing() -> [[HTTPField]] {
        let policies: [CrossOriginPolicy.Origins] = [.none, .any, .list(["https://a.example"])]
        var all: [[HTTPField]] = []
        for origins in policies {
            var envelope = AnswerEnvelope(crossOrigin: CrossOriginPolicy(origins: origins), serverName: "VoiceVault")
            for origin in [nil, "https://a.example", "https://b.example"] {
                for closing in [true, false] { all.append(envelope.fields(origin: origin, closing: closing)) }
            }
        }
        return all
    }

    /// `containsAnyName(ofFinishing:)` answers from `AnswerEnvelope.names` without searching: the list
    /// must hold every name any configuration finishes an answer with.
    @Test func finishingNamesHoldEveryFinishingField() {
        let every = Self.everyFinishing()
        #expect(every.contains { $0.contains { $0.name == .accessControlAllowOrigin } }, "cross-origin fields are among them")
        #expect(every.contains { $0.contains { $0.name == .vary } } && every.contains { $0.contains { $0.name == .connection } })
        for finishing in every {
            for field in finishing { #expect(AnswerEnvelope.names.contains(field.name), "\(field.name) is missing") }
        }
    }

    /// The shortcut agrees with searching the merged fields, whichever common fields and additions there are.
    @Test func findingFinishingNamesAgreesWithTheSearch() {
        let every = Self.everyFinishing()
        let names: [HTTPField.Name] = [.contentLength, .contentRange, .vary, .date, .server, .eTag]
        var generator = SystemRandomNumberGenerator()
        var absent = 0
        for _ in 0..<2_000 {
            var common = Self.common
            if Bool.random(using: &generator) { common[names.randomElement(using: &generator) ?? .date] = "c" }
            var fields = DownloadAnswerFields(PreparedFields(common))
            var oracle = common
            for step in 0..<Int.random(in: 0...3, using: &generator) {
                let name = names.randomElement(using: &generator) ?? .contentLength
                fields.add(name, "v\(step)")
                oracle.set(name, "v\(step)")
            }
            for finishing in every {
                let expected = finishing.contains { oracle.contains($0.name) }
                #expect(fields.containsAnyName(ofFinishing: finishing) == expected)
                if !expected { absent += 1 }
            }
        }
        #expect(absent > 0, "answers with none of the names were among those checked")
    }
}

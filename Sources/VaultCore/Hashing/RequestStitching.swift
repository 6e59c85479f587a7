/// ElevenLabs' request stitching as it shapes a content hash: the earlier and later generations a request is
/// spoken between (`previous_request_ids` / `next_request_ids`), named by the content hashes of the assets
/// VoiceVault gave those ids for (`StitchingRequestId`).
///
/// A request id names a generation, not its text, so it cannot be hashed as sent; the asset it resolves to can.
/// The same request stitched to the same assets hashes alike whichever id of theirs it sends and whether
/// upstream is later asked with its own ids or the assets' text (`StitchingContext`). Order is kept: the
/// request speaks after the previous assets in the order given.
public struct RequestStitching: Sendable, Hashable {
    public let previousAssets: [SHA256Digest]
    public let nextAssets: [SHA256Digest]

    /// At most three on each side, as upstream allows.
    public static let maximumPerSide = 3

    public static let none = RequestStitching(uncheckedPrevious: [], next: [])

    public init(previousAssets: [SHA256Digest], nextAssets: [SHA256Digest]) throws(SpeechSpecError) {
        for (field, assets) in [("previous_request_ids", previousAssets), ("next_request_ids", nextAssets)]
        where assets.count > Self.maximumPerSide {
            throw .invalidField(field, "at most \(Self.maximumPerSide) request ids")
        }
        self.init(uncheckedPrevious: previousAssets, next: nextAssets)
    }

    private init(uncheckedPrevious: [SHA256Digest], next: [SHA256Digest]) {
        previousAssets = uncheckedPrevious
        nextAssets = next
    }

    public var isEmpty: Bool { previousAssets.isEmpty && nextAssets.isEmpty }

    /// Every asset named, previous first, each once.
    public var assets: [SHA256Digest] {
        var seen = Set<SHA256Digest>()
        return (previousAssets + nextAssets).filter { seen.insert($0).inserted }
    }

    /// The encoding's value for one side: lower-case hex digests joined by `,`; nil when the side is empty.
    static func field(_ assets: [SHA256Digest]) -> String? {
        assets.isEmpty ? nil : assets.map(\.hex).joined(separator: ",")
    }

    /// Whether upstream stitches with request ids for `model`: `eleven_v3` does not, so its requests are
    /// stitched with the neighbours' text.
    public static func upstreamStitchesRequestIds(model: String) -> Bool { model != "eleven_v3" }
}

/// One asset of a book as the manifest reads it: its record, what the book says about it, and whether it has
/// character timings.
public struct BookEntry: Sendable, Equatable {
    public let record: AssetRecord
    public let link: BookLink
    public let hasAlignment: Bool

    public init(record: AssetRecord, link: BookLink, hasAlignment: Bool) {
        self.record = record
        self.link = link
        self.hasAlignment = hasAlignment
    }
}

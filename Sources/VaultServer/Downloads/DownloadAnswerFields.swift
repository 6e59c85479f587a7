import HTTPTypes
import NIOCore

/// A download answer's fields: the representation's common ones, shared by every answer of it (and, when made
/// once beforehand, already in wire form), then the few this answer adds after them (its lengths).
///
/// Kept apart because adding two fields to a shared `HTTPFields` copies it first, and renders again fields
/// already rendered once (Docs/PERFORMANCE.md, "Index reads, record decoding and the range answer").
struct DownloadAnswerFields: Sendable {
    /// The common fields, as they are.
    private(set) var shared: HTTPFields
    /// `shared` as `ResponseHeadBytes.fieldLines` writes them, while `shared` is unchanged since they were made.
    private(set) var sharedLines: ByteBuffer?
    /// Written after `shared`; no name here is also in `shared`.
    private(set) var added: [HTTPField] = []
    /// Known: `shared` has neither `Content-Length` nor `Content-Range` (false: not known).
    private var sharedLacksLengths = false
    /// Known: no field, common or added, has a name in `AnswerEnvelope.names` (false: not known).
    private var lacksFinishingNames = false

    init(_ shared: HTTPFields) {
        self.shared = shared
    }

    init(_ prepared: PreparedFields) {
        shared = prepared.fields
        sharedLines = prepared.lines
        sharedLacksLengths = !prepared.carriesLengths
        lacksFinishingNames = !prepared.carriesFinishingNames
    }

    /// Sets a field the common ones do not have (`Content-Length`, `Content-Range`) as `HTTPFields.set` would:
    /// one already there, common or added, is replaced.
    mutating func add(_ name: HTTPField.Name, _ value: String) {
        let isLength = name == .contentLength || name == .contentRange
        if !isLength { lacksFinishingNames = false }
        let knownAbsent = sharedLacksLengths && isLength
        if !knownAbsent, shared.contains(name) { return replace(name, value) }
        if let index = added.firstIndex(where: { $0.name == name }) {
            added[index].value = value
        } else {
            added.append(HTTPField(name: name, value: value))
        }
    }

    /// Replaces a common field (or adds it): the prepared lines no longer say the same, so they are dropped.
    mutating func replace(_ name: HTTPField.Name, _ value: String) {
        shared[name] = value
        sharedLines = nil
        sharedLacksLengths = false
        lacksFinishingNames = false
    }

    mutating func remove(_ name: HTTPField.Name) {
        guard shared.contains(name) else { return }
        shared[name] = nil
        sharedLines = nil
    }

    /// Whether any field, shared or added, is named `name`.
    func contains(_ name: HTTPField.Name) -> Bool {
        shared.contains(name) || added.contains { $0.name == name }
    }

    /// Whether a field, shared or added, has the name of one of `finishing`, the connection's finishing fields
    /// (`AnswerEnvelope.fields`, whose names are all in `AnswerEnvelope.names`). Known without a search when
    /// the common fields were prepared without any of those names and only lengths were added since, as for
    /// every download answer (Docs/PERFORMANCE.md, "Reads asked for near the head").
    func containsAnyName(ofFinishing finishing: [HTTPField]) -> Bool {
        if lacksFinishingNames { return false }
        return finishing.contains { contains($0.name) }
    }

    /// All of them in one `HTTPFields`, in the order they are written.
    var merged: HTTPFields {
        var all = shared
        all.append(contentsOf: added)
        return all
    }
}

#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import VaultCore

/// The fields every answer carries, whichever transport writes it (the router's `AnswerMiddleware`, the fast
/// answers, the byte-level downloads): `X-Content-Type-Options: nosniff` (the Storage API serves what users
/// upload from the API's own origin, and a browser must never guess that a file is HTML or script), the
/// cross-origin fields for a cross-origin request (a browser hides even an error without them), `Date`,
/// `Server`, and `Connection: close` when the connection ends after the answer.
///
/// A value each writer keeps its own copy of: the `Date` field is made once a second per copy, with no lock.
/// Invariant: every field it gives has a name in `names` (a test holds it to every configuration), so an
/// answer prepared without any of those names takes the envelope by appending, without a search.
struct AnswerEnvelope: Sendable {
    let crossOrigin: CrossOriginPolicy
    private let serverField: HTTPField
    private var date = (second: Int64.min, field: HTTPField(name: .date, value: ""))

    static let noSniffField = HTTPField(name: .xContentTypeOptions, value: "nosniff")
    static let closeField = HTTPField(name: .connection, value: "close")

    /// Every name the envelope may give a field.
    static let names: [HTTPField.Name] = [
        .accessControlAllowOrigin, .accessControlExposeHeaders, .vary, .xContentTypeOptions, .date, .server, .connection,
    ]

    init(crossOrigin: CrossOriginPolicy, serverName: String) {
        self.crossOrigin = crossOrigin
        self.serverField = HTTPField(name: .server, value: serverName)
    }

    /// The envelope of one answer, as a list: the byte-level path writes it after the answer's own fields
    /// instead of adding it to an `HTTPFields` (Docs/PERFORMANCE.md, "Index reads, record decoding and the
    /// range answer"). `origin`: the request's `Origin`; `closing`: the connection ends after this answer.
    mutating func fields(origin: String?, closing: Bool) -> [HTTPField] {
        var added: [HTTPField] = []
        added.reserveCapacity(6)
        if crossOrigin.origins != .none, let origin {
            added.append(contentsOf: crossOrigin.responseHeaders(origin: origin))
        }
        added.append(Self.noSniffField)
        added.append(currentDate())
        added.append(serverField)
        if closing { added.append(Self.closeField) }
        return added
    }

    /// The envelope set in `fields`: each replaces a field of its name, or is appended.
    mutating func apply(to fields: inout HTTPFields, origin: String?, closing: Bool) {
        Self.set(self.fields(origin: origin, closing: closing), in: &fields)
    }

    static func set(_ added: [HTTPField], in fields: inout HTTPFields) {
        for field in added { fields.set(field.name, field.value) }
    }

    private mutating func currentDate() -> HTTPField {
        let second = Int64(time(nil))
        if second != date.second { date = (second, HTTPField(name: .date, value: HTTPDate.format(second))) }
        return date.field
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
}

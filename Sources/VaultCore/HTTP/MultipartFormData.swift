/// A `multipart/form-data` body (RFC 7578) split into its parts. Pure: bytes in, parts out.
///
/// The server streams uploads through `MultipartStreamParser` instead; this whole-body form is the simple
/// reference it is tested against, and holds the header and search helpers both share.
///
/// Storage clients send a `cacheControl` field, an optional `metadata` field and one file part whose field
/// name varies (`file` from storage3, empty from supabase-js); the file part is the one with a filename or,
/// failing that, the last part that is not a known field.
public struct MultipartFormData: Sendable {
    public struct Part: Sendable, Equatable {
        public var name: String
        public var filename: String?
        public var contentType: String?
        public var body: ArraySlice<UInt8>
    }

    public struct Failure: Error, Equatable, Sendable {
        public let message: String
    }

    public let parts: [Part]

    /// The boundary parameter of a `multipart/form-data` content type, unquoted; nil when it is not one.
    public static func boundary(fromContentType value: String) -> String? {
        let pieces = value.split(separator: ";").map { $0.trimmingWhitespace() }
        guard pieces.first?.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingWhitespace().lowercased() == "boundary" else { continue }
            var boundary = pair[1].trimmingWhitespace()
            if boundary.hasPrefix("\""), boundary.hasSuffix("\""), boundary.count >= 2 { boundary = String(boundary.dropFirst().dropLast()) }
            return (1...70).contains(boundary.utf8.count) ? boundary : nil
        }
        return nil
    }

    public init(body: [UInt8], boundary: String) throws(Failure) {
        let delimiter = Array(("--" + boundary).utf8)
        guard var position = Self.find(delimiter, in: body, from: 0) else {
            throw Failure(message: "multipart body has no '--\(boundary)' delimiter")
        }
        var parts: [Part] = []
        while true {
            position += delimiter.count
            // "--" after a delimiter closes the body.
            if body.count >= position + 2, body[position] == UInt8(ascii: "-"), body[position + 1] == UInt8(ascii: "-") { break }
            guard let lineEnd = Self.find([13, 10], in: body, from: position) else { throw Failure(message: "multipart delimiter line is not terminated") }
            // The header block ends at the first blank line; a part without headers has it right away.
            guard let blankLine = Self.find([13, 10, 13, 10], in: body, from: lineEnd) else {
                throw Failure(message: "multipart part headers are not terminated")
            }
            let headerText = blankLine > lineEnd ? String(decoding: body[(lineEnd + 2)..<blankLine], as: UTF8.self) : ""
            let contentStart = blankLine + 4
            guard let next = Self.find([13, 10] + delimiter, in: body, from: contentStart - 2) else {
                throw Failure(message: "multipart part is not closed by '--\(boundary)'")
            }
            parts.append(try Self.part(headers: headerText, body: body[contentStart..<max(contentStart, next)]))
            position = next + 2
        }
        self.parts = parts
    }

    /// The part carrying the file: one with a filename, else the last part that is not a known form field.
    public func filePart(knownFields: Set<String>) -> Part? {
        parts.first { $0.filename != nil } ?? parts.last { !knownFields.contains($0.name) }
    }

    public func field(_ name: String) -> String? {
        parts.first { $0.name == name && $0.filename == nil }.map { String(decoding: $0.body, as: UTF8.self) }
    }

    static func part(headers: String, body: ArraySlice<UInt8>) throws(Failure) -> Part {
        var name: String?
        var filename: String?
        var contentType: String?
        for line in headers.split(separator: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let value = pair[1].trimmingWhitespace()
            switch pair[0].trimmingWhitespace().lowercased() {
            case "content-disposition":
                for parameter in Self.parameters(value) {
                    if parameter.key == "name" { name = parameter.value }
                    if parameter.key == "filename" { filename = parameter.value }
                }
            case "content-type":
                contentType = value
            default:
                continue
            }
        }
        guard let name else { throw Failure(message: "multipart part has no Content-Disposition name") }
        return Part(name: name, filename: filename, contentType: contentType, body: body)
    }

    /// `form-data; name="a"; filename="b c.mp3"` -> [("name","a"), ("filename","b c.mp3")]. Quoted values may
    /// hold `;` and escaped quotes.
    static func parameters(_ value: String) -> [(key: String, value: String)] {
        var result: [(String, String)] = []
        var scalars = Substring(value)
        // Skip the disposition type.
        if let semicolon = scalars.firstIndex(of: ";") { scalars = scalars[scalars.index(after: semicolon)...] } else { return [] }
        while !scalars.isEmpty {
            while scalars.first == " " || scalars.first == ";" { scalars.removeFirst() }
            guard let equals = scalars.firstIndex(of: "=") else { break }
            let key = scalars[..<equals].trimmingWhitespace().lowercased()
            scalars = scalars[scalars.index(after: equals)...]
            var parsed = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                while let character = scalars.first {
                    scalars.removeFirst()
                    if character == "\\", let escaped = scalars.first { parsed.append(escaped); scalars.removeFirst(); continue }
                    if character == "\"" { break }
                    parsed.append(character)
                }
            } else {
                let end = scalars.firstIndex(of: ";") ?? scalars.endIndex
                parsed = scalars[..<end].trimmingWhitespace()
                scalars = scalars[end...]
            }
            result.append((key, parsed))
        }
        return result
    }

    static func starts(_ haystack: [UInt8], at index: Int, with needle: [UInt8]) -> Bool {
        index >= 0 && index + needle.count <= haystack.count && haystack[index..<(index + needle.count)].elementsEqual(needle)
    }

    /// First index of `needle` in `haystack` at or after `start`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, needle.count <= haystack.count else { return nil }
        var index = max(0, start)
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, starts(haystack, at: index, with: needle) { return index }
            index += 1
        }
        return nil
    }
}

/// The grammar of `multipart/form-data` (RFC 7578) that uploads are read with: the boundary of a content type,
/// a part's header block, and the byte search both need. Pure: no I/O.
///
/// The server reads uploads as they stream in, through `MultipartStreamParser`. The tests hold a whole-body
/// parser over these same helpers as the reference the streaming one must agree with.
public enum MultipartFormData {
    public struct Failure: Error, Equatable, Sendable {
        public let message: String
    }

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

    /// The name, filename and content type in a part's header block (the lines between the delimiter line and
    /// the blank line, CRLF-separated). A part without a Content-Disposition name is refused.
    static func partHeaders(_ headers: String) throws(Failure) -> MultipartStreamParser.PartHeaders {
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
        return MultipartStreamParser.PartHeaders(name: name, filename: filename, contentType: contentType)
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

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
    /// Read as bytes (`FieldBytes`): a boundary is ASCII, and so is any content type we accept.
    public static func boundary(fromContentType value: String) -> String? {
        guard FieldBytes.isASCII(value.utf8) else { return nil }
        let pieces = FieldBytes.split(value.utf8, on: UInt8(ascii: ";")).map { FieldBytes.trimmed($0) }
        guard let type = pieces.first, FieldBytes.equalsIgnoringCase(type, "multipart/form-data") else { return nil }
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: UInt8(ascii: "=")),
                FieldBytes.equalsIgnoringCase(FieldBytes.trimmed(piece[..<equals]), "boundary")
            else { continue }
            var boundary = FieldBytes.trimmed(piece[piece.index(after: equals)...])
            if boundary.count >= 2, boundary.first == UInt8(ascii: "\""), boundary.last == UInt8(ascii: "\"") {
                boundary = boundary.dropFirst().dropLast()
            }
            return (1...70).contains(boundary.count) ? String(decoding: boundary, as: UTF8.self) : nil
        }
        return nil
    }

    /// The name, filename and content type in a part's header block (the lines between the delimiter line and
    /// the blank line, CRLF-separated). A part without a Content-Disposition name is refused. Bytes only: the
    /// block comes from the client, and a filename may be UTF-8 of any shape.
    static func partHeaders(_ headers: String) throws(Failure) -> MultipartStreamParser.PartHeaders {
        var name: String?
        var filename: String?
        var contentType: String?
        for line in FieldBytes.split(headers.utf8, on: UInt8(ascii: "\n")) {
            let content = line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...]
            guard let colon = content.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let key = FieldBytes.trimmed(content[..<colon])
            let value = FieldBytes.trimmed(content[content.index(after: colon)...])
            if FieldBytes.equalsIgnoringCase(key, "content-disposition") {
                for parameter in Self.parameters(value) {
                    if parameter.key == "name" { name = parameter.value }
                    if parameter.key == "filename" { filename = parameter.value }
                }
            } else if FieldBytes.equalsIgnoringCase(key, "content-type") {
                contentType = String(decoding: value, as: UTF8.self)
            }
        }
        guard let name else { throw Failure(message: "multipart part has no Content-Disposition name") }
        return MultipartStreamParser.PartHeaders(name: name, filename: filename, contentType: contentType)
    }

    static func parameters(_ value: String) -> [(key: String, value: String)] {
        parameters(value.utf8[...])
    }

    /// `form-data; name="a"; filename="b c.mp3"` -> [("name","a"), ("filename","b c.mp3")]. Quoted values may
    /// hold `;` and escaped quotes. Keys are lower-cased ASCII. One pass over the bytes.
    static func parameters<Bytes: BidirectionalCollection>(_ value: Bytes) -> [(key: String, value: String)]
    where Bytes.Element == UInt8 {
        var result: [(String, String)] = []
        // Skip the disposition type.
        guard let semicolon = value.firstIndex(of: UInt8(ascii: ";")) else { return [] }
        var index = value.index(after: semicolon)
        let quote = UInt8(ascii: "\"")
        let backslash = UInt8(ascii: "\\")
        let separator = UInt8(ascii: ";")
        while index < value.endIndex {
            while index < value.endIndex, value[index] == 0x20 || value[index] == separator { value.formIndex(after: &index) }
            guard let equals = value[index...].firstIndex(of: UInt8(ascii: "=")) else { break }
            let key = String(decoding: FieldBytes.trimmed(value[index..<equals]).map(FieldBytes.lowercased), as: UTF8.self)
            index = value.index(after: equals)
            var parsed: [UInt8] = []
            if index < value.endIndex, value[index] == quote {
                value.formIndex(after: &index)
                while index < value.endIndex {
                    let byte = value[index]
                    value.formIndex(after: &index)
                    if byte == backslash, index < value.endIndex {
                        parsed.append(value[index])
                        value.formIndex(after: &index)
                        continue
                    }
                    if byte == quote { break }
                    parsed.append(byte)
                }
            } else {
                let end = value[index...].firstIndex(of: separator) ?? value.endIndex
                parsed = Array(FieldBytes.trimmed(value[index..<end]))
                index = end
            }
            result.append((key, String(decoding: parsed, as: UTF8.self)))
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

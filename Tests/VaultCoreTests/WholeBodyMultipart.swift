import VaultTestSupport
@testable import VaultCore

/// A whole `multipart/form-data` body split into its parts at once: the simple reference that
/// `MultipartStreamParser` is tested against, over the same `MultipartFormData` grammar.
///
/// It lives with the tests because the server never holds a whole upload in memory. Its file-part rule is the
/// one `UploadReceiver` applies as parts stream in: the first part with a filename, else the last part that is
/// not a known form field.
struct WholeBodyMultipart {
    struct Part: Equatable {
        var name: String
        var filename: String?
        var contentType: String?
        var body: ArraySlice<UInt8>
    }

    let parts: [Part]

    init(body: [UInt8], boundary: String) throws(MultipartFormData.Failure) {
        let delimiter = Array(("--" + boundary).utf8)
        guard var position = MultipartFormData.find(delimiter, in: body, from: 0) else {
            throw .init(message: "multipart body has no '--\(boundary)' delimiter")
        }
        var parts: [Part] = []
        while true {
            position += delimiter.count
            // "--" after a delimiter closes the body.
            if body.count >= position + 2, body[position] == UInt8(ascii: "-"), body[position + 1] == UInt8(ascii: "-") { break }
            guard let lineEnd = MultipartFormData.find([13, 10], in: body, from: position) else {
                throw .init(message: "multipart delimiter line is not terminated")
            }
            // The header block ends at the first blank line; a part without headers has it right away.
            guard let blankLine = MultipartFormData.find([13, 10, 13, 10], in: body, from: lineEnd) else {
                throw .init(message: "multipart part headers are not terminated")
            }
            let headerText = blankLine > lineEnd ? String(decoding: body[(lineEnd + 2)..<blankLine], as: UTF8.self) : ""
            let contentStart = blankLine + 4
            guard let next = MultipartFormData.find([13, 10] + delimiter, in: body, from: contentStart - 2) else {
                throw .init(message: "multipart part is not closed by '--\(boundary)'")
            }
            let headers = try MultipartFormData.partHeaders(headerText)
            parts.append(
                Part(
                    name: headers.name, filename: headers.filename, contentType: headers.contentType,
                    body: body[contentStart..<max(contentStart, next)]))
            position = next + 2
        }
        self.parts = parts
    }

    func filePart(knownFields: Set<String>) -> Part? {
        parts.first { $0.filename != nil } ?? parts.last { !knownFields.contains($0.name) }
    }

    func field(_ name: String) -> String? {
        parts.first { $0.name == name && $0.filename == nil }.map { String(decoding: $0.body, as: UTF8.self) }
    }
}

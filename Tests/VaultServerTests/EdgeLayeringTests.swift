import Foundation
import Testing

/// The dependency rule of Docs/ARCHITECTURE.md, kept true: the edge (`Edge/`, `FastPath/`, `Connections/`)
/// may use the surfaces, never the other way round. Read from the sources: a surface that names a type the
/// edge declares (outside comments) fails here. `VaultApplication.swift`, the composition root, builds both.
@Suite struct EdgeLayeringTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/VaultServer")
    static let edgeFolders: Set<String> = ["Edge", "FastPath", "Connections"]

    static func swiftFiles() throws -> [(folder: String, name: String, text: String)] {
        let enumerator = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        var files: [(String, String, String)] = []
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "swift" else { continue }
            let relative = url.path.dropFirst(sources.path.count + 1)
            let folder = relative.contains("/") ? String(relative.prefix { $0 != "/" }) : ""
            files.append((folder, url.lastPathComponent, try String(contentsOf: url, encoding: .utf8)))
        }
        return files
    }

    /// Code without its comments, line by line (a `//` inside a string literal cuts the line short, which
    /// only hides names, never invents one).
    static func code(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? String(line)
        }.joined(separator: "\n")
    }

    /// Types declared at the top level of a file.
    static func declaredTypes(_ text: String) throws -> Set<String> {
        let pattern = try NSRegularExpression(
            pattern: #"^(?:public |final |private |fileprivate )*(?:class|struct|enum|protocol|actor) ([A-Z][A-Za-z0-9_]*)"#,
            options: .anchorsMatchLines)
        let range = NSRange(text.startIndex..., in: text)
        return Set(pattern.matches(in: text, range: range).compactMap { Range($0.range(at: 1), in: text).map { String(text[$0]) } })
    }

    @Test func noSurfaceNamesATypeOfTheEdge() throws {
        let files = try Self.swiftFiles()
        #expect(files.count > 50, "the sources were found")
        var edgeTypes: Set<String> = []
        for file in files where Self.edgeFolders.contains(file.folder) { edgeTypes.formUnion(try Self.declaredTypes(file.text)) }
        #expect(
            edgeTypes.isSuperset(of: ["ConnectionLife", "ConnectionOwner", "FastAnswerHandler", "DirectDownloadHandler", "EdgeChannel"]))
        for file in files where !Self.edgeFolders.contains(file.folder) && file.name != "VaultApplication.swift" {
            let code = Self.code(file.text)
            for name in edgeTypes {
                let used = code.range(of: #"\b\#(name)\b"#, options: .regularExpression) != nil
                #expect(!used, "\(file.folder)/\(file.name) names \(name), a type of the edge")
            }
        }
    }
}

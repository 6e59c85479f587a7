import Hummingbird
import Testing
import VaultTestSupport
@testable import VaultServer

@Suite struct RouteTableTests {
    let table: RouteTable = {
        let table = RouteTable()
        table.record("/healthz", .get)
        table.record("/api/voice", .post)
        table.record("/api/voice", .get)
        table.record("/api/voice/:hash", .get)
        table.record("/audio/:book/:file", .get)
        table.record("/audio/:book/:file", .head)
        for method in [HTTPRequest.Method.get, .head, .post, .put, .delete] { table.record("/storage/v1/**", method) }
        return table
    }()

    @Test(arguments: [
        ("/healthz", "GET HEAD"),
        ("/healthz/", "GET HEAD"),
        ("/api/voice", "GET HEAD POST"),
        ("/api/voice/0123", "GET HEAD"),
        ("/api/voice/0123/more", ""),
        ("/audio/b/h.mp3", "GET HEAD"),
        ("/audio/b", ""),
        ("/audio/b/h.mp3/x", ""),
        ("/storage/v1/bucket", "GET HEAD POST PUT DELETE"),
        ("/storage/v1/object/a/b/c d.mp3", "GET HEAD POST PUT DELETE"),
        ("/storage/v1", ""),
        ("/", ""),
        ("/unknown", ""),
    ])
    func allowedMethodsFollowThePatterns(path: String, expected: String) {
        #expect(table.allowedMethods(for: path).map(\.rawValue).joined(separator: " ") == expected)
    }
}

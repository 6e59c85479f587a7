import AsyncHTTPClient
import Foundation
import Testing
import VaultTestSupport
import VaultCore

/// The admin API over real sockets, against a real voicevault and the fake ElevenLabs.
@Suite struct AdminAPITests {
    static let adminToken = "the-operator-token-0123456789"

    static func testbed(adminToken: String? = adminToken, extra: [String: String] = [:]) throws -> VoiceTestbed {
        var environment = extra
        if let adminToken { environment["VOICEVAULT_ADMIN_TOKEN"] = adminToken }
        return try VoiceTestbed(environment: environment)
    }

    /// Every admin route with a method, with ids well formed so that only access decides the answer.
    static let routes: [(String, String)] = {
        let hash = String(repeating: "a", count: 64)
        return [
            ("DELETE", "/admin/audio/\(hash)"), ("DELETE", "/admin/books/book-1"),
            ("DELETE", "/admin/books/book-1/audio/\(hash)"), ("GET", "/admin/assets"), ("GET", "/admin/assets/\(hash)"),
            ("GET", "/admin/books"), ("POST", "/admin/purge"), ("GET", "/admin/stats"),
        ]
    }()

    func admin(
        _ bed: VoiceTestbed, _ method: String, _ path: String, body: String? = nil,
        token: String? = adminToken
    ) async throws -> HTTPResult {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if body != nil { headers["content-type"] = "application/json" }
        return try await httpRequest(method, bed.server.baseURL + path, headers: headers, body: body)
    }

    @Test func aClientKeyOpensNoAdminRouteAndNeitherDoesAWrongToken() async throws {
        let bed = try Self.testbed()
        for (method, path) in Self.routes {
            let asClient = try await admin(bed, method, path, body: method == "POST" ? "{}" : nil, token: VoiceTestbed.clientKey)
            #expect(asClient.status == 403, "\(method) \(path) with a client key: \(asClient.status)")
            #expect(json(asClient.body)["error"] as? String == "forbidden")
            // A client key in the headers clients use for it opens nothing either.
            let asApikey = try await httpRequest(method, bed.server.baseURL + path, headers: ["apikey": VoiceTestbed.clientKey])
            #expect(asApikey.status == 403, "\(method) \(path) with apikey")
            let anonymous = try await admin(bed, method, path, token: nil)
            #expect(anonymous.status == 401)
            #expect(anonymous.header("www-authenticate")?.hasPrefix("Bearer") == true)
            let wrong = try await admin(bed, method, path, token: Self.adminToken + "x")
            #expect(wrong.status == 401, "\(method) \(path) with a wrong token")
            // The admin token in a client header is not the admin token.
            let sideways = try await httpRequest(method, bed.server.baseURL + path, headers: ["xi-api-key": Self.adminToken])
            #expect(sideways.status == 401)
        }
        // And the admin token generates nothing: it is not a client key.
        let generate = try await bed.post(VoiceTestbed.requestBody(), key: Self.adminToken)
        #expect(generate.status == 401)
        #expect(try await bed.upstreamCalls() == 0)
    }

    @Test func withoutAnAdminTokenConfiguredTheAdminSurfaceRefusesEverything() async throws {
        let bed = try Self.testbed(adminToken: nil)
        for (method, path) in Self.routes {
            for token in [Self.adminToken, VoiceTestbed.clientKey, ""] {
                let answer = try await admin(bed, method, path, token: token.isEmpty ? nil : token)
                #expect(answer.status == 403, "\(method) \(path)")
                #expect(json(answer.body)["error"] as? String == "admin_disabled")
            }
        }
        #expect(bed.server.terminate() == 0)
        #expect(bed.server.log.contains("VOICEVAULT_ADMIN_TOKEN is not set"))
    }

    @Test func deletingABookKeepsSharedAudioAndRemovesOrphansEverywhere() async throws {
        let bed = try Self.testbed()
        let shared = try await bed.post(VoiceTestbed.requestBody(text: "Shared between two books.", book: "book-a"))
        _ = try await bed.post(VoiceTestbed.requestBody(text: "Shared between two books.", book: "book-b"))
        let own = try await bed.post(VoiceTestbed.requestBody(text: "Only in book a.", book: "book-a"))
        let sharedHash = try #require(json(shared.body)["contentHash"] as? String)
        let ownHash = try #require(json(own.body)["contentHash"] as? String)
        let ownBytes = try #require(json(own.body)["bytes"] as? Int)
        #expect(try await bed.upstreamCalls() == 2)

        let deleted = try await admin(bed, "DELETE", "/admin/books/book-a")
        #expect(deleted.status == 200, "\(deleted.body)")
        let answer = json(deleted.body)
        #expect(answer["bookId"] as? String == "book-a")
        #expect(answer["links"] as? Int == 2)
        #expect(answer["assetsRemoved"] as? Int == 1)
        #expect(answer["bytesFreed"] as? Int == ownBytes)
        // The orphan is gone: record, link, bytes. The shared audio stays for book-b.
        #expect(try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(ownHash)").status == 404)
        #expect(!FileManager.default.fileExists(atPath: bed.dataDirectory + "/audio/book-a"))
        #expect(!bed.filesUnder("audio").contains { $0.contains(ownHash) })
        let kept = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(sharedHash)")
        #expect(json(kept.body)["bookIds"] as? [String] == ["book-b"])
        #expect(try await httpRequest("GET", bed.server.baseURL + "/audio/book-b/\(sharedHash).mp3").status == 200)
        #expect(try await httpRequest("GET", bed.server.baseURL + "/audio/book-a/\(sharedHash).mp3").status == 404)

        // Unknown book 404, malformed 400.
        #expect(try await admin(bed, "DELETE", "/admin/books/book-a").status == 404)
        let bad = try await admin(bed, "DELETE", "/admin/books/..")
        #expect([400, 404].contains(bad.status))
        let badId = try await admin(bed, "DELETE", "/admin/books/has%20space")
        #expect(badId.status == 400)
        #expect(json(badId.body)["error"] as? String == "invalid_book_id")

        // The deleted audio costs exactly one upstream call when asked for again, and then is a hit.
        let again = try await bed.post(VoiceTestbed.requestBody(text: "Only in book a.", book: "book-a"))
        #expect(again.header("x-cache") == "MISS")
        #expect(try await bed.upstreamCalls() == 3)
        #expect(try await bed.post(VoiceTestbed.requestBody(text: "Only in book a.", book: "book-a")).header("x-cache") == "HIT")
        #expect(try await bed.upstreamCalls() == 3)
        #expect(bed.server.terminate() == 0)
        #expect(bed.server.log.contains("admin action"))
    }

    @Test func deletingAnAssetRemovesItFromEveryBook() async throws {
        let bed = try Self.testbed()
        let first = try await bed.post(VoiceTestbed.requestBody(text: "Delete me everywhere.", book: "one"))
        _ = try await bed.post(VoiceTestbed.requestBody(text: "Delete me everywhere.", book: "two"))
        let hash = try #require(json(first.body)["contentHash"] as? String)
        let bytes = try #require(json(first.body)["bytes"] as? Int)

        let deleted = try await admin(bed, "DELETE", "/admin/audio/\(hash)")
        #expect(deleted.status == 200, "\(deleted.body)")
        #expect(json(deleted.body)["books"] as? [String] == ["one", "two"])
        #expect(json(deleted.body)["links"] as? Int == 2)
        #expect(json(deleted.body)["bytesFreed"] as? Int == bytes)
        #expect(!bed.filesUnder("audio").contains { $0.contains(hash) })
        #expect(try await admin(bed, "DELETE", "/admin/audio/\(hash)").status == 404)
        let malformed = try await admin(bed, "DELETE", "/admin/audio/NOT-A-HASH")
        #expect(malformed.status == 400)
        #expect(json(malformed.body)["error"] as? String == "invalid_content_hash")

        // One book's reference.
        let again = try await bed.post(VoiceTestbed.requestBody(text: "Delete me everywhere.", book: "one"))
        _ = try await bed.post(VoiceTestbed.requestBody(text: "Delete me everywhere.", book: "two"))
        #expect(again.header("x-cache") == "MISS")
        let reference = try await admin(bed, "DELETE", "/admin/books/one/audio/\(hash)")
        #expect(reference.status == 200)
        #expect(json(reference.body)["assetsRemoved"] as? Int == 0)
        #expect(try await admin(bed, "DELETE", "/admin/books/one/audio/\(hash)").status == 404)
        let record = try await httpRequest("GET", bed.server.baseURL + "/api/voice/\(hash)")
        #expect(json(record.body)["bookIds"] as? [String] == ["two"])
    }

    /// A download already answering when its asset is deleted completes with the whole, correct bytes: the
    /// response holds the open file (or the cached buffer), and unlinking a name does not touch either.
    @Test func aDownloadInProgressWhenItsAssetIsDeletedCompletes() async throws {
        let bed = try Self.testbed(extra: ["VOICEVAULT_DOWNLOAD_CACHE_MIB": "0"])
        let made = try await bed.post(VoiceTestbed.requestBody(text: "Downloaded while deleted."))
        let hash = try #require(json(made.body)["contentHash"] as? String)
        let size = try #require(json(made.body)["bytes"] as? Int)
        let original = try FileSystem.readFile(bed.dataDirectory + "/audio/book-1/\(hash).mp3")
        // A small receive buffer, so the server cannot have pushed the whole body when the delete lands.
        let connection = try RawConnection(port: bed.server.port, receiveBuffer: 4096)
        #expect(connection.send("GET /audio/book-1/\(hash).mp3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        let head = try #require(connection.receiveHead())
        #expect(head.hasPrefix("HTTP/1.1 200"))
        let deleted = try await admin(bed, "DELETE", "/admin/audio/\(hash)")
        #expect(deleted.status == 200)
        #expect(!FileManager.default.fileExists(atPath: bed.dataDirectory + "/audio/book-1/\(hash).mp3"))
        let body = connection.receiveAll(limit: size + 1)
        #expect(body.count == size)
        #expect(body == original)
        // Afterwards the asset is gone for new requests.
        #expect(try await httpRequest("GET", bed.server.baseURL + "/audio/book-1/\(hash).mp3").status == 404)
    }

    @Test func listingsFilterAndPage() async throws {
        let bed = try Self.testbed()
        for index in 0..<5 {
            _ = try await bed.post(VoiceTestbed.requestBody(text: "Sentence number \(index).", book: index < 3 ? "first" : "second"))
        }
        _ = try await bed.post(VoiceTestbed.requestBody(text: "Another voice.", voice: "AZnzlk1XvdvUeBnXmlld", book: "first"))

        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await admin(bed, "GET", "/admin/assets?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(page.status == 200, "\(page.body)")
            let assets = json(page.body)["assets"] as? [[String: Any]] ?? []
            #expect(assets.count <= 2)
            seen += assets.compactMap { $0["contentHash"] as? String }
            cursor = json(page.body)["nextCursor"] as? String
            pages += 1
        } while cursor != nil && pages < 10
        #expect(seen.count == 6)
        #expect(seen == seen.sorted(), "pages follow hash order")

        let byBook = json(try await admin(bed, "GET", "/admin/assets?bookId=second").body)["assets"] as? [[String: Any]]
        #expect(byBook?.count == 2)
        let byVoice = json(try await admin(bed, "GET", "/admin/assets?voiceId=AZnzlk1XvdvUeBnXmlld").body)["assets"] as? [[String: Any]]
        #expect(byVoice?.count == 1)
        #expect(byVoice?.first?["bookIds"] as? [String] == ["first"])
        let future = json(try await admin(bed, "GET", "/admin/assets?createdAfter=2999-01-01").body)["assets"] as? [[String: Any]]
        #expect(future?.isEmpty == true)
        let past = json(try await admin(bed, "GET", "/admin/assets?createdBefore=2999-01-01T00:00:00Z").body)["assets"] as? [[String: Any]]
        #expect(past?.count == 6)
        for bad in ["limit=0", "limit=100000", "cursor=zz", "createdBefore=yesterday", "bookId=a%20b"] {
            let answer = try await admin(bed, "GET", "/admin/assets?" + bad)
            #expect(answer.status == 400, "\(bad)")
        }

        let books = json(try await admin(bed, "GET", "/admin/books").body)["books"] as? [[String: Any]]
        #expect(books?.map { $0["bookId"] as? String } == ["first", "second"])
        #expect(books?.first?["assets"] as? Int == 4)
        #expect((books?.first?["bytes"] as? Int ?? 0) > 0)

        let one = try #require(seen.first)
        let detail = try await admin(bed, "GET", "/admin/assets/\(one)")
        #expect(detail.status == 200)
        #expect(json(detail.body)["contentHash"] as? String == one)
        #expect(json(detail.body)["upstreamRequestId"] is String)
        #expect(try await admin(bed, "GET", "/admin/assets/" + String(repeating: "0", count: 64)).status == 404)
    }

    @Test func aPurgeDryRunDeletesNothingAndARealOneDeletesWhatItMatched() async throws {
        let bed = try Self.testbed()
        let retrained = "AZnzlk1XvdvUeBnXmlld"
        for index in 0..<3 {
            _ = try await bed.post(VoiceTestbed.requestBody(text: "Retrained voice \(index).", voice: retrained, book: "b\(index)"))
        }
        _ = try await bed.post(VoiceTestbed.requestBody(text: "Kept voice."))

        let dry = try await admin(bed, "POST", "/admin/purge", body: #"{"voiceId":"\#(retrained)","dryRun":true}"#)
        #expect(dry.status == 200, "\(dry.body)")
        #expect(json(dry.body)["matched"] as? Int == 3)
        #expect((json(dry.body)["sample"] as? [String])?.count == 3)
        #expect(json(dry.body)["assetsRemoved"] as? Int == 0)
        #expect(bed.filesUnder("audio").filter { $0.hasSuffix(".mp3") }.count == 4, "a dry run deletes nothing")

        for bad in ["{}", #"{"dryRun":false}"#, #"{"voiceId":"x"}"#, "not json", #"{"model":"m","createdBefore":"soon","dryRun":true}"#] {
            let answer = try await admin(bed, "POST", "/admin/purge", body: bad)
            #expect(answer.status == 400, "\(bad): \(answer.body)")
        }
        #expect(bed.filesUnder("audio").filter { $0.hasSuffix(".mp3") }.count == 4)

        let real = try await admin(bed, "POST", "/admin/purge", body: #"{"voiceId":"\#(retrained)","dryRun":false}"#)
        #expect(json(real.body)["matched"] as? Int == 3)
        #expect(json(real.body)["assetsRemoved"] as? Int == 3)
        #expect(bed.filesUnder("audio").filter { $0.hasSuffix(".mp3") }.count == 1)
    }

    @Test func statsCountWhatRequestsDid() async throws {
        let bed = try Self.testbed(extra: ["VOICEVAULT_PRICE_PER_1000_CHARACTERS": "0.30"])
        let empty = json(try await admin(bed, "GET", "/admin/stats").body)
        #expect(empty["hits"] as? Int == 0)
        #expect(empty["misses"] as? Int == 0)
        #expect(empty["assets"] as? Int == 0)
        #expect(empty["bytes"] as? Int == 0)

        let text = "Hello, world. This is chapter one."  // 34 characters
        let first = try await bed.post(VoiceTestbed.requestBody(text: text))
        _ = try await bed.post(VoiceTestbed.requestBody(text: text))
        _ = try await bed.post(VoiceTestbed.requestBody(text: text, book: "book-2"))
        let stats = json(try await admin(bed, "GET", "/admin/stats").body)
        #expect(stats["assets"] as? Int == 1)
        #expect(stats["bytes"] as? Int == json(first.body)["bytes"] as? Int, "each hash's bytes once, however many books link it")
        #expect(stats["books"] as? Int == 2)
        #expect(stats["hits"] as? Int == 2)
        #expect(stats["misses"] as? Int == 1)
        #expect(stats["generations"] as? Int == 1)
        #expect(stats["charactersGenerated"] as? Int == 34)
        #expect(stats["charactersSaved"] as? Int == 68)
        #expect(abs((stats["costSaved"] as? Double ?? 0) - 0.0204) < 1e-9)
        #expect(abs((stats["hitRate"] as? Double ?? 0) - 2.0 / 3.0) < 1e-9)
        #expect((stats["topBooks"] as? [[String: Any]])?.first?["id"] as? String == "book-1")
        #expect((stats["upstreamLatencyLastHour"] as? [String: Any])?["generations"] as? Int == 1)
        #expect((stats["budget"] as? [String: Any])?["charactersSpent"] as? Int == 34)
        #expect((stats["inFlight"] as? [Any])?.isEmpty == true)
    }
}

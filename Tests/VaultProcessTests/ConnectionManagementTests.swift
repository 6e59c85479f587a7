import Foundation
import Testing
import VaultTestSupport

/// How a connection is kept or ended, on a real socket, with the fast answers on and off: both transports
/// must agree, whichever of them answers (issue 25's findings).
@Suite struct ConnectionManagementTests {
    /// A server with a stored chapter: its voice request (a plain hit from now on) and its download path.
    struct Bed {
        let testbed: VoiceTestbed
        let hitBody: String
        let audioPath: String
        var port: Int { testbed.server.port }

        init(fastPath: Bool) async throws {
            testbed = try VoiceTestbed(environment: ["VOICEVAULT_FAST_PATH": fastPath ? "true" : "false"])
            hitBody = VoiceTestbed.requestBody(text: "Kept or closed.")
            let made = try await testbed.post(hitBody)
            precondition(made.status == 200, made.body)
            audioPath = try #require(json(made.body)["url"] as? String)
        }
    }

    static func beds() async throws -> [Bed] { [try await Bed(fastPath: true), try await Bed(fastPath: false)] }

    /// Sends `request` on a connection of its own and reads everything until the server closes or `timeout`.
    static func exchange(_ port: Int, _ request: String, timeout: Double = 5) async throws -> String {
        try await Task.detached {
            let connection = try RawConnection(port: port, receiveTimeout: timeout)
            connection.send(request)
            return String(decoding: connection.receiveAll(), as: UTF8.self)
        }.value
    }

    /// `Expect: 100-continue` on a plain hit: the go-ahead comes at once, whoever answers the request.
    @Test func aPlainHitThatExpectsContinueGetsTheGoAhead() async throws {
        for bed in try await Self.beds() {
            let (head, answer) = try await Task.detached { () -> (String?, String) in
                let connection = try RawConnection(port: bed.port, receiveTimeout: 20)
                connection.send(
                    "POST /api/voice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(VoiceTestbed.clientKey)\r\n"
                        + "Content-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\n"
                        + "Content-Length: \(bed.hitBody.utf8.count)\r\n\r\n")
                let interim = connection.receiveHead()
                connection.send(bed.hitBody)
                return (interim, String(decoding: connection.receiveAll(), as: UTF8.self))
            }.value
            #expect(head?.hasPrefix("HTTP/1.1 100 Continue\r\n") == true, "\(head ?? "nothing within 20 s")")
            #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer)")
            #expect(answer.contains("\"cached\":true"))
        }
    }

    /// HTTP/1.0 without keep-alive: the answer says `Connection: close` and the server closes after it.
    @Test func anHTTP10RequestWithoutKeepAliveIsAnsweredAndClosed() async throws {
        for bed in try await Self.beds() {
            for target in ["/healthz", bed.audioPath] {
                let answer = try await Self.exchange(bed.port, "GET \(target) HTTP/1.0\r\n\r\n", timeout: 20)
                #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(target): \(answer.prefix(200))")
                #expect(answer.lowercased().contains("\r\nconnection: close\r\n"), "\(target): \(answer.prefix(400))")
                // And the server closes after the answer, not at the idle timeout.
                let closed = try await Task.detached { () -> Bool in
                    let connection = try RawConnection(port: bed.port, receiveTimeout: 20)
                    connection.send("GET \(target) HTTP/1.0\r\n\r\n")
                    _ = connection.receiveHead()
                    return connection.peerClosed(within: 20)
                }.value
                #expect(closed, "\(target): the connection stayed open")
            }
        }
    }

    /// `Connection: keep-alive, close` means close; a request pipelined behind it is not answered at all (not
    /// with a 400), and the connection ends cleanly after the first answer.
    @Test func closeAmongOtherConnectionOptionsEndsTheConnectionCleanly() async throws {
        for bed in try await Self.beds() {
            for target in ["/healthz", bed.audioPath] {
                let request = "GET \(target) HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n"
                let answer = try await Self.exchange(bed.port, request + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(target): \(answer.prefix(200))")
                #expect(answer.components(separatedBy: "HTTP/1.1 ").count == 2, "\(target): one answer only: \(answer.suffix(300))")
                #expect(!answer.contains("400 Bad Request"), "\(target)")
            }
        }
    }

    /// A download with `Content-Length: 0` twice: NIO's parser refuses the repeated field, and the byte-level
    /// reader must not accept what NIO refuses.
    @Test func aRepeatedContentLengthIsRefusedWhoeverReadsTheHead() async throws {
        for bed in try await Self.beds() {
            // Asked for once first: the byte-level reader takes only files already held.
            #expect(try await httpRequest("GET", bed.testbed.server.baseURL + bed.audioPath).status == 200)
            let request = "GET \(bed.audioPath) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"
            let answer = try await Self.exchange(bed.port, request)
            #expect(answer.hasPrefix("HTTP/1.1 400 "), "\(answer.prefix(200))")
        }
    }
}

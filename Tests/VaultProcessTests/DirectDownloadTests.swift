import Foundation
import Testing
import VaultTestSupport
import VaultCore

/// Issue 13: downloads answered from the request bytes, beneath NIO's HTTP/1 codec (`DirectDownloadHandler`).
/// The answers themselves are held to the router's in `DownloadFastPathTests`; these hold the connection-level
/// promises: order, hand-over to NIO's parser, heads in pieces, a client that does not read, `Connection: close`,
/// and requests the reader declines answered as the router answers them.
@Suite struct DirectDownloadTests {
    /// A server with one asset, held by the download cache; its path and bytes.
    static func heldAsset(_ text: String, environment: [String: String] = [:]) async throws
        -> (bed: VoiceTestbed, path: String, bytes: [UInt8])
    {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_METRICS_PUBLIC": "true"].merging(environment) { $1 })
        let path = try #require(json(try await bed.post(VoiceTestbed.requestBody(text: text)).body)["url"] as? String)
        _ = try await httpRequest("GET", bed.server.baseURL + path)  // read into the cache by the router
        return (bed, path, try FileSystem.readFile(bed.dataDirectory + path))
    }

    @Test func answersFromTheBytesThenFromNIOsParserKeepTheirOrder() async throws {
        let (bed, path, bytes) = try await Self.heldAsset("Answered from the bytes, then by the router.")
        let before = try await MetricScrape.directAnswers(bed.server)
        let requests = [
            "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n",
            "HEAD \(path) HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /audio/book-1/\(String(repeating: "0", count: 64)).mp3 HTTP/1.1\r\nHost: x\r\n\r\n",
            // The first request the reader declines: from here on, NIO's parser has the connection.
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n",
            "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ]
        let answers = try await PipelinedAnswers.send(requests, port: bed.server.port)
        #expect(answers.map(\.status) == [206, 200, 404, 200, 206, 200])
        guard answers.count == 6 else { return }
        #expect(answers[0].body == Array(bytes[0..<10]))
        #expect(answers[1].body.isEmpty)
        #expect(String(decoding: answers[3].body, as: UTF8.self).contains("\"status\":\"ok\""))
        #expect(answers[4].body == Array(bytes[10..<20]))
        #expect(answers[5].body == bytes)
        #expect(try await MetricScrape.directAnswers(bed.server) - before == 3)
    }

    @Test func aHeadSentByteByByteIsAnswered() async throws {
        let (bed, path, bytes) = try await Self.heldAsset("One byte at a time.")
        let before = try await MetricScrape.directAnswers(bed.server)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=5-14\r\nConnection: close\r\n\r\n".utf8)
        let raw = try await Task.detached {
            let connection = try RawConnection(port: bed.server.port)
            for byte in request { connection.send([byte]) }
            return connection.receiveAll()
        }.value
        let answers = PipelinedAnswers.split(raw, heads: [false])
        #expect(answers.map(\.status) == [206])
        #expect(answers.first?.body == Array(bytes[5..<15]))
        #expect(try await MetricScrape.directAnswers(bed.server) - before == 1)
    }

    /// While the reader answers, it asks for each read itself (NIO's `autoRead` is off); once it hands the
    /// connection on, NIO reads again. Each request here is sent only after the answer before it arrived, so a
    /// read not asked for again would leave the next request unanswered.
    @Test func aConnectionKeepsReadingRequestByRequestBeforeAndAfterItIsHandedOn() async throws {
        let (bed, path, bytes) = try await Self.heldAsset("One request at a time, each after its answer.")
        let before = try await MetricScrape.directAnswers(bed.server)
        let steps: [(request: String, status: Int, body: [UInt8]?)] = [
            ("GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\n\r\n", 206, Array(bytes[0..<4])),
            ("GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=4-7\r\n\r\n", 206, Array(bytes[4..<8])),
            ("HEAD \(path) HTTP/1.1\r\nHost: x\r\n\r\n", 200, []),
            ("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200, nil),  // handed on from here
            ("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200, nil),
            ("GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=8-11\r\n\r\n", 206, Array(bytes[8..<12])),
        ]
        let answers = try await Task.detached { () -> [(status: Int?, body: [UInt8])] in
            let connection = try RawConnection(port: bed.server.port, receiveTimeout: 10)
            var answers: [(status: Int?, body: [UInt8])] = []
            for step in steps {
                connection.send(step.request)
                guard let head = connection.receiveHead() else { break }
                let length =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                let body = step.request.hasPrefix("HEAD") || length == 0 ? [] : connection.receive(atLeast: length)
                answers.append((RawConnection.status(Array(head.utf8)), body))
            }
            return answers
        }.value
        #expect(answers.map(\.status) == steps.map(\.status))
        for (answer, step) in zip(answers, steps) where step.body != nil { #expect(answer.body == step.body) }
        #expect(try await MetricScrape.directAnswers(bed.server) - before == 3)
    }

    /// 300 whole-file requests sent at once and read only afterwards: far more than the socket holds, so the
    /// handler stops answering (and reading) while the socket is full, and must resume, in order, as it drains.
    @Test func aClientThatPipelinesWithoutReadingGetsEveryAnswerInOrder() async throws {
        let (bed, path, bytes) = try await Self.heldAsset(
            String(repeating: "A chapter read in full, many times over. ", count: 3),
            environment: ["VOICEVAULT_ACCESS_LOG": "false"])
        let count = 300
        let raw = try await Task.detached {
            let connection = try RawConnection(port: bed.server.port)
            var requests = ""
            for index in 0..<count {
                let range = index % 3 == 0 ? "Range: bytes=\(index)-\(index + 99)\r\n" : ""
                requests += "GET \(path) HTTP/1.1\r\nHost: x\r\n\(range)\(index == count - 1 ? "Connection: close\r\n" : "")\r\n"
            }
            connection.send(requests)
            return connection.receiveAll(limit: 1 << 30)
        }.value
        // Read in place: 30 MB through the general splitter is slow in a debug build.
        var offset = 0
        var answered = 0
        let terminator: [UInt8] = [13, 10, 13, 10]
        reading: while answered < count {
            var headEnd = offset
            while headEnd + 4 <= raw.count, !raw[headEnd..<(headEnd + 4)].elementsEqual(terminator) {
                headEnd += 1
                if headEnd - offset > 2_048 { break reading }
            }
            guard headEnd + 4 <= raw.count else { break }
            let head = String(decoding: raw[offset..<headEnd], as: UTF8.self).lowercased()
            let ranged = answered % 3 == 0
            let expected = ranged ? bytes[answered..<(answered + 100)] : bytes[...]
            let bodyStart = headEnd + 4
            guard head.hasPrefix(ranged ? "http/1.1 206 " : "http/1.1 200 "), head.contains("content-length: \(expected.count)\r"),
                bodyStart + expected.count <= raw.count, raw[bodyStart..<(bodyStart + expected.count)].elementsEqual(expected)
            else {
                Issue.record("answer \(answered) is wrong: \(head)")
                break
            }
            offset = bodyStart + expected.count
            answered += 1
        }
        #expect(answered == count)
        #expect(offset == raw.count)
        #expect(bytes.count * count * 2 / 3 > 8 << 20, "the answers must outgrow the socket's buffers")
        #expect(try await MetricScrape.directAnswers(bed.server) >= count)
    }

    @Test func connectionCloseEndsTheConnectionAfterItsAnswer() async throws {
        let (bed, path, _) = try await Self.heldAsset("Closed after one.")
        let (raw, closed) = try await Task.detached {
            let connection = try RawConnection(port: bed.server.port, receiveTimeout: 10)
            connection.send(
                "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-0\r\nConnection: close\r\n\r\n"
                    + "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=1-1\r\n\r\n")
            let raw = connection.receiveAll()
            return (raw, connection.peerClosed(within: 5))
        }.value
        let text = String(decoding: raw, as: UTF8.self)
        #expect(text.components(separatedBy: "HTTP/1.1 ").count - 1 == 1, "\(text)")
        #expect(text.hasPrefix("HTTP/1.1 206 ") && text.lowercased().contains("connection: close"))
        #expect(closed)
    }

    /// Requests the reader declines, each alone on a connection: the server with the fast path and the one
    /// without answer them alike (through NIO's parser, which refuses some and takes others).
    @Test func requestsTheReaderDeclinesAreAnsweredAsTheRouterAnswersThem() async throws {
        let (bed, path, _) = try await Self.heldAsset("Declined and routed alike.")
        let requests = [
            "GET \(path) HTTP/1.0\r\nHost: x\r\n\r\n",
            "GET \(path) HTTP/1.0\r\n\r\n",
            "GET \(path) HTTP/1.1\r\n\r\n",
            "GET \(path) HTTP/1.1\nHost: x\n\n",
            "GET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n continued\r\n\r\n",
            "GET \(path) HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
            "GET \(path) HTTP/1.1\r\nHost : x\r\n\r\n",
            "GET \(path) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "GET \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab",
            "GET \(path) HTTP/1.1\r\nHost: x\r\nX: caf\u{e9}\r\nRange: bytes=0-3\r\n\r\n",
            "GET http://x\(path) HTTP/1.1\r\nHost: x\r\n\r\n",
            "get \(path) HTTP/1.1\r\nHost: x\r\n\r\n",
            "\r\nGET \(path) HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\n\r\n",
        ]
        func askAll(_ port: Int) async throws -> [RawAnswer] {
            var answers: [RawAnswer] = []
            for request in requests {
                let raw = try await Task.detached {
                    let connection = try RawConnection(port: port, receiveTimeout: 5)
                    connection.send(request)
                    // One answer: its head, then what its Content-Length says.
                    guard let head = connection.receiveHead() else { return [UInt8]() }
                    let length =
                        head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                    return Array(head.utf8) + (length > 0 ? connection.receive(atLeast: length) : [])
                }.value
                answers.append(RawAnswer(raw))
            }
            return answers
        }
        let before = try await MetricScrape.directAnswers(bed.server)
        let fast = try await askAll(bed.server.port)
        #expect(try await MetricScrape.directAnswers(bed.server) == before)
        #expect(bed.server.terminate() == 0)
        let router = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", bed.dataDirectory],
            environment: ["VOICEVAULT_FAST_PATH": "off"])
        let routed = try await askAll(router.port)
        for (index, request) in requests.enumerated() {
            #expect(fast[index] == routed[index], "\(request.debugDescription)")
        }
        // Not all refusals: the plain HTTP/1.0 download is a real answer.
        #expect(fast[0].statusLine == "HTTP/1.1 200 OK")
    }
}

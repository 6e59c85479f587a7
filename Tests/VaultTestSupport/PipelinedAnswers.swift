import Foundation

/// Requests sent at once on one connection, and the answers read back from it.
public enum PipelinedAnswers {
    /// Sends `requests` at once (the last one closing the connection) and splits what comes back.
    public static func send(_ requests: [String], port: Int) async throws -> [(status: Int, body: [UInt8])] {
        let raw = try await Task.detached {
            let connection = try RawConnection(port: port)
            connection.send(requests.joined())
            return connection.receiveAll(limit: 8 << 20)
        }.value
        return split(raw, heads: requests.map { $0.hasPrefix("HEAD") })
    }

    /// Splits answers read from one connection by their `Content-Length`; a HEAD's answer has no body.
    public static func split(_ raw: [UInt8], heads: [Bool]) -> [(status: Int, body: [UInt8])] {
        var answers: [(Int, [UInt8])] = []
        var rest = raw[...]
        for isHead in heads {
            guard let end = rest.indices.first(where: { rest[$0...].starts(with: [13, 10, 13, 10]) }) else { break }
            let head = String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
            let status = Int(head.dropFirst(9).prefix(3)) ?? 0
            let length =
                head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
            let bodyStart = end + 4
            let bodyEnd = isHead ? bodyStart : min(rest.endIndex, bodyStart + length)
            answers.append((status, Array(rest[bodyStart..<bodyEnd])))
            rest = rest[bodyEnd...]
        }
        return answers
    }
}

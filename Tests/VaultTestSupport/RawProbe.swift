import Foundation

/// One request sent raw on its own connection, for the differential tests that ask the same requests of a
/// server with the fast answers and of one without, and whether the fast answers may take it.
public struct RawProbe: CustomStringConvertible, Sendable {
    public let method: String
    public let target: String
    public var headers: [(String, String)]
    public var body: String
    public var fast: Bool
    public var description: String { "\(method) \(target) \(headers) \(body.prefix(80))" }

    public init(method: String, target: String, headers: [(String, String)] = [], body: String = "", fast: Bool = true) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.fast = fast
    }

    public func ask(port: Int) async throws -> RawAnswer {
        RawAnswer(try await rawRequest(port: port, method, target, headers: headers, body: body).response)
    }
}

/// A response as the differential tests compare it: status line, headers sorted without `Date`, the body with
/// any multipart boundary replaced (each answer draws its own).
public struct RawAnswer: Equatable, CustomStringConvertible, Sendable {
    public let statusLine: String
    public let headers: [String]
    public let body: [UInt8]
    public var description: String { "\(statusLine) \(headers) \(body.count) bytes" }

    public init(_ raw: [UInt8]) {
        let separator: [UInt8] = [13, 10, 13, 10]
        let end = raw.indices.first { raw[$0...].starts(with: separator) } ?? raw.endIndex
        let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        statusLine = lines.first ?? ""
        var fields = lines.dropFirst().filter { !$0.lowercased().hasPrefix("date:") }
        var body = Array(raw[min(raw.endIndex, end + 4)...])
        if let type = fields.first(where: { $0.lowercased().hasPrefix("content-type: multipart/byteranges; boundary=") }) {
            let boundary = String(type.drop { $0 != "=" }.dropFirst())
            fields = fields.map { $0.replacingOccurrences(of: boundary, with: "BOUNDARY") }
            body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: boundary, with: "BOUNDARY").utf8)
        }
        headers = fields.sorted()
        self.body = body
    }
}

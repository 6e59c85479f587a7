import Foundation
public import Hummingbird

/// Every JSON answer the server writes goes through here, so they all carry the same `Content-Type` and
/// `Cache-Control: no-store` (answers about a store that changes must not be cached by a proxy).
public enum JSONResponse {
    public static let contentType = "application/json; charset=utf-8"

    /// Bytes already encoded as JSON.
    public static func make(_ status: HTTPResponse.Status = .ok, body: ByteBuffer, headers extra: HTTPFields = [:]) -> Response {
        Response(status: status, headers: headers(extra), body: .init(byteBuffer: body))
    }

    /// The headers every JSON answer carries, after the answer's own.
    public static func headers(_ extra: HTTPFields) -> HTTPFields {
        var headers = extra
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return headers
    }

    /// An `Encodable` value, with sorted keys so answers are stable byte for byte.
    public static func make(_ status: HTTPResponse.Status = .ok, encoding value: some Encodable, headers extra: HTTPFields = [:])
        -> Response
    {
        make(status, body: encoded(value), headers: extra)
    }

    public static func encoded(_ value: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"internal_error","message":"unencodable answer"}"#.utf8)
        return ByteBuffer(bytes: data)
    }

    /// A `JSONSerialization` object (dictionaries and arrays of the Supabase shapes, which mix `NSNull` in).
    public static func make(_ status: HTTPResponse.Status = .ok, object: Any, headers extra: HTTPFields = [:]) -> Response {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return make(status, body: ByteBuffer(bytes: data), headers: extra)
    }
}

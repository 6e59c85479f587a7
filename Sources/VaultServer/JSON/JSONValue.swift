/// A parsed JSON value that keeps what `Codable` structs lose: whether a key was present, `null` as its own
/// value, and which keys a client sent that we do not know (so they can be refused instead of dropped).
/// Booleans and numbers stay apart: `true` is never the number 1.
import Foundation

enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Nil for `null`, so that `null` and an absent key read alike (the SDKs send `null` for unset arguments).
    var present: JSONValue? { self == .null ? nil : self }

    /// The fields of a request body that must be a JSON object, with `null` ones left out (`null` is absent).
    static func fields(ofBody body: [UInt8]) throws(APIError) -> [String: JSONValue] {
        let notAnObject = APIError(.badRequest, code: "invalid_json", message: "the body must be a JSON object")
        guard case let .object(object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else { throw notAnObject }
        return object.compactMapValues(\.present)
    }
}

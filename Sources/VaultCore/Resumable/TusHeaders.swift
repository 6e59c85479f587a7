/// The TUS 1.0.0 request headers a resumable upload reads, checked as bytes: pure, so every rule is a unit
/// test. Each refusal carries the HTTP status TUS prescribes and a stable code.
public enum TusHeaders {
    public static let version = "1.0.0"
    public static let extensions = "creation,creation-with-upload,creation-defer-length,termination,expiration"
    public static let offsetStreamType = "application/offset+octet-stream"

    public struct Failure: Error, Equatable, Sendable {
        public let status: Int
        public let code: String
        public let message: String

        public init(status: Int, code: String, message: String) {
            self.status = status
            self.code = code
            self.message = message
        }
    }

    /// `Tus-Resumable` must name the one version spoken here (412 otherwise, as TUS says).
    public static func checkVersion(_ value: String?) throws(Failure) {
        guard let value else { throw Failure(status: 412, code: "InvalidRequest", message: "Tus-Resumable: 1.0.0 is required") }
        guard FieldBytes.trimmed(value.utf8).elementsEqual(version.utf8) else {
            throw Failure(status: 412, code: "InvalidRequest", message: "this server speaks TUS 1.0.0 only, not \(value.prefix(20))")
        }
    }

    /// A non-negative decimal of at most 18 digits (no sign, no spaces inside), or nil.
    public static func integer(_ value: String) -> Int? {
        let bytes = FieldBytes.trimmed(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 18, bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return bytes.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// The length a creation states: a number within `limit`, or nil for `Upload-Defer-Length: 1`. Exactly
    /// one of the two must be present.
    public static func creationLength(uploadLength: String?, deferLength: String?, limit: Int) throws(Failure) -> Int? {
        switch (uploadLength, deferLength) {
        case let (length?, nil):
            guard let bytes = integer(length) else {
                throw Failure(status: 400, code: "InvalidRequest", message: "Upload-Length must be a non-negative integer")
            }
            try checkWithin(bytes, limit: limit)
            return bytes
        case let (nil, deferred?):
            guard FieldBytes.trimmed(deferred.utf8).elementsEqual("1".utf8) else {
                throw Failure(status: 400, code: "InvalidRequest", message: "Upload-Defer-Length must be 1")
            }
            return nil
        case (nil, nil):
            throw Failure(status: 400, code: "InvalidRequest", message: "a creation needs Upload-Length or Upload-Defer-Length: 1")
        case (_?, _?):
            throw Failure(status: 400, code: "InvalidRequest", message: "Upload-Length and Upload-Defer-Length exclude each other")
        }
    }

    public static func checkWithin(_ bytes: Int, limit: Int) throws(Failure) {
        guard bytes <= limit else {
            throw Failure(status: 413, code: "EntityTooLarge", message: "The object exceeded the maximum allowed size of \(limit) bytes")
        }
    }

    /// `Upload-Offset` of a PATCH, which must equal the server's offset (409 otherwise: the client must ask
    /// with HEAD where to resume).
    public static func patchOffset(_ value: String?, expected: Int) throws(Failure) -> Int {
        guard let value, let offset = integer(value) else {
            throw Failure(status: 400, code: "InvalidRequest", message: "a PATCH needs Upload-Offset as a non-negative integer")
        }
        guard offset == expected else {
            throw Failure(
                status: 409, code: "InvalidRequest",
                message: "Upload-Offset \(offset) is not the upload's offset \(expected); ask with HEAD")
        }
        return offset
    }

    /// A PATCH body must be `application/offset+octet-stream` (415 otherwise).
    public static func checkPatchType(_ contentType: String?) throws(Failure) {
        guard let contentType, isOffsetStream(contentType) else {
            throw Failure(status: 415, code: "InvalidRequest", message: "a PATCH body must be Content-Type: \(offsetStreamType)")
        }
    }

    public static func isOffsetStream(_ contentType: String) -> Bool {
        let essence = FieldBytes.split(contentType.utf8, on: UInt8(ascii: ";")).first.map { FieldBytes.trimmed($0) }
        return essence.map { FieldBytes.equalsIgnoringCase($0, offsetStreamType) } ?? false
    }

    /// A deferred length stated in a later PATCH: at least what was already sent, within the limit.
    public static func deferredLength(_ value: String?, offset: Int, limit: Int) throws(Failure) -> Int? {
        guard let value else { return nil }
        guard let bytes = integer(value), bytes >= offset else {
            throw Failure(
                status: 400, code: "InvalidRequest", message: "Upload-Length must be an integer no smaller than the offset \(offset)")
        }
        try checkWithin(bytes, limit: limit)
        return bytes
    }
}

/// An S3 error as S3 clients read it: an HTTP status and a code from S3's own list (`NoSuchKey`,
/// `SignatureDoesNotMatch`...), rendered as XML by the server (`S3ErrorResponse`). boto3, rclone and the SDKs
/// branch on the code, so each is S3's spelling for the same condition.
public struct S3Error: Error, Equatable, Sendable {
    public let status: Int
    public let code: String
    public let message: String

    public init(_ status: Int, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func accessDenied(_ message: String) -> S3Error { .init(403, "AccessDenied", message) }
    public static func signatureMismatch() -> S3Error {
        .init(
            403, "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
    }
    public static func invalidArgument(_ message: String) -> S3Error { .init(400, "InvalidArgument", message) }
    public static func invalidRequest(_ message: String) -> S3Error { .init(400, "InvalidRequest", message) }
    public static func malformedXML(_ message: String) -> S3Error { .init(400, "MalformedXML", message) }
    /// The body is not the one the signature's payload hash (declared, or the empty body's) covers.
    public static let contentSHA256Mismatch = S3Error(
        400, "XAmzContentSHA256Mismatch",
        "The request body does not match the payload hash the signature covers.")
    public static let noSuchKey = S3Error(404, "NoSuchKey", "The specified key does not exist.")
    public static let noSuchBucket = S3Error(404, "NoSuchBucket", "The specified bucket does not exist")
    public static let noSuchUpload = S3Error(404, "NoSuchUpload", "The specified multipart upload does not exist.")
}

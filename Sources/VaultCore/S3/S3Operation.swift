/// Which S3 call a request is, from its method, its path below `/storage/v1/s3` (path-style addressing only,
/// still percent-encoded) and its query. Pure, so the whole table is a unit test.
public enum S3Operation: Equatable, Sendable {
    case listBuckets
    case createBucket(String)
    case deleteBucket(String)
    case headBucket(String)
    case getBucketLocation(String)
    case listObjects(String, version2: Bool)
    case listMultipartUploads(String)
    case deleteObjects(String)
    case getObject(bucket: String, key: String, head: Bool)
    case putObject(bucket: String, key: String)
    case copyObject(bucket: String, key: String)
    case deleteObject(bucket: String, key: String)
    case createMultipartUpload(bucket: String, key: String)
    case uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int)
    case completeMultipartUpload(bucket: String, key: String, uploadId: String)
    case abortMultipartUpload(bucket: String, key: String, uploadId: String)
    case listParts(bucket: String, key: String, uploadId: String)

    /// `path` is below `/storage/v1/s3`; `query` is decoded; `copySource` says whether `x-amz-copy-source` is present.
    public static func parse(method: String, path: Substring, query: [(name: String, value: String)], copySource: Bool) throws(S3Error)
        -> S3Operation
    {
        func has(_ name: String) -> Bool { query.contains { $0.name == name } }
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        var rest = path
        while rest.first == "/" { rest = rest.dropFirst() }
        guard !rest.isEmpty else {
            guard method == "GET" else { throw methodNotAllowed(method, "the service") }
            return .listBuckets
        }
        let slash = rest.firstIndex(of: "/")
        guard let bucket = SigV4.percentDecode(rest[..<(slash ?? rest.endIndex)]) else {
            throw .invalidArgument("the bucket name is not valid percent-encoding")
        }
        if let problem = StorageName.bucketProblem(bucket) {
            throw S3Error(400, "InvalidBucketName", "The specified bucket is not valid: \(problem)")
        }
        let rawKey = slash.map { rest[rest.index(after: $0)...] } ?? ""
        if rawKey.isEmpty {
            switch method {
            case "GET":
                if has("location") { return .getBucketLocation(bucket) }
                if has("uploads") { return .listMultipartUploads(bucket) }
                return .listObjects(bucket, version2: value("list-type") == "2")
            case "HEAD": return .headBucket(bucket)
            case "PUT": return .createBucket(bucket)
            case "DELETE": return .deleteBucket(bucket)
            case "POST" where has("delete"): return .deleteObjects(bucket)
            default: throw methodNotAllowed(method, "a bucket")
            }
        }
        guard let key = SigV4.percentDecode(rawKey) else { throw .invalidArgument("the key is not valid percent-encoding") }
        if let problem = StorageName.keyProblem(key) { throw .invalidArgument("Invalid key: \(key) (\(problem))") }
        let uploadId = value("uploadId")
        switch method {
        case "GET" where uploadId != nil: return .listParts(bucket: bucket, key: key, uploadId: uploadId ?? "")
        case "GET": return .getObject(bucket: bucket, key: key, head: false)
        case "HEAD": return .getObject(bucket: bucket, key: key, head: true)
        case "PUT" where uploadId != nil:
            guard !copySource else { throw S3Error(501, "NotImplemented", "UploadPartCopy is not supported; upload the part's bytes") }
            guard let text = value("partNumber"), let number = Int(text), (1...MultipartUploadStore.maximumParts).contains(number) else {
                throw .invalidArgument("Part number must be an integer between 1 and \(MultipartUploadStore.maximumParts), inclusive")
            }
            return .uploadPart(bucket: bucket, key: key, uploadId: uploadId ?? "", partNumber: number)
        case "PUT": return copySource ? .copyObject(bucket: bucket, key: key) : .putObject(bucket: bucket, key: key)
        case "DELETE" where uploadId != nil: return .abortMultipartUpload(bucket: bucket, key: key, uploadId: uploadId ?? "")
        case "DELETE": return .deleteObject(bucket: bucket, key: key)
        case "POST" where has("uploads"): return .createMultipartUpload(bucket: bucket, key: key)
        case "POST" where uploadId != nil: return .completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId ?? "")
        default: throw methodNotAllowed(method, "an object")
        }
    }

    static func methodNotAllowed(_ method: String, _ what: String) -> S3Error {
        S3Error(405, "MethodNotAllowed", "The specified method (\(method.prefix(16))) is not allowed against \(what).")
    }

    /// The bucket the call is about, if any.
    public var bucket: String? {
        switch self {
        case .listBuckets: nil
        case let .createBucket(b), let .deleteBucket(b), let .headBucket(b), let .getBucketLocation(b), let .listObjects(b, _),
            let .listMultipartUploads(b), let .deleteObjects(b):
            b
        case let .getObject(b, _, _), let .putObject(b, _), let .copyObject(b, _), let .deleteObject(b, _),
            let .createMultipartUpload(b, _),
            let .uploadPart(b, _, _, _), let .completeMultipartUpload(b, _, _), let .abortMultipartUpload(b, _, _), let .listParts(b, _, _):
            b
        }
    }

    /// Whether the call writes (the generated audio bucket takes none through S3).
    public var writes: Bool {
        switch self {
        case .listBuckets, .headBucket, .getBucketLocation, .listObjects, .listMultipartUploads, .getObject, .listParts: false
        default: true
        }
    }
}

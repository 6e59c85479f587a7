/// Which Supabase Storage call a request is, from its method and raw (still percent-encoded) path under
/// `/storage/v1/`. Pure, so the whole routing table is tested without a server; the server only carries out
/// the route. Segments are decoded exactly once, here.
public enum StorageRoute: Equatable, Sendable {
    case listBuckets
    case createBucket
    case getBucket(String)
    case updateBucket(String)
    case deleteBucket(String)
    case emptyBucket(String)
    case upload(bucket: String, key: String)
    case update(bucket: String, key: String)
    case download(bucket: String, key: String, head: Bool)
    case publicDownload(bucket: String, key: String, head: Bool)
    case signedDownload(bucket: String, key: String, head: Bool)
    case info(bucket: String, key: String)
    case list(bucket: String)
    case remove(bucket: String)
    case removeOne(bucket: String, key: String)
    case move
    case copy
    case sign(bucket: String, key: String)
    case signMany(bucket: String)
    /// `POST object/upload/sign/{bucket}/{key}`: a token that lets one upload to this key without a key.
    case signUpload(bucket: String, key: String)
    /// `PUT object/upload/sign/{bucket}/{key}?token=`: the upload the token allows.
    case signedUpload(bucket: String, key: String)
    /// `POST object/list-v2/{bucket}`: cursor-paged listing, flat or by folder.
    case listV2(bucket: String)
    /// `DELETE cdn/{bucket}/{key}`: purge a CDN's copy (there is none; answered as done).
    case purgeCache(bucket: String, key: String)

    public enum Method: Sendable { case get, head, post, put, delete }

    public struct Failure: Error, Equatable, Sendable {
        public enum Kind: Sendable, Equatable { case notFound, badEncoding, invalidKey, invalidBucket }
        public let kind: Kind
        public let message: String
    }

    /// `path` is the request path after `/storage/v1` (with or without a leading `/`), query excluded.
    public static func parse(method: Method, path: Substring) throws(Failure) -> StorageRoute {
        var raw = path
        while raw.first == "/" { raw = raw.dropFirst() }
        var segments: [String] = []
        // Split as bytes: a path is what the client sent (see `FieldBytes`).
        for pieceBytes in FieldBytes.split(raw.utf8, on: UInt8(ascii: "/")) {
            let piece = Substring(pieceBytes)
            guard let decoded = StorageName.percentDecoded(piece) else {
                throw Failure(kind: .badEncoding, message: "malformed percent-encoding in '\(piece)'")
            }
            segments.append(decoded)
        }
        if segments.last == "", segments.count > 1 { segments.removeLast() }  // a trailing slash
        let route = try match(method, segments)
        try validate(route)
        return route
    }

    private static func match(_ method: Method, _ s: [String]) throws(Failure) -> StorageRoute {
        func bucketAndKey(_ rest: ArraySlice<String>) throws(Failure) -> (String, String) {
            guard let bucket = rest.first, rest.count >= 2 else { throw notFound(method, s) }
            return (bucket, rest.dropFirst().joined(separator: "/"))
        }
        switch (method, s.first) {
        case (.get, "bucket") where s.count == 1: return .listBuckets
        case (.post, "bucket") where s.count == 1: return .createBucket
        case (.get, "bucket") where s.count == 2: return .getBucket(s[1])
        case (.put, "bucket") where s.count == 2: return .updateBucket(s[1])
        case (.delete, "bucket") where s.count == 2: return .deleteBucket(s[1])
        case (.post, "bucket") where s.count == 3 && s[2] == "empty": return .emptyBucket(s[1])
        case (.delete, "cdn"):
            let (bucket, key) = try bucketAndKey(s.dropFirst())
            return .purgeCache(bucket: bucket, key: key)
        case (_, "object"):
            let rest = s.dropFirst()
            // Static segments first, whatever the method: a bucket named like one (refused at creation, see
            // `StorageName.reservedBucketNames`) never captures these calls.
            switch (method, rest.first) {
            case (.post, "upload") where rest.dropFirst().first == "sign":
                let (bucket, key) = try bucketAndKey(rest.dropFirst(2))
                return .signUpload(bucket: bucket, key: key)
            case (.put, "upload") where rest.dropFirst().first == "sign":
                let (bucket, key) = try bucketAndKey(rest.dropFirst(2))
                return .signedUpload(bucket: bucket, key: key)
            case (.post, "list-v2") where rest.count == 2: return .listV2(bucket: rest[rest.startIndex + 1])
            case (.post, "move") where rest.count == 1: return .move
            case (.post, "copy") where rest.count == 1: return .copy
            case (.post, "list") where rest.count == 2: return .list(bucket: rest[rest.startIndex + 1])
            case (.post, "sign") where rest.count == 2: return .signMany(bucket: rest[rest.startIndex + 1])
            case (.post, "sign"):
                let (bucket, key) = try bucketAndKey(rest.dropFirst())
                return .sign(bucket: bucket, key: key)
            case (.get, "sign"), (.head, "sign"):
                let (bucket, key) = try bucketAndKey(rest.dropFirst())
                return .signedDownload(bucket: bucket, key: key, head: method == .head)
            case (.get, "public"), (.head, "public"):
                let (bucket, key) = try bucketAndKey(rest.dropFirst())
                return .publicDownload(bucket: bucket, key: key, head: method == .head)
            case (.get, "authenticated"), (.head, "authenticated"):
                let (bucket, key) = try bucketAndKey(rest.dropFirst())
                return .download(bucket: bucket, key: key, head: method == .head)
            case (.get, "info"):
                let (bucket, key) = try bucketAndKey(rest.dropFirst())
                return .info(bucket: bucket, key: key)
            case (.delete, _) where rest.count == 1: return .remove(bucket: rest[rest.startIndex])
            case (.delete, _):
                let (bucket, key) = try bucketAndKey(rest)
                return .removeOne(bucket: bucket, key: key)
            case (.post, _):
                let (bucket, key) = try bucketAndKey(rest)
                return .upload(bucket: bucket, key: key)
            case (.put, _):
                let (bucket, key) = try bucketAndKey(rest)
                return .update(bucket: bucket, key: key)
            case (.get, _), (.head, _):
                let (bucket, key) = try bucketAndKey(rest)
                return .download(bucket: bucket, key: key, head: method == .head)
            }
        default:
            throw notFound(method, s)
        }
    }

    private static func notFound(_ method: Method, _ segments: [String]) -> Failure {
        Failure(kind: .notFound, message: "no storage route for \(method) /\(segments.joined(separator: "/"))")
    }

    private static func validate(_ route: StorageRoute) throws(Failure) {
        if let bucket = route.bucket, let problem = StorageName.bucketProblem(bucket) {
            throw Failure(kind: .invalidBucket, message: "Invalid bucket name: \(bucket) \(problem)")
        }
        if let key = route.key, let problem = StorageName.keyProblem(key) {
            throw Failure(kind: .invalidKey, message: "Invalid key: \(key) (\(problem))")
        }
    }

    public var bucket: String? {
        switch self {
        case .listBuckets, .createBucket, .move, .copy: nil
        case let .getBucket(b), let .updateBucket(b), let .deleteBucket(b), let .emptyBucket(b), let .list(b),
            let .remove(b), let .signMany(b), let .listV2(b):
            b
        case let .upload(b, _), let .update(b, _), let .download(b, _, _), let .publicDownload(b, _, _),
            let .signedDownload(b, _, _), let .info(b, _), let .removeOne(b, _), let .sign(b, _),
            let .signUpload(b, _), let .signedUpload(b, _), let .purgeCache(b, _):
            b
        }
    }

    public var key: String? {
        switch self {
        case let .upload(_, k), let .update(_, k), let .download(_, k, _), let .publicDownload(_, k, _),
            let .signedDownload(_, k, _), let .info(_, k), let .removeOne(_, k), let .sign(_, k),
            let .signUpload(_, k), let .signedUpload(_, k), let .purgeCache(_, k):
            k
        default: nil
        }
    }

    /// Routes anyone may call without a key; they check access themselves (public bucket, signed token).
    public var isOpen: Bool {
        switch self {
        case .publicDownload, .signedDownload, .signedUpload: true
        default: false
        }
    }
}

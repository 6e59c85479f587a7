public import Foundation

/// Where a cluster's blobs live, from `VOICEVAULT_BLOB_URL`:
/// `s3://bucket/prefix?endpoint=http://host:port&region=us-east-1`. Path-style addressing (the bucket in the
/// path, as SeaweedFS, MinIO and Garage expect, and AWS still accepts).
public struct S3Location: Sendable, Equatable {
    public var endpoint: URL
    public var bucket: String
    /// Keys start with it (no leading or trailing slash; empty for none).
    public var prefix: String
    public var region: String

    public enum Invalid: Error, Equatable, CustomStringConvertible {
        case notAnS3URL
        case missingBucket
        case missingEndpoint
        case badEndpoint(String)

        public var description: String {
            switch self {
            case .notAnS3URL: "VOICEVAULT_BLOB_URL must start with s3://"
            case .missingBucket: "VOICEVAULT_BLOB_URL names no bucket (s3://bucket/prefix?endpoint=...)"
            case .missingEndpoint: "VOICEVAULT_BLOB_URL needs ?endpoint=http://host:port"
            case let .badEndpoint(text): "VOICEVAULT_BLOB_URL's endpoint \(text) is not an http or https URL with a host"
            }
        }
    }

    public init(endpoint: URL, bucket: String, prefix: String = "", region: String = "us-east-1") {
        self.endpoint = endpoint
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
    }

    public init(parsing text: String) throws(Invalid) {
        guard let components = URLComponents(string: text), components.scheme == "s3" else { throw .notAnS3URL }
        guard let bucket = components.host, !bucket.isEmpty else { throw .missingBucket }
        let items = components.queryItems ?? []
        guard let endpointText = items.first(where: { $0.name == "endpoint" })?.value else { throw .missingEndpoint }
        guard let endpoint = URL(string: endpointText), ["http", "https"].contains(endpoint.scheme ?? ""), endpoint.host != nil else {
            throw .badEndpoint(endpointText)
        }
        let prefix = components.path.split(separator: "/").joined(separator: "/")
        self.init(
            endpoint: endpoint, bucket: bucket, prefix: prefix,
            region: items.first(where: { $0.name == "region" })?.value ?? "us-east-1")
    }

    /// The key of the blob with this hex digest.
    public func key(_ hex: String) -> String { (prefix.isEmpty ? "" : prefix + "/") + "blobs/" + hex }

    /// The prefix every blob's key starts with.
    public var blobPrefix: String { (prefix.isEmpty ? "" : prefix + "/") + "blobs/" }
}

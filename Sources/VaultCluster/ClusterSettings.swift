public import Foundation

/// What makes `serve` a cluster node, read from its environment (Docs/OPERATIONS.md, "Running several
/// nodes"). Nil from `init(environment:)`: none of it is set, and the node is one machine on its embedded
/// store (the default, unchanged).
///
/// The combinations: PostgreSQL with an S3 store, or PostgreSQL with a directory every node mounts. Blobs
/// without the catalog are refused: each node would keep its own index over one shared store.
public struct ClusterSettings: Sendable, Equatable {
    public enum Blobs: Sendable, Equatable {
        case s3(S3Location, accessKeyID: String, secretAccessKey: String)
        case directory(String)
    }

    public var catalog: CatalogURL
    public var blobs: Blobs
    /// How the other nodes reach this one (`VOICEVAULT_NODE_URL`), recorded with the generations it leads.
    public var nodeURL: String?

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public static let catalogVariable = "VOICEVAULT_CATALOG_URL"
    public static let blobVariable = "VOICEVAULT_BLOB_URL"
    public static let accessKeyVariable = "VOICEVAULT_BLOB_ACCESS_KEY_ID"
    public static let secretKeyVariable = "VOICEVAULT_BLOB_SECRET_ACCESS_KEY"
    public static let nodeVariable = "VOICEVAULT_NODE_URL"
    public static let connectionsVariable = "VOICEVAULT_CATALOG_CONNECTIONS"
    /// Bounds of `VOICEVAULT_CATALOG_CONNECTIONS`: one of each use at least; more than PostgreSQL's own default
    /// `max_connections` for one node is a mistake, not a setting.
    public static let connectionsRange = 1...100

    public init?(environment: [String: String]) throws(Invalid) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let catalogText = value(Self.catalogVariable)
        let blobText = value(Self.blobVariable)
        guard catalogText != nil || blobText != nil else { return nil }
        guard let catalogText else {
            throw Invalid(
                "\(Self.blobVariable) is set but \(Self.catalogVariable) is not: blobs in a shared store need the shared catalog "
                    + "(postgres://user:password@host:port/database); unset \(Self.blobVariable) to run on the embedded store")
        }
        do { catalog = try CatalogURL(parsing: catalogText) } catch { throw Invalid(error.description) }
        if let text = value(Self.connectionsVariable) {
            guard let count = Int(text), Self.connectionsRange.contains(count) else {
                throw Invalid(
                    "\(Self.connectionsVariable) \(text) is not a whole number from \(Self.connectionsRange.lowerBound) "
                        + "to \(Self.connectionsRange.upperBound)")
            }
            catalog.connections = count
        }
        guard let blobText else {
            throw Invalid(
                "\(Self.catalogVariable) is set but \(Self.blobVariable) is not: say where the cluster's audio lives "
                    + "(s3://bucket/prefix?endpoint=http://host:port, or file:///a/directory/every/node/mounts)")
        }
        if blobText.hasPrefix("file://") {
            let path = String(blobText.dropFirst("file://".count))
            guard path.hasPrefix("/"), path.count > 1 else {
                throw Invalid("\(Self.blobVariable) \(blobText) must name an absolute directory (file:///srv/voicevault-blobs)")
            }
            blobs = .directory(path.hasSuffix("/") ? String(path.dropLast()) : path)
        } else {
            let location: S3Location
            do { location = try S3Location(parsing: blobText) } catch { throw Invalid(error.description) }
            guard let key = value(Self.accessKeyVariable), let secret = value(Self.secretKeyVariable) else {
                throw Invalid("an S3 \(Self.blobVariable) needs \(Self.accessKeyVariable) and \(Self.secretKeyVariable)")
            }
            blobs = .s3(location, accessKeyID: key, secretAccessKey: secret)
        }
        if let node = value(Self.nodeVariable) {
            guard let url = URL(string: node), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw Invalid("\(Self.nodeVariable) \(node) is not an http or https URL with a host")
            }
            nodeURL = node
        } else {
            nodeURL = nil
        }
    }
}

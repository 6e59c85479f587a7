#if canImport(Glibc)
import Glibc
#endif
public import Foundation

/// nginx (Debian's, which `Scripts/test.sh` installs) as the load balancer in front of cluster nodes: round robin
/// over `ports`, on a free loopback port, in the foreground under this process, stopped when the value is
/// released or the test process ends (a watcher, as for the other engines).
public final class NginxBalancer: Sendable {
    public let port: Int
    let process: Process
    let directory: TemporaryDirectory

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    public static func start(inFrontOf ports: [Int]) async throws -> NginxBalancer {
        guard let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw Unavailable(description: "nginx is missing: Scripts/test.sh installs Debian's nginx")
        }
        return try await onOwnThread {
            var lastLog = ""
            for _ in 0..<3 {
                let port = Int.random(in: 30_000..<40_000)
                let directory = TemporaryDirectory("vv-nginx")
                let servers = ports.map { "server 127.0.0.1:\($0);" }.joined(separator: " ")
                let config = """
                    daemon off;
                    master_process off;
                    worker_processes 1;
                    pid \(directory.sub("nginx.pid"));
                    error_log \(directory.sub("error.log")) warn;
                    events { worker_connections 1024; }
                    http {
                      access_log off;
                      client_body_temp_path \(directory.path);
                      proxy_temp_path \(directory.path);
                      upstream nodes { \(servers) keepalive 16; }
                      server {
                        listen 127.0.0.1:\(port);
                        client_max_body_size 64m;
                        location / {
                          proxy_pass http://nodes;
                          proxy_http_version 1.1;
                          proxy_set_header Connection "";
                          proxy_set_header Host $http_host;
                          proxy_read_timeout 120s;
                        }
                      }
                    }
                    """
                try config.write(toFile: directory.sub("nginx.conf"), atomically: true, encoding: .utf8)
                let process = try LoopbackEngine.startWatched(
                    "\(nginx) -c \(directory.sub("nginx.conf")) -p \(directory.path)", log: directory.sub("nginx.log"),
                    directory: directory)
                let deadline = Date().addingTimeInterval(10)
                while Date() < deadline, process.isRunning {
                    if (try? RawConnection(port: port)) != nil {
                        return NginxBalancer(port: port, process: process, directory: directory)
                    }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                lastLog =
                    ((try? String(contentsOfFile: directory.sub("error.log"), encoding: .utf8)) ?? "")
                    + ((try? String(contentsOfFile: directory.sub("nginx.log"), encoding: .utf8)) ?? "")
                process.terminate()
            }
            throw Unavailable(description: "nginx did not start:\n\(lastLog.suffix(2_000))")
        }
    }

    private init(port: Int, process: Process, directory: TemporaryDirectory) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// nginx quits on SIGTERM; its watcher then removes its directory.
    public func stop() {
        if let text = try? String(contentsOfFile: directory.sub("nginx.pid"), encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGTERM)
        }
    }

    deinit { stop() }
}

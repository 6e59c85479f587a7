import AsyncHTTPClient
import Foundation
import Testing
import VaultTestSupport
import VaultServer

/// The names outside tools rely on (shared/design.md): CLI flags, environment fallbacks, `/healthz`, the
/// JSON error shape, the single-process lock, graceful shutdown.
@Suite struct ServeCommandTests {
    @Test func flagsStartTheServerAndHealthzAnswers() async throws {
        let dir = TemporaryDirectory()
        let server = try ServerProcess(arguments: [
            "serve", "--host", "127.0.0.1", "--port", "0",
            "--data-dir", dir.path + "/data",
        ])
        let health = try await httpRequest("GET", server.baseURL + "/healthz")
        #expect(health.status == 200)
        #expect(health.body == #"{"status":"ok","assets":0}"#)
        #expect(health.header("content-type") == JSONResponse.contentType)
        // The data directory was laid out where the flag said.
        for sub in ["audio", "tmp", "index", "quarantine"] {
            #expect(FileManager.default.fileExists(atPath: dir.path + "/data/" + sub))
        }
        #expect(server.terminate() == 0)
        #expect(server.log.contains("stopped"))
    }

    @Test func environmentVariablesAreTheFallback() async throws {
        let dir = TemporaryDirectory()
        let server = try ServerProcess(
            arguments: ["serve"],
            environment: [
                "VOICEVAULT_HOST": "127.0.0.1", "VOICEVAULT_PORT": "0", "VOICEVAULT_DATA_DIR": dir.path + "/env-data",
            ])
        #expect(try await httpRequest("GET", server.baseURL + "/healthz").status == 200)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/env-data/index/data.mdb"))
        #expect(server.terminate() == 0)
    }

    @Test func flagsWinOverEnvironment() async throws {
        let dir = TemporaryDirectory()
        let server = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", dir.path + "/flag-data"],
            environment: ["VOICEVAULT_PORT": "1", "VOICEVAULT_DATA_DIR": dir.path + "/env-data"])
        #expect(try await httpRequest("GET", server.baseURL + "/healthz").status == 200)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/flag-data/index"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/env-data"))
        _ = server.terminate()
    }

    @Test func errorsHaveTheStableJSONShape() async throws {
        let dir = TemporaryDirectory()
        let server = try ServerProcess(arguments: ["serve", "--port", "0", "--data-dir", dir.path])
        let missing = try await httpRequest("GET", server.baseURL + "/no/such/route")
        #expect(missing.status == 404)
        #expect(missing.header("content-type")?.hasPrefix("application/json") == true)
        let body = try JSONSerialization.jsonObject(with: Data(missing.body.utf8)) as? [String: String]
        #expect(body?["error"] == "not_found")
        #expect(body?["message"]?.isEmpty == false)
        _ = server.terminate()
    }

    @Test func aSecondProcessOnTheSameDirectoryRefusesToStart() async throws {
        let dir = TemporaryDirectory()
        let first = try ServerProcess(arguments: ["serve", "--port", "0", "--data-dir", dir.path])
        let second = try await ServerProcess.run(["serve", "--port", "0", "--data-dir", dir.path])
        #expect(second.status == 73)
        #expect(second.output.contains("in use by another voicevault process (pid \(first.process.processIdentifier))"))
        let fsck = try await ServerProcess.run(["fsck", "--data-dir", dir.path])
        #expect(fsck.status == 73)
        #expect(first.terminate() == 0)
        // Once the first is gone, the directory is free again.
        #expect(try await ServerProcess.run(["fsck", "--data-dir", dir.path]).status == 0)
    }

    @Test func badFlagsAreRejectedClearly() async throws {
        let result = try await ServerProcess.run(["serve", "--port", "70000"])
        #expect(result.status != 0)
        #expect(result.output.contains("--port must be 0...65535"))
    }

    @Test func fsckOnAFreshDirectoryIsClean() async throws {
        let dir = TemporaryDirectory()
        let result = try await ServerProcess.run(["fsck", "--data-dir", dir.path + "/new"])
        #expect(result.status == 0)
        #expect(result.output.contains("0 problems"))
    }
}

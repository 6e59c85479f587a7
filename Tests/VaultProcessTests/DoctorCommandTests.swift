import Foundation
import Testing
import VaultCore
import VaultTestSupport

/// `voicevault doctor` as a process against a fake ElevenLabs and real data directories: a healthy server's
/// directory passes (while the server runs), and each thing an operator can get wrong shows as its own line.
@Suite struct DoctorCommandTests {
    static func findings(_ output: String) -> [String: String] {
        var verdicts: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, ["PASS", "WARN", "FAIL"].contains(String(parts[0])) else { continue }
            verdicts[String(parts[1].dropLast())] = String(parts[0])
        }
        return verdicts
    }

    @Test func aHealthyServerPassesEveryCheckWhileItRuns() async throws {
        let testbed = try VoiceTestbed()
        #expect(try await testbed.post(VoiceTestbed.requestBody()).status == 200)
        let environment = ["ELEVENLABS_API_KEY": "fake-key", "ELEVENLABS_BASE_URL": testbed.fake.baseURL]
        let result = try await ServerProcess.run(
            ["doctor", "--data-dir", testbed.dataDirectory, "--warn-free-mib", "1", "--fail-free-mib", "1"],
            environment: environment)
        #expect(result.status == 0, "\(result.output)")
        #expect(
            Self.findings(result.output) == [
                "elevenlabs": "PASS", "clock": "PASS", "data_directory": "PASS",
                "free_space": "PASS", "index": "PASS", "ledger": "PASS",
            ], "\(result.output)")
        #expect(result.output.contains("a server is using it (pid \(testbed.server.process.processIdentifier))"))
        #expect(result.output.contains("1 assets"))
        #expect(result.output.contains("characters used this period"))
        // Nothing of the doctor's is left behind.
        #expect(testbed.filesUnder("tmp").isEmpty)
    }

    @Test func aRefusedKeyFails() async throws {
        let testbed = try VoiceTestbed()
        let result = try await ServerProcess.run(
            ["doctor", "--data-dir", testbed.dataDirectory, "--warn-free-mib", "1"],
            environment: ["ELEVENLABS_API_KEY": "wrong", "ELEVENLABS_BASE_URL": testbed.fake.baseURL])
        #expect(result.status == 2)
        #expect(Self.findings(result.output)["elevenlabs"] == "FAIL")
        #expect(result.output.contains("refused the key (HTTP 401)"))
    }

    @Test func anUnreachableUpstreamAndAMissingKeyAreTheirOwnLines() async throws {
        let directory = TemporaryDirectory("vv-doctor")
        let unreachable = try await ServerProcess.run(
            ["doctor", "--data-dir", directory.sub("data"), "--json"],
            environment: ["ELEVENLABS_API_KEY": "k", "ELEVENLABS_BASE_URL": "http://127.0.0.1:9"])
        #expect(unreachable.status == 2)
        let findings = try #require(try JSONSerialization.jsonObject(with: Data(unreachable.output.utf8)) as? [[String: String]])
        #expect(findings.first { $0["check"] == "elevenlabs" }?["verdict"] == "fail")
        #expect(findings.first { $0["check"] == "clock" }?["verdict"] == "warn")
        #expect(findings.first { $0["check"] == "data_directory" }?["verdict"] == "warn", "a directory that does not exist yet")

        let noKey = try await ServerProcess.run(["doctor", "--data-dir", directory.sub("data")])
        #expect(noKey.status == 1)
        #expect(Self.findings(noKey.output)["elevenlabs"] == "WARN")
    }

    /// What the systemd unit creates: an empty directory the server's user owns, no `tmp/` in it yet.
    @Test func aNewEmptyDirectoryIsWritable() async throws {
        let directory = TemporaryDirectory("vv-doctor")
        let data = directory.sub("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false)
        let result = try await ServerProcess.run(["doctor", "--data-dir", data, "--warn-free-mib", "1", "--fail-free-mib", "1"])
        #expect(Self.findings(result.output)["data_directory"] == "PASS", "\(result.output)")
        #expect(Self.findings(result.output)["index"] == "WARN", "\(result.output)")
        #expect(!result.output.contains("FAIL"), "\(result.output)")
        // The probe leaves nothing behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: data).isEmpty)
    }

    @Test func aDamagedLedgerAndAFullDiskFail() async throws {
        let directory = TemporaryDirectory("vv-doctor")
        let data = directory.sub("data")
        _ = try OpenedVault(root: data)
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: data + "/usage.sqlite"))
        let damaged = try await ServerProcess.run(["doctor", "--data-dir", data, "--warn-free-mib", "1"])
        #expect(Self.findings(damaged.output)["ledger"] == "FAIL", "\(damaged.output)")
        #expect(Self.findings(damaged.output)["index"] == "PASS", "\(damaged.output)")
        #expect(damaged.status == 2)

        // A full disk (a small tmpfs, where mounting is allowed): no free space, and the probe cannot be written.
        guard SmallFileSystem.canMount else { return }
        let small = try SmallFileSystem(at: directory.sub("small"), bytes: 4 << 20)
        _ = try OpenedVault(root: small.path + "/data")
        _ = try small.fill()
        let full = try await ServerProcess.run(["doctor", "--data-dir", small.path + "/data"])
        #expect(Self.findings(full.output)["free_space"] == "FAIL", "\(full.output)")
        #expect(Self.findings(full.output)["data_directory"] == "FAIL", "\(full.output)")
        #expect(full.status == 2)
    }
}

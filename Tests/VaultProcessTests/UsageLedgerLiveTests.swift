import Foundation
import Testing
import VaultTestSupport
import VaultCore

/// The usage ledger under a real server: what it records survives SIGKILL and restarts, and a damaged file
/// never stops the server.
@Suite struct UsageLedgerLiveTests {
    static let adminToken = "ledger-admin-token-0123456789"

    func ledgerRows(_ bed: VoiceTestbed, _ table: String) -> Int {
        guard let ledger = try? UsageLedger(path: bed.dataDirectory + "/usage.sqlite", readOnly: true) else { return -1 }
        return (try? ledger.query("SELECT count(*) FROM \(table)").first?.first?.int) ?? -1
    }

    @Test func whatWasWrittenSurvivesSIGKILLAndStatsCarryAcrossRestarts() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_ADMIN_TOKEN": Self.adminToken])
        for index in 0..<5 {
            #expect(try await bed.post(VoiceTestbed.requestBody(text: "Ledger line \(index).")).status == 200)
        }
        #expect(try await bed.post(VoiceTestbed.requestBody(text: "Ledger line 0.")).header("x-cache") == "HIT")
        // The writer flushes on its own (every half second); wait for the rows, then kill without warning.
        #expect(await eventually(within: .seconds(10)) { ledgerRows(bed, "generations") == 5 && ledgerRows(bed, "hits") == 1 })
        #expect(bed.server.terminate(signal: SIGKILL) == SIGKILL)

        let ledger = try UsageLedger(path: bed.dataDirectory + "/usage.sqlite")
        #expect(try ledger.query("PRAGMA integrity_check").first?.first?.string == "ok")
        #expect(try ledger.query("SELECT count(*) FROM generations").first?.first?.int == 5)

        // A new server on the same directory reports the history, not just what it saw itself.
        let restarted = try ServerProcess(
            arguments: ["serve", "--port", "0", "--data-dir", bed.dataDirectory],
            environment: ["VOICEVAULT_ADMIN_TOKEN": Self.adminToken, "VOICEVAULT_API_KEYS": VoiceTestbed.clientKey])
        let stats = json(
            try await httpRequest(
                "GET", restarted.baseURL + "/admin/stats",
                headers: ["Authorization": "Bearer \(Self.adminToken)"]
            ).body)
        #expect(stats["generations"] as? Int == 5)
        #expect(stats["hits"] as? Int == 1)
        #expect(stats["misses"] as? Int == 5)
        #expect(stats["countingSince"] == nil, "counts from the ledger are the whole history")
        #expect((stats["recentGenerations"] as? [Any])?.count == 5)
        #expect((stats["days"] as? [[String: Any]])?.last?["hits"] as? Int == 1)
        #expect(restarted.terminate() == 0)
    }

    @Test func aGracefulStopWritesWhatIsQueuedAndAdminActionsAreRecorded() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_ADMIN_TOKEN": Self.adminToken])
        let made = try await bed.post(VoiceTestbed.requestBody(text: "Recorded, then deleted."))
        let hash = try #require(json(made.body)["contentHash"] as? String)
        let deleted = try await httpRequest(
            "DELETE", bed.server.baseURL + "/admin/audio/\(hash)",
            headers: ["Authorization": "Bearer \(Self.adminToken)"])
        #expect(deleted.status == 200)
        #expect(bed.server.terminate() == 0)
        let ledger = try UsageLedger(path: bed.dataDirectory + "/usage.sqlite", readOnly: true)
        let actions = try ledger.query("SELECT action, content_hash, assets_removed FROM admin_actions")
        #expect(actions.map { $0[0].string } == ["delete audio"])
        #expect(actions.first?[1].string == hash)
        #expect(actions.first?[2].int == 1)
        #expect(try ledger.query("SELECT count(*) FROM generations").first?.first?.int == 1)
    }

    @Test func theStatsCommandReadsTheDirectoryWithTheServerRunningOrStopped() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_ADMIN_TOKEN": Self.adminToken])
        #expect(try await bed.post(VoiceTestbed.requestBody(text: "Counted by the command.")).status == 200)
        #expect(try await bed.post(VoiceTestbed.requestBody(text: "Counted by the command.", book: "book-2")).status == 200)
        #expect(await eventually(within: .seconds(10)) { ledgerRows(bed, "hits") == 1 })
        let running = try await ServerProcess.run(
            ["stats", "--json", "--data-dir", bed.dataDirectory],
            environment: ["VOICEVAULT_PRICE_PER_1000_CHARACTERS": "0.30"])
        #expect(running.status == 0, "\(running.output)")
        let fromCommand = json(String(running.output.drop { $0 != "{" }))
        let fromServer = json(
            try await httpRequest(
                "GET", bed.server.baseURL + "/admin/stats",
                headers: ["Authorization": "Bearer \(Self.adminToken)"]
            ).body)
        for field in ["assets", "bytes", "books", "hits", "misses", "generations", "charactersGenerated", "charactersSaved"] {
            #expect(fromCommand[field] as? Int == fromServer[field] as? Int, "\(field)")
        }
        #expect(fromCommand["hits"] as? Int == 1)
        #expect(fromCommand["costSaved"] as? Double != nil)
        #expect(bed.server.terminate() == 0)
        let stopped = try await ServerProcess.run(["stats", "--data-dir", bed.dataDirectory])
        #expect(stopped.status == 0)
        #expect(stopped.output.contains("1 hits, 1 misses"), "\(stopped.output)")
        #expect(try await ServerProcess.run(["stats", "--data-dir", bed.directory.path + "/nothing-here"]).status == 66)
    }

    @Test func aDamagedLedgerIsSetAsideAtStartAndTheServerServes() async throws {
        let bed = try VoiceTestbed(environment: ["VOICEVAULT_ADMIN_TOKEN": Self.adminToken]) { data in
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try Data(repeating: 0x42, count: 16_384).write(to: URL(fileURLWithPath: data + "/usage.sqlite"))
        }
        #expect(try await bed.post(VoiceTestbed.requestBody()).status == 200)
        let stats = try await httpRequest(
            "GET", bed.server.baseURL + "/admin/stats", headers: ["Authorization": "Bearer \(Self.adminToken)"])
        #expect(stats.status == 200)
        #expect(json(stats.body)["generations"] as? Int == 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: bed.dataDirectory)
        #expect(files.contains { $0.hasPrefix("usage.sqlite.set-aside-") })
        #expect(bed.server.terminate() == 0)
        #expect(bed.server.log.contains("the usage ledger could not be opened; it was set aside"))
    }
}

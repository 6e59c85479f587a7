import ArgumentParser
import AsyncHTTPClient
import ElevenLabs
import Foundation
import NIOCore
import VaultCore
#if canImport(Glibc)
import Glibc
#endif

/// `voicevault doctor`: one actionable line per part a server depends on, measured here and judged by
/// `DoctorJudgement`; safe beside a running server (it opens nothing for writing but a probe file of its own).
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the ElevenLabs key, the clock, the data directory, its free space, the index and the ledger.",
        discussion: "Exit status: 0 every check passed; 1 a warning; 2 a failure. Safe while the server runs.")

    @OptionGroup var data: DataDirectoryOption

    @Option(name: .customLong("warn-free-mib"), help: "Warn below this much free space (MiB).")
    var warnFreeMiB = 1024

    @Option(name: .customLong("fail-free-mib"), help: "Fail below this much free space (MiB).")
    var failFreeMiB = 64

    @Flag(help: "Print the findings as JSON on standard output.")
    var json = false

    func run() async throws {
        var findings = await upstreamFindings()
        findings += localFindings(DataDirectory(root: data.resolved))
        if json {
            try printJSON(findings)
        } else {
            for finding in findings { print(finding.line) }
        }
        let status = DoctorFinding.exitStatus(findings)
        if status != 0 { throw ExitCode(status) }
    }

    // MARK: ElevenLabs and the clock

    /// The key, with the cheapest authenticated call there is (`GET /v1/user/subscription`), and the clock,
    /// against that answer's `Date`.
    func upstreamFindings() async -> [DoctorFinding] {
        guard let key = Environment.value("ELEVENLABS_API_KEY") else {
            return [
                DoctorFinding(
                    "elevenlabs", .warn,
                    "ELEVENLABS_API_KEY is not set: the offline synthesizer answers misses; set it to generate with ElevenLabs"),
                DoctorJudgement.clock(skewSeconds: nil),
            ]
        }
        var base = Environment.value("ELEVENLABS_BASE_URL") ?? ElevenLabsConfiguration.defaultBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPClientRequest(url: base + "/v1/user/subscription")
        request.headers.add(name: "xi-api-key", value: key)
        let sent = Date()
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            let received = Date()
            let skew = response.headers.first(name: "date").flatMap(HTTPDate.parse).map {
                // The server stamped its Date somewhere between sending and receiving.
                sent.addingTimeInterval(received.timeIntervalSince(sent) / 2).timeIntervalSince1970 - Double($0)
            }
            return [
                Self.keyFinding(status: Int(response.status.code), body: Data(body.readableBytesView), base: base),
                DoctorJudgement.clock(skewSeconds: skew),
            ]
        } catch {
            return [
                DoctorFinding("elevenlabs", .fail, "cannot reach \(base): \(error); check the network, a proxy or ELEVENLABS_BASE_URL"),
                DoctorJudgement.clock(skewSeconds: nil),
            ]
        }
    }

    static func keyFinding(status: Int, body: Data, base: String) -> DoctorFinding {
        switch status {
        case 200:
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
            guard let used = object?["character_count"] as? Int, let limit = object?["character_limit"] as? Int, limit > 0 else {
                return DoctorFinding("elevenlabs", .pass, "the key works (\(base))")
            }
            let state = "the key works; \(used) of \(limit) characters used this period"
            if used * 10 >= limit * 9 {
                return DoctorFinding(
                    "elevenlabs", .warn,
                    state + "; misses will fail when the plan runs out: upgrade it or set VOICEVAULT_DAILY_CHARACTER_BUDGET")
            }
            return DoctorFinding("elevenlabs", .pass, state)
        case 401, 403:
            return DoctorFinding("elevenlabs", .fail, "ElevenLabs refused the key (HTTP \(status)): set ELEVENLABS_API_KEY to a valid key")
        default:
            return DoctorFinding(
                "elevenlabs", .warn, "ElevenLabs answered HTTP \(status) to a subscription check; see https://status.elevenlabs.io")
        }
    }

    // MARK: The data directory

    func localFindings(_ directory: DataDirectory) -> [DoctorFinding] {
        guard FileSystem.isDirectory(directory.root) else {
            return [DoctorFinding("data_directory", .warn, "\(directory.root) does not exist yet; `voicevault serve` creates it")]
        }
        var findings = [writableFinding(directory)]
        var space = statvfs()
        if statvfs(directory.root, &space) == 0 {
            let block = Int(space.f_frsize)
            findings.append(
                DoctorJudgement.freeSpace(
                    availableBytes: Int(space.f_bavail) * block, totalBytes: Int(space.f_blocks) * block,
                    warnBelowMiB: warnFreeMiB, failBelowMiB: failFreeMiB))
        }
        findings.append(indexFinding(directory))
        findings.append(ledgerFinding(directory))
        return findings
    }

    /// Writable means a file can be created, written and made durable where the server writes its temp files,
    /// or, in a directory the server has not started in yet (as the systemd unit creates it, empty), in the
    /// directory itself, where the server will create `tmp/`.
    func writableFinding(_ directory: DataDirectory) -> DoctorFinding {
        let server = Self.runningServer(directory)
        let folder = FileSystem.isDirectory(directory.temporary) ? directory.temporary : directory.root
        let probe = folder + "/.doctor-probe-\(getpid())"
        let fd = FileSystem.openNoFollow(probe, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        guard fd >= 0 else {
            return DoctorFinding(
                "data_directory", .fail,
                "cannot create a file in \(folder): \(String(cString: strerror(errno))); fix its owner and permissions (the server's user must own it)"
            )
        }
        defer {
            close(fd)
            try? FileSystem.removeFile(probe)
        }
        do {
            try FileSystem.writeAll(fd, ArraySlice(repeating: 0, count: 4096), path: probe)
            guard fsync(fd) == 0 else { throw SystemError(errno: errno, operation: "fsync", path: probe) }
        } catch {
            return DoctorFinding("data_directory", .fail, "cannot write to \(directory.root): \(error)")
        }
        return DoctorFinding("data_directory", .pass, "\(directory.root) is writable; \(server)")
    }

    /// Who holds the directory's lock, read from the pid it wrote (taking the lock, even for an instant, could
    /// make a server starting at that moment refuse to start).
    static func runningServer(_ directory: DataDirectory) -> String {
        guard let text = try? String(contentsOfFile: directory.lockFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
            kill(pid, 0) == 0 || errno == EPERM
        else { return "no server is using it" }
        return "a server is using it (pid \(pid))"
    }

    func indexFinding(_ directory: DataDirectory) -> DoctorFinding {
        guard FileSystem.exists(directory.index + "/data.mdb") else {
            return DoctorFinding("index", .warn, "no index yet; the server creates it at start")
        }
        do {
            let environment = try LMDBEnvironment(directory: directory.index, options: .init(readOnly: true))
            let index = try AssetIndex(environment: environment)
            let readers = environment.readers
            return DoctorJudgement.index(
                usedBytes: environment.usedBytes, maximumMapBytes: environment.maximumMapSize,
                readers: readers.used, maximumReaders: readers.maximum, records: try index.count())
        } catch {
            return DoctorFinding("index", .fail, "cannot read the index: \(error); run `voicevault fsck` with the server stopped")
        }
    }

    func ledgerFinding(_ directory: DataDirectory) -> DoctorFinding {
        guard FileSystem.exists(directory.ledgerFile) else {
            return DoctorJudgement.ledger(exists: false, quickCheck: nil, journalMode: nil, walBytes: 0)
        }
        let walBytes = (try? FileSystem.status(directory.ledgerFile + "-wal"))??.size ?? 0
        do {
            let ledger = try SQLiteDatabase(path: directory.ledgerFile, readOnly: true)
            let check = try ledger.rows("PRAGMA quick_check").first?.first?.string
            let mode = try ledger.rows("PRAGMA journal_mode").first?.first?.string
            return DoctorJudgement.ledger(exists: true, quickCheck: check, journalMode: mode, walBytes: walBytes)
        } catch {
            return DoctorJudgement.ledger(exists: true, quickCheck: "\(error)", journalMode: nil, walBytes: walBytes)
        }
    }
}

import Foundation
import Testing
import VaultTestSupport
@testable import VaultCore

/// Kills a publishing child process with SIGKILL at every step of the publication order, at every step of a
/// deletion (an asset, a book's reference, a whole book), at every step of a Storage object write, and at random moments, more than 200 times in all, and after each kill checks with
/// `voicevault fsck` that no index or catalog record lacks a correct file. The data directory carries over
/// from kill to kill, as it would in production.
///
/// SIGKILL drops the process but not the kernel's page cache; power loss is the fsyncs' job (see
/// Docs/OPERATIONS.md), which this test cannot cut.
@Suite(.serialized) struct CrashTests {
    static let occurrences = [1, 2, 3, 4, 6, 9, 13, 17, 22, 28, 35, 43, 52, 60]
    static let objectOccurrences = [1, 2, 5, 11, 23, 40]
    static let deletionOccurrences = [1, 2, 4, 7, 12, 20]
    static let randomKills = 110

    struct Child {
        let process: Process
        let output: Pipe
    }

    static func executable(_ name: String) throws -> URL {
        let url = TestPaths.productsDirectory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw ExecutableMissing(path: url.path)
        }
        return url
    }

    struct ExecutableMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is not built; run `swift build --build-tests` first" }
    }

    static func start(_ name: String, _ arguments: [String]) throws -> Child {
        let process = Process()
        process.executableURL = try executable(name)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return Child(process: process, output: output)
    }

    /// Waits for the child to exit on a thread of its own, so the wait holds none of the cooperative pool's
    /// few threads (the other suites' async tests run meanwhile).
    static func finish(_ process: Process) async throws {
        try await onOwnThread { process.waitUntilExit() }
    }

    /// Waits for the child's `ready` line (it holds the lock and has swept), on a thread of its own.
    static func ready(_ child: Child) async throws -> Bool {
        let output = child.output
        return try await onOwnThread { waitUntilReady(Child(process: child.process, output: output)) }
    }

    /// Waits for the child's `ready` line (it holds the lock and has swept).
    static func waitUntilReady(_ child: Child) -> Bool {
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("ready") {
            let chunk = child.output.fileHandleForReading.availableData
            if chunk.isEmpty { return false }
            seen.append(chunk)
        }
        return true
    }

    /// `voicevault fsck --json` on the directory, waited for on a thread of its own.
    static func fsck(_ dataDirectory: String, repair: Bool = false) async throws -> FsckReport {
        try await onOwnThread { try fsckBlocking(dataDirectory, repair: repair) }
    }

    /// Runs `voicevault fsck --json` on the directory and decodes its report.
    static func fsckBlocking(_ dataDirectory: String, repair: Bool = false) throws -> FsckReport {
        let process = Process()
        process.executableURL = try executable("voicevault")
        process.arguments = ["fsck", "--json", "--data-dir", dataDirectory] + (repair ? ["--repair"] : [])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONDecoder().decode(FsckReport.self, from: data)
    }

    /// The drill takes a step by name from either list, so a name in both would only ever stop one path.
    @Test func stepNamesAreUniqueAcrossBothWritePaths() {
        let publication = Set(PublicationStep.allCases.map(\.rawValue))
        let deletion = Set(DeletionStep.allCases.map(\.rawValue))
        let objects = Set(ObjectWriteStep.allCases.map(\.rawValue))
        let resumable = Set(ResumableStep.allCases.map(\.rawValue))
        let multipart = Set(MultipartStep.allCases.map(\.rawValue))
        let jobs = Set(JobWriteStep.allCases.map(\.rawValue))
        #expect(jobs.isDisjoint(with: objects.union(publication).union(deletion).union(resumable).union(multipart)))
        #expect(resumable.isDisjoint(with: objects.union(publication).union(deletion)))
        #expect(multipart.isDisjoint(with: objects.union(publication).union(deletion).union(resumable)))
        #expect(publication.isDisjoint(with: objects), "\(publication.intersection(objects))")
        #expect(deletion.isDisjoint(with: objects.union(publication)), "\(deletion.intersection(objects.union(publication)))")
    }

    /// Streamed generations only (staged piece by piece, some found invalid at their end), killed at every
    /// publication step at several depths: nothing is ever indexed unless whole, and timings never outlive
    /// their asset.
    @Test func killedDuringStreamedGenerationsNothingIsIndexedUnlessWhole() async throws {
        let dir = TemporaryDirectory("vv-crash-stream")
        let data = dir.sub("data")
        for step in PublicationStep.allCases {
            for occurrence in [1, 2, 5, 9] {
                let child = try Self.start(
                    "vault-crash-drill",
                    [
                        "--data-dir", data, "--seed", "stream-\(step)-\(occurrence)", "--count", "200",
                        "--kill-at", step.rawValue, "--kill-on", "\(occurrence)", "--streamed-only", "yes",
                    ])
                try await Self.finish(child.process)
                #expect(child.process.terminationStatus == SIGKILL, "\(step) \(occurrence) did not die")
                let report = try await Self.fsck(data)
                #expect(report.problems.filter(\.violatesInvariant).isEmpty, "after \(step) #\(occurrence): \(report.problems)")
            }
        }
        // Every record the kills left has its timings, and nothing else does.
        let index = try AssetIndex(directory: data + "/index")
        var records = 0
        try index.forEachRecord { record in
            records += 1
            let hash = try #require(SHA256Digest(hex: record.contentHash))
            #expect(try index.alignment(for: hash) != nil, "\(record.contentHash) has no timings")
        }
        #expect(records > 10)
    }

    @Test func killedAtEveryPublicationStepAndAtRandomTheIndexNeverLies() async throws {
        let dir = TemporaryDirectory("vv-crash")
        let data = dir.sub("data")
        var kills = 0
        var recordsSeen = 0
        var residue = 0

        func check(after description: String) async throws {
            let report = try await Self.fsck(data)
            let violations = report.problems.filter(\.violatesInvariant)
            #expect(violations.isEmpty, "after \(description): \(violations)")
            recordsSeen = max(recordsSeen, report.recordsChecked)
            residue += report.problems.count
            // Every so often, repair: a repaired directory must then be clean.
            if kills % 25 == 0 {
                _ = try await Self.fsck(data, repair: true)
                let clean = try await Self.fsck(data)
                #expect(clean.isClean, "after repair: \(clean.problems)")
            }
        }

        // 1. Injected: every step of both write paths, at several depths into the run.
        let steps =
            PublicationStep.allCases.map { ($0.rawValue, Self.occurrences) }
            + DeletionStep.allCases.map { ($0.rawValue, Self.deletionOccurrences) }
            + ObjectWriteStep.allCases.map { ($0.rawValue, Self.objectOccurrences) }
        for (step, occurrences) in steps {
            for occurrence in occurrences {
                let child = try Self.start(
                    "vault-crash-drill",
                    [
                        "--data-dir", data, "--seed", "\(step)-\(occurrence)", "--count", "1000",
                        "--kill-at", step, "--kill-on", "\(occurrence)",
                    ])
                try await Self.finish(child.process)
                #expect(child.process.terminationReason == .uncaughtSignal, "\(step) \(occurrence) did not die")
                #expect(child.process.terminationStatus == SIGKILL)
                kills += 1
                try await check(after: "kill at \(step) #\(occurrence)")
            }
        }

        // 2. Random moments while the child publishes, links and deletes.
        var generator = SystemRandomNumberGenerator()
        for round in 0..<Self.randomKills {
            let child = try Self.start("vault-crash-drill", ["--data-dir", data, "--seed", "random-\(round)"])
            #expect(try await Self.ready(child), "child \(round) never became ready")
            try await Task.sleep(for: .microseconds(Int.random(in: 0...40_000, using: &generator)))
            kill(child.process.processIdentifier, SIGKILL)
            try await Self.finish(child.process)
            kills += 1
            try await check(after: "random kill \(round)")
        }

        #expect(kills >= 200)
        #expect(recordsSeen > 50, "the drill should have published real assets between kills")
        let objectFiles = (try? FileManager.default.contentsOfDirectory(atPath: data + "/objects")) ?? []
        #expect(!objectFiles.isEmpty, "the drill should have written Storage objects between kills")
        // A final clean start: the drill opens (sweeping temp files), finishes a short run, and all is well.
        let last = try Self.start("vault-crash-drill", ["--data-dir", data, "--seed", "final", "--count", "10"])
        try await Self.finish(last.process)
        #expect(last.process.terminationStatus == 0)
        #expect(try await Self.fsck(data).invariantViolations == 0)
        print("crash test: \(kills) kills, up to \(recordsSeen) records, \(residue) allowed residue problems seen")
    }

    /// A legacy import killed at every publication step, at each of its publications and links: fsck finds
    /// nothing indexed without its bytes, and running the import again finishes it into the same store as an
    /// import that was never interrupted.
    /// Resumable uploads killed at every step of their checkpoints and commits (and of the publication inside
    /// a commit), run after run on one data directory: each next start recovers (as the server does) and
    /// finishes what was left, with the bytes the upload began with. After every run fsck finds nothing
    /// indexed without its bytes, and every object holds exactly the bytes of the round its metadata names.
    @Test func resumableUploadsKilledAnywhereAreFinishedWhole() async throws {
        let dir = TemporaryDirectory("vv-crash-resumable")
        let data = dir.sub("data")
        func checkObjects(_ context: String) throws -> [String] {
            let vault = try OpenedVault(root: data, sweepTemporaryFiles: false)
            var rounds: [String] = []
            for record in try vault.objects.catalog.objects(bucket: "drill-resumable") {
                let round = try #require(Self.resumableRound(record.userMetadata), "\(context): \(record.key) has no round")
                let expected = Self.resumableBytes(round: round, key: record.key)
                #expect(record.sha256 == SHA256Digest.of(expected).hex, "\(context): \(record.key) is not round \(round)'s bytes")
                #expect(try FileSystem.readFile(vault.objects.path(of: record)) == expected, "\(context): \(record.key)")
                rounds.append(round)
            }
            return rounds
        }
        let steps =
            ResumableStep.allCases.map(\.rawValue)
            + [ObjectWriteStep.renamed, .versionEntrySynced, .committed, .previousRemoved].map(\.rawValue)
        let kills = try await Self.killedRounds("--resumable", data: data, steps: steps, occurrences: [1, 2, 3, 6], check: checkObjects)
        #expect(try checkObjects("final") == Array(repeating: "final", count: 4))
        #expect(try FileSystem.contents(of: data + "/uploads").isEmpty)
        #expect(kills >= steps.count * 3, "only \(kills) kills landed")
    }

    /// S3 multipart completions killed at every step (planning, assembling, the publication's own steps,
    /// clean-up), run after run on one data directory: each start finishes an interrupted completion once, and
    /// every object holds exactly the parts of the round its metadata names.
    @Test func multipartCompletionsKilledAnywhereAreFinishedWhole() async throws {
        let dir = TemporaryDirectory("vv-crash-multipart")
        let data = dir.sub("data")
        func checkObjects(_ context: String) throws -> [String] {
            let vault = try OpenedVault(root: data, sweepTemporaryFiles: false)
            var rounds: [String] = []
            for record in try vault.objects.catalog.objects(bucket: "drill-multipart") {
                let round = try #require(Self.resumableRound(record.userMetadata), "\(context): \(record.key) has no round")
                let expected = (1...3).flatMap { Self.multipartPart(round: round, key: record.key, number: $0) }
                #expect(
                    try FileSystem.readFile(vault.objects.path(of: record)) == expected,
                    "\(context): \(record.key) is not round \(round)'s parts")
                #expect(record.sha256 == SHA256Digest.of(expected).hex, "\(context): \(record.key)")
                rounds.append(round)
            }
            return rounds
        }
        let steps =
            MultipartStep.allCases.map(\.rawValue)
            + [ObjectWriteStep.renamed, .versionEntrySynced, .committed, .previousRemoved].map(\.rawValue)
        let kills = try await Self.killedRounds("--multipart", data: data, steps: steps, occurrences: [1, 2, 3], check: checkObjects)
        #expect(try checkObjects("final") == Array(repeating: "final", count: 3))
        #expect(try FileSystem.contents(of: data + "/multipart").isEmpty)
        #expect(kills >= steps.count * 2, "only \(kills) kills landed")
    }

    /// Runs the drill's `mode` round after round on one data directory, killed at each step and occurrence in
    /// turn, then once more without a kill (round `final`). After every run fsck finds no invariant broken and
    /// `check` holds. Returns how many kills landed.
    static func killedRounds(
        _ mode: String, data: String, steps: [String], occurrences: [Int],
        check: (String) throws -> [String]
    ) async throws -> Int {
        func run(_ round: String, kill: (step: String, occurrence: Int)?) async throws -> Process {
            let child = try start(
                "vault-crash-drill",
                ["--data-dir", data, mode, round]
                    + (kill.map { ["--kill-at", $0.step, "--kill-on", "\($0.occurrence)"] } ?? []))
            try await finish(child.process)
            return child.process
        }
        var kills = 0
        var round = 0
        for step in steps {
            for occurrence in occurrences {
                round += 1
                let killed = try await run("r\(round)", kill: (step, occurrence))
                if killed.terminationReason == .uncaughtSignal {
                    #expect(killed.terminationStatus == SIGKILL)
                    kills += 1
                } else {
                    #expect(killed.terminationStatus == 0, "\(step) #\(occurrence)")
                }
                let report = try await fsck(data)
                #expect(report.invariantViolations == 0, "after \(step) #\(occurrence): \(report.problems)")
                _ = try check("after \(step) #\(occurrence)")
            }
        }
        // A run without kills finishes whatever the last kill left, then writes its own round over everything.
        #expect(try await run("final", kill: nil).terminationStatus == 0)
        #expect(try await fsck(data).invariantViolations == 0)
        return kills
    }

    /// The drill's bytes for part `number` of `key` in `round` (Sources/VaultCrashDrill/MultipartDrill.swift).
    static func multipartPart(round: String, key: String, number: Int) -> [UInt8] {
        drillBytes(seed: "\(round)-\(key)-\(number)", count: 20_000 + number * 3_001)
    }

    /// The drill's bytes for `key` in `round` (Sources/VaultCrashDrill/ResumableDrill.swift).
    static func resumableBytes(round: String, key: String) -> [UInt8] {
        drillBytes(seed: "\(round)-\(key)", count: 40_000 + (key.utf8.reduce(0) { $0 + Int($1) } * 977) % 60_000)
    }

    /// The drill's `SeededBytes` (an FNV-seeded 64-bit LCG), written again here so the test checks the drill's
    /// output against its own reading of the rule rather than against the drill's code.
    static func drillBytes(seed: String, count: Int) -> [UInt8] {
        var state = seed.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    static func resumableRound(_ userMetadata: String?) -> String? {
        guard let text = userMetadata, let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            return nil
        }
        return object["round"] as? String
    }

    /// A pre-generation job's bookkeeping killed inside each item's transaction and after its commit, run after
    /// run on one database: every item the drill reported finished stays finished (durable), the finished items
    /// are always a prefix of the job with their own values (atomic: never an item half-recorded), and a last
    /// run finishes the job.
    @Test func jobBookkeepingKilledAnywhereLosesNoFinishedItem() async throws {
        let dir = TemporaryDirectory("vv-crash-jobs")
        let data = dir.sub("data")
        var acknowledged = -1
        func check(_ context: String) throws {
            let database = try SQLiteDatabase(path: data + "/jobs.sqlite", readOnly: true)
            #expect(try database.rows("PRAGMA integrity_check").first?.first?.string == "ok", "\(context)")
            let rows = try database.rows("SELECT seq, state, characters FROM job_items WHERE job_id = 'drill-job' ORDER BY seq")
            #expect(rows.count == 40, "\(context)")
            let finished = rows.filter { $0[1].string != "pending" }
            #expect(finished.map { $0[0].int } == (0..<finished.count).map { $0 }, "\(context): finished items are not a prefix")
            for row in finished {
                let seq = row[0].int ?? -1
                #expect(
                    row[1].string == (seq % 2 == 0 ? "generated" : "cached") && row[2].int == seq,
                    "\(context): item \(seq) is half-recorded")
            }
            #expect(finished.count > acknowledged, "\(context): item \(acknowledged) was reported finished and is not")
        }
        var kills = 0
        for step in JobWriteStep.allCases {
            for occurrence in [1, 2, 3] {
                let child = try Self.start(
                    "vault-crash-drill",
                    [
                        "--data-dir", data, "--jobs", "yes", "--kill-at", step.rawValue,
                        "--kill-on", "\(occurrence)",
                    ])
                try await Self.finish(child.process)
                let output = String(decoding: child.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                for line in output.split(separator: "\n") where line.hasPrefix("finished ") {
                    acknowledged = max(acknowledged, Int(line.dropFirst("finished ".count)) ?? -1)
                }
                if child.process.terminationReason == .uncaughtSignal { kills += 1 }
                try check("after \(step.rawValue) #\(occurrence)")
            }
        }
        let last = try Self.start("vault-crash-drill", ["--data-dir", data, "--jobs", "yes"])
        try await Self.finish(last.process)
        #expect(last.process.terminationStatus == 0)
        acknowledged = 39
        try check("after the last run")
        #expect(kills == JobWriteStep.allCases.count * 3)
    }

    @Test func anImportKilledAnywhereFinishesIntoTheSameStore() async throws {
        let dir = TemporaryDirectory("vv-crash-import")
        let database = TestPaths.fixture("legacy.sqlite")
        let files = TestPaths.fixture("legacy")
        func importOnce(_ data: String, kill: (step: String, occurrence: Int)? = nil) async throws -> Process {
            let child = try Self.start(
                "vault-crash-drill",
                ["--data-dir", data, "--import", database, "--files", files]
                    + (kill.map { ["--kill-at", $0.step, "--kill-on", "\($0.occurrence)"] } ?? []))
            try await Self.finish(child.process)
            return child.process
        }
        func snapshot(_ data: String) throws -> [String] {
            let vault = try OpenedVault(root: data, sweepTemporaryFiles: false)
            var lines: [String] = []
            try vault.store.index.forEachRecord { lines.append("\($0.contentHash) \($0.bookIds) \($0.byteSize) \($0.sha256) \($0.origin)") }
            lines.append("aliases \(try vault.store.index.aliasCount())")
            for book in try FileSystem.contents(of: data + "/audio") {
                lines += try FileSystem.contents(of: data + "/audio/" + book).map { book + "/" + $0 }
            }
            return lines
        }
        let reference = dir.sub("reference")
        #expect(try await importOnce(reference).terminationStatus == 0)
        let expected = try snapshot(reference)
        #expect(expected.count > 5)

        var kills = 0
        for step in PublicationStep.allCases {
            for occurrence in 1...4 {
                let data = dir.sub("\(step.rawValue)-\(occurrence)")
                let killed = try await importOnce(data, kill: (step.rawValue, occurrence))
                if killed.terminationReason == .uncaughtSignal {
                    #expect(killed.terminationStatus == SIGKILL)
                    kills += 1
                    let report = try await Self.fsck(data)
                    #expect(report.invariantViolations == 0, "after \(step) #\(occurrence): \(report.problems)")
                } else {
                    #expect(killed.terminationStatus == 0, "\(step) #\(occurrence)")
                }
                #expect(try await importOnce(data).terminationStatus == 0)
                #expect(try snapshot(data) == expected, "after \(step) #\(occurrence)")
                let report = try await Self.fsck(data)
                #expect(report.isClean, "after \(step) #\(occurrence) and a second import: \(report.problems)")
            }
        }
        // Three publications and one link reach the link, sync and commit steps; the temp-file steps only the three.
        #expect(kills >= PublicationStep.allCases.count * 3)
    }

    /// The disk quota killed at every deletion step of several of its evictions: fsck finds nothing indexed
    /// without its bytes, a pinned book never loses audio, and running the quota again finishes under its target.
    @Test func theQuotaKilledAnywhereLeavesAConsistentStore() async throws {
        let dir = TemporaryDirectory("vv-crash-quota")
        func runQuota(_ data: String, limit: Int, kill: (step: String, occurrence: Int)? = nil) async throws -> Process {
            let child = try Self.start(
                "vault-crash-drill",
                ["--data-dir", data, "--quota", "\(limit)"]
                    + (kill.map { ["--kill-at", $0.step, "--kill-on", "\($0.occurrence)"] } ?? []))
            try await Self.finish(child.process)
            return child.process
        }
        func check(_ data: String, _ description: String) throws -> AssetStore {
            let vault = try OpenedVault(root: data, sweepTemporaryFiles: false)
            let pinned = Set(try vault.store.index.hashes(forBook: .book("book-0")))
            #expect(pinned.count == 10, "\(description): the pinned book lost audio")
            var total = 0
            try vault.store.index.forEachRecord { total += $0.byteSize }
            #expect(try vault.store.index.storedBytes() == total, "\(description): the byte total drifted")
            return vault.store
        }
        // The reference: how big the 30 assets are, so the limit evicts about half of what may go.
        let reference = dir.sub("reference")
        #expect(try await runQuota(reference, limit: Int.max / 2).terminationStatus == 0)
        let full = try OpenedVault(root: reference).store.index.storedBytes()
        let limit = full * 2 / 3
        var kills = 0
        for step in DeletionStep.allCases {
            for occurrence in [1, 2, 5, 9] {
                let data = dir.sub("\(step.rawValue)-\(occurrence)")
                let killed = try await runQuota(data, limit: limit, kill: (step.rawValue, occurrence))
                if killed.terminationReason == .uncaughtSignal {
                    kills += 1
                    let report = try await Self.fsck(data)
                    #expect(report.invariantViolations == 0, "after \(step) #\(occurrence): \(report.problems)")
                    _ = try check(data, "after \(step) #\(occurrence)")
                }
                #expect(try await runQuota(data, limit: limit).terminationStatus == 0)
                let store = try check(data, "after \(step) #\(occurrence) and a second run")
                #expect(try store.index.storedBytes() <= EvictionPlan.target(forLimit: limit))
                let repaired = try await Self.fsck(data, repair: true)
                #expect(repaired.invariantViolations == 0)
                #expect(try await Self.fsck(data).isClean, "after \(step) #\(occurrence)")
            }
        }
        #expect(kills >= DeletionStep.allCases.count * 3)
    }
}

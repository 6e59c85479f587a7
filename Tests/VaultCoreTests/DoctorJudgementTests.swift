import Testing
import VaultCore

/// The thresholds of `voicevault doctor`, at and around each edge.
@Suite struct DoctorJudgementTests {
    static let gib = 1 << 30
    static let mib = 1 << 20

    @Test(arguments: [
        (200 * gib, 250 * gib, DoctorFinding.Verdict.pass),
        (2 * gib, 250 * gib, .fail),  // under 1 %
        (11 * gib, 250 * gib, .warn),  // under 5 %
        (13 * gib, 250 * gib, .pass),
        (1023 * mib, 4 * gib, .warn),  // under the 1 GiB floor
        (1024 * mib, 4 * gib, .pass),
        (63 * mib, 100 * mib, .fail),  // under the 64 MiB floor
        (64 * mib, 100 * mib, .warn),
        (0, 0, .fail),
    ])
    func freeSpace(available: Int, total: Int, verdict: DoctorFinding.Verdict) {
        let finding = DoctorJudgement.freeSpace(availableBytes: available, totalBytes: total, warnBelowMiB: 1024, failBelowMiB: 64)
        #expect(finding.verdict == verdict, "\(finding.line)")
        #expect(finding.check == "free_space")
    }

    @Test(arguments: [
        (0.0, DoctorFinding.Verdict.pass), (5.0, .pass), (-5.0, .pass), (5.5, .warn), (-60.0, .warn), (300.0, .warn),
        (301.0, .fail), (-3600.0, .fail),
    ])
    func clock(skew: Double, verdict: DoctorFinding.Verdict) {
        let finding = DoctorJudgement.clock(skewSeconds: skew)
        #expect(finding.verdict == verdict, "\(finding.line)")
        #expect(finding.message.contains(skew >= 0 ? "ahead" : "behind"))
    }

    @Test func aClockThatCouldNotBeComparedIsAWarning() {
        #expect(DoctorJudgement.clock(skewSeconds: nil).verdict == .warn)
    }

    @Test(arguments: [
        (10 * mib, DoctorFinding.Verdict.pass, 1), (780 * gib, .warn, 1), (760 * gib, .pass, 1), (980 * gib, .fail, 1),
        (10 * mib, .warn, 420),
        (10 * mib, .pass, 409),
    ])
    func index(used: Int, verdict: DoctorFinding.Verdict, readers: Int) {
        let finding = DoctorJudgement.index(usedBytes: used, maximumMapBytes: 1 << 40, readers: readers, maximumReaders: 512, records: 3)
        #expect(finding.verdict == verdict, "\(finding.line)")
    }

    @Test func ledger() {
        #expect(DoctorJudgement.ledger(exists: false, quickCheck: nil, journalMode: nil, walBytes: 0).verdict == .warn)
        #expect(DoctorJudgement.ledger(exists: true, quickCheck: "ok", journalMode: "wal", walBytes: 4096).verdict == .pass)
        #expect(DoctorJudgement.ledger(exists: true, quickCheck: "ok", journalMode: "WAL", walBytes: 4096).verdict == .pass)
        #expect(
            DoctorJudgement.ledger(exists: true, quickCheck: "*** in database main ***", journalMode: "wal", walBytes: 0).verdict == .fail)
        #expect(DoctorJudgement.ledger(exists: true, quickCheck: nil, journalMode: nil, walBytes: 0).verdict == .fail)
        #expect(DoctorJudgement.ledger(exists: true, quickCheck: "ok", journalMode: "delete", walBytes: 0).verdict == .warn)
        #expect(DoctorJudgement.ledger(exists: true, quickCheck: "ok", journalMode: "wal", walBytes: 300 << 20).verdict == .warn)
    }

    @Test func sizesReadAtAGlance() {
        #expect(DoctorJudgement.size(900) == "900 bytes")
        #expect(DoctorJudgement.size(28 << 10) == "28 KiB")
        #expect(DoctorJudgement.size(9 << 20) == "9216 KiB")
        #expect(DoctorJudgement.size(12 << 20) == "12 MiB")
        #expect(DoctorJudgement.size(1 << 40) == "1024 GiB")
    }

    @Test func theWorstFindingDecidesTheExitStatus() {
        let pass = DoctorFinding("a", .pass, "")
        let warn = DoctorFinding("b", .warn, "")
        let fail = DoctorFinding("c", .fail, "")
        #expect(DoctorFinding.exitStatus([]) == 0)
        #expect(DoctorFinding.exitStatus([pass, pass]) == 0)
        #expect(DoctorFinding.exitStatus([pass, warn]) == 1)
        #expect(DoctorFinding.exitStatus([fail, warn, pass]) == 2)
        #expect(warn.line == "WARN b: ")
    }
}

/// The pure judgements of `voicevault doctor`: from measured facts to a finding, each threshold stated and
/// tested here so the command itself only measures.
public enum DoctorJudgement {
    /// Free space on the data directory's file system. Generated audio is a few MB a chapter and the index
    /// grows in doublings, so the floors are absolute (MiB) as well as relative.
    public static func freeSpace(availableBytes: Int, totalBytes: Int, warnBelowMiB: Int, failBelowMiB: Int) -> DoctorFinding {
        let mib = availableBytes >> 20
        let percent = totalBytes > 0 ? Double(availableBytes) * 100 / Double(totalBytes) : 0
        let state = "\(mib) MiB free of \(totalBytes >> 20) MiB (\(formatted(percent))%)"
        if mib < failBelowMiB || percent < 1 {
            return DoctorFinding(
                "free_space", .fail, state + "; new audio cannot be stored: free space or move the data directory to a larger disk")
        }
        if mib < warnBelowMiB || percent < 5 {
            return DoctorFinding("free_space", .warn, state + "; free space before it runs out (old files, or a larger disk)")
        }
        return DoctorFinding("free_space", .pass, state)
    }

    /// How far the local clock is from ElevenLabs' `Date` (seconds, positive when local is ahead). Signed URLs,
    /// daily budgets and S3 signatures all read the clock.
    public static func clock(skewSeconds: Double?) -> DoctorFinding {
        guard let skew = skewSeconds else {
            return DoctorFinding("clock", .warn, "not compared: no upstream answered with a Date; check that NTP runs")
        }
        let state = "\(formatted(abs(skew))) s \(skew >= 0 ? "ahead of" : "behind") ElevenLabs"
        if abs(skew) > 300 {
            return DoctorFinding("clock", .fail, state + "; signed URLs and S3 signatures will fail: sync the clock (NTP)")
        }
        if abs(skew) > 5 { return DoctorFinding("clock", .warn, state + "; enable NTP (systemd-timesyncd or chrony)") }
        return DoctorFinding("clock", .pass, state)
    }

    /// The index's use of its map: LMDB grows the map by doubling up to its maximum, and a write past the maximum
    /// fails; reader slots are shared by every process that opens the index.
    public static func index(usedBytes: Int, maximumMapBytes: Int, readers: Int, maximumReaders: Int, records: Int) -> DoctorFinding {
        let share = maximumMapBytes > 0 ? Double(usedBytes) * 100 / Double(maximumMapBytes) : 100
        let state =
            "\(records) assets; \(size(usedBytes)) used of a \(size(maximumMapBytes)) maximum map (\(formatted(share))%); \(readers) of \(maximumReaders) reader slots"
        if share > 95 { return DoctorFinding("index", .fail, state + "; the index is nearly full: run fsck and contact the maintainers") }
        if share > 75 || readers * 10 > maximumReaders * 8 {
            return DoctorFinding(
                "index", .warn, state + "; headroom is shrinking: back up and compact (voicevault backup makes a compacted copy)")
        }
        return DoctorFinding("index", .pass, state)
    }

    /// The usage ledger: SQLite's own check, its journal mode, and a write-ahead log that checkpoints keep small.
    public static func ledger(exists: Bool, quickCheck: String?, journalMode: String?, walBytes: Int) -> DoctorFinding {
        guard exists else { return DoctorFinding("ledger", .warn, "no usage ledger yet; the server creates it at start") }
        guard let quickCheck, quickCheck == "ok" else {
            return DoctorFinding(
                "ledger", .fail,
                "SQLite's quick_check says: \(quickCheck ?? "cannot read the file"); stop the server, move usage.sqlite aside and start again (a new ledger is created)"
            )
        }
        if journalMode?.lowercased() != "wal" {
            return DoctorFinding("ledger", .warn, "journal mode is \(journalMode ?? "unknown"), not wal; the server sets wal at start")
        }
        if walBytes > 256 << 20 {
            return DoctorFinding(
                "ledger", .warn, "the write-ahead log is \(walBytes >> 20) MiB; a reader is holding checkpoints back (a long query?)")
        }
        return DoctorFinding("ledger", .pass, "quick_check ok, WAL \(walBytes >> 10) KiB")
    }

    /// Bytes in the largest binary unit that keeps a whole number in front: `28 KiB`, `12 MiB`, `1024 GiB`.
    public static func size(_ bytes: Int) -> String {
        if bytes >= 10 << 30 { return "\(bytes >> 30) GiB" }
        if bytes >= 10 << 20 { return "\(bytes >> 20) MiB" }
        if bytes >= 10 << 10 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    static func formatted(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }
}

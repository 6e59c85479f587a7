import Foundation
import Testing
import VaultCore
import VaultTestSupport

/// `voicevault fsck` as a process: its exit status is what scripts and the systemd unit act on, so what a crash
/// leaves by design (temp files of interrupted publications) must not read as damage.
@Suite struct FsckCommandTests {
    /// A data directory with one published asset and what a kill mid-publication leaves: a temp file.
    static func directoryWithCrashResidue() throws -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory("vv-fsck-cli")
        let data = directory.sub("data")
        do {
            let vault = try OpenedVault(root: data)
            _ = try vault.store.publish(
                SilentMP3.make(frames: 3), hash: .test("published"), bookId: .book("book"),
                metadata: sampleMetadata())
        }
        try Data(SilentMP3.make(frames: 2)).write(to: URL(fileURLWithPath: data + "/tmp/publication-interrupted.part"))
        return (directory, data)
    }

    @Test func tempFilesACrashLeavesAreNotesAndExitZero() async throws {
        let (directory, data) = try Self.directoryWithCrashResidue()
        let check = try await ServerProcess.run(["fsck", "--data-dir", data])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("note  temporary_file tmp/publication-interrupted.part"), "\(check.output)")
        #expect(FileManager.default.fileExists(atPath: data + "/tmp/publication-interrupted.part"), "a check changes nothing")

        let repair = try await ServerProcess.run(["fsck", "--repair", "--data-dir", data])
        #expect(repair.status == 0, "\(repair.output)")
        #expect(repair.output.contains("fixed removed tmp/publication-interrupted.part"))
        #expect(!FileManager.default.fileExists(atPath: data + "/tmp/publication-interrupted.part"))
        _ = directory
    }

    @Test func realDamageBesideTheResidueStillExitsTwo() async throws {
        let (directory, data) = try Self.directoryWithCrashResidue()
        try Data("x".utf8).write(to: URL(fileURLWithPath: data + "/audio/book/notes.txt"))
        let check = try await ServerProcess.run(["fsck", "--data-dir", data])
        #expect(check.status == 2, "\(check.output)")
        #expect(check.output.contains("warn  stray_entry audio/book/notes.txt"))
        #expect(try await ServerProcess.run(["fsck", "--repair", "--data-dir", data]).status == 1)
        #expect(try await ServerProcess.run(["fsck", "--data-dir", data]).status == 0)
        _ = directory
    }
}

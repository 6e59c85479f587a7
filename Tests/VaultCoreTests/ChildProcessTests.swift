#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import VaultCore

/// `ChildProcess`: exit statuses (a code, a signal), output and errors together, bounded, and none of the
/// parent's other descriptors held by the child.
@Suite struct ChildProcessTests {
    @Test func statusesAndOutputAreReported() throws {
        let exited = try ChildProcess.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(exited.status == 3)
        #expect(String(decoding: exited.output, as: UTF8.self) == "out\nerr\n")
        let killed = try ChildProcess.run("/bin/sh", ["-c", "kill -9 $$"])
        #expect(killed.status == 9)
        let quiet = try ChildProcess.run("/bin/sh", ["-c", "cat"])  // its input is /dev/null: it ends at once
        #expect(quiet.status == 0 && quiet.output.isEmpty)
        #expect(throws: ChildProcess.Failure.self) { _ = try ChildProcess.run("/nonexistent/program", []) }
    }

    @Test func outputIsKeptUpToItsBoundAndTheRestIsDrained() throws {
        let run = try ChildProcess.run("/bin/sh", ["-c", "head -c 300000 /dev/zero"], keep: 1_000)
        #expect(run.status == 0 && run.output.count == 1_000)
    }

    @Test func theParentsOtherDescriptorsAreNotInherited() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        // The pipe's write end is open in this process without close-on-exec: a child that inherited it could
        // write to it. (Its own number, never a fixed one: the test process's other descriptors are live.)
        let run = try ChildProcess.run("/bin/bash", ["-c", "echo leaked >&\(ends[1])"])
        #expect(run.status != 0, "the child wrote to the parent's descriptor: \(String(decoding: run.output, as: UTF8.self))")
        let flags = fcntl(ends[0], F_GETFL)
        _ = fcntl(ends[0], F_SETFL, flags | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(read(ends[0], &buffer, buffer.count) == -1, "nothing arrived through the parent's pipe")
    }
}

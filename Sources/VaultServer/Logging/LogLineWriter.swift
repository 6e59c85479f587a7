#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Where log lines go: a bounded buffer in memory, written to standard error by a thread of its own. A request
/// that logs only appends its line; it never waits for the write, so a slow or full stderr pipe (a log
/// collector that stalls) can never hold up a request or a thread of the cooperative pool.
///
/// When the buffer is full, lines are dropped and counted, and the next write says how many: the log gives
/// way before the service does. `flush()` writes what is buffered, in order, at shutdown.
final class LogLineWriter: Sendable {
    static let shared = LogLineWriter(descriptor: STDERR_FILENO)

    /// At most this many bytes wait to be written (about 4,000 request lines).
    static let capacity = 1 << 20
    /// The writer wakes when this much is queued, or after `lingerMilliseconds`: one write per batch, not a
    /// thread wake-up per line (at 20,000 requests/s, waking per line cost the event loops their CPUs).
    static let batchBytes = 64 << 10
    static let lingerMilliseconds = 20

    private struct Pending {
        var bytes: [UInt8] = []
        var dropped = 0
    }

    private let descriptor: Int32
    private let pending = Mutex(Pending())
    private let wake = DispatchSemaphore(value: 0)
    /// Held while a batch is taken and written, so batches reach the descriptor in the order they were taken.
    private let writing = Mutex(())

    init(descriptor: Int32) {
        self.descriptor = descriptor
        let thread = Thread { [self] in
            while true {
                _ = wake.wait(timeout: .now() + .milliseconds(Self.lingerMilliseconds))
                flush()
            }
        }
        thread.name = "voicevault-log"
        thread.start()
    }

    /// Queues one line (with its line feed). Never blocks on I/O.
    func append(_ line: String) {
        let signal = pending.withLock { pending -> Bool in
            guard pending.bytes.count + line.utf8.count <= Self.capacity else {
                pending.dropped += 1
                return false
            }
            let before = pending.bytes.count
            pending.bytes.append(contentsOf: line.utf8)
            return before < Self.batchBytes && pending.bytes.count >= Self.batchBytes
        }
        if signal { wake.signal() }
    }

    /// Writes everything queued so far. Blocks on I/O: the writer thread's work, and shutdown's.
    func flush() {
        writing.withLock { _ in
            let (batch, dropped) = pending.withLock { pending -> ([UInt8], Int) in
                defer { pending = Pending() }
                return (pending.bytes, pending.dropped)
            }
            if dropped > 0 {
                writeAll(
                    Array(
                        "\(LineLogHandler.timestamp()) warning voicevault.log: dropped=\(dropped) [VaultServer] log lines dropped: standard error did not keep up\n"
                            .utf8))
            }
            writeAll(batch)
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                guard let base = raw.baseAddress else { return }
                let written = write(descriptor, base + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

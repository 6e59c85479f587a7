import VaultTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tmpfs of a few megabytes mounted over a test's directory, so a test can fill a real disk and watch the
/// server meet `ENOSPC` at an actual `write`, not at an injected failure. Needs root (CI runs as root).
final class SmallFileSystem: @unchecked Sendable {
    let path: String
    private var mounted = true

    /// Whether this process may mount: true as root in a sandbox that allows it, false elsewhere.
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "voicevault-mount-probe-\(getpid())"
        guard mkdir(probe, 0o700) == 0 else { return false }
        defer { rmdir(probe) }
        guard mount("tmpfs", probe, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount2(probe, Int32(MNT_DETACH))
        return true
    }()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(at path: String, bytes: Int) throws {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw Failure(description: "mkdir \(path): \(String(cString: strerror(errno)))")
        }
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(bytes)") == 0 else {
            throw Failure(description: "mount tmpfs on \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
    }

    /// Writes `name` until the file system has not one byte left; returns its size.
    func fill(name: String = "filler") throws -> Int {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw Failure(description: "open filler: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var total = 0
        // Large writes until the last page, then single bytes: tmpfs can refuse a large write that would fit
        // partly, so only byte-sized writes prove nothing is left.
        for size in [1 << 16, 1] {
            let chunk = [UInt8](repeating: 0x5A, count: size)
            while true {
                let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, size) }
                if written > 0 {
                    total += written
                    continue
                }
                guard written < 0, errno == ENOSPC else { throw Failure(description: "write filler: \(String(cString: strerror(errno)))") }
                break
            }
        }
        return total
    }

    func remove(name: String = "filler") {
        unlink(path + "/" + name)
    }

    func unmount() {
        guard mounted else { return }
        mounted = false
        umount2(path, Int32(MNT_DETACH))
    }

    deinit { unmount() }
}

#if canImport(Glibc)
import Glibc
#endif

/// The secret that signs Storage URLs. `VOICEVAULT_SIGNING_SECRET` when set (several servers behind one
/// CDN must share it); otherwise 32 random bytes created once in `<data>/signing.key` (mode 0600), so
/// signed URLs survive restarts.
public enum SigningSecret {
    public static func loadOrCreate(path: String, override: String?) throws -> [UInt8] {
        if let override, !override.isEmpty { return Array(override.utf8) }
        if FileSystem.exists(path) {
            let bytes = try FileSystem.readFile(path)
            if bytes.count >= 32 { return bytes }
        }
        // SystemRandomNumberGenerator is the kernel's CSPRNG (getrandom) on Linux.
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let temporary = path + ".part"
        let fd = FileSystem.openNoFollow(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        guard fd >= 0 else { throw SystemError.last("create", temporary) }
        let written = secret.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == 32, synced == 0 else { throw SystemError.last("write", temporary) }
        try FileSystem.rename(temporary, to: path)
        return secret
    }
}

import COpenSSL

/// A SHA-256 digest: the identity of content everywhere in VoiceVault (request hashes and ETags alike).
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    /// The 32 raw digest bytes.
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// 32 bytes the caller has already counted (a record's fixed-width field).
    init(checkedBytes: [UInt8]) {
        precondition(checkedBytes.count == 32)
        bytes = checkedBytes
    }

    /// Parses 64 lowercase hexadecimal characters; anything else (upper case included) is rejected so that one
    /// digest has exactly one spelling in paths, URLs and index keys. `@inlinable`, so that the server's
    /// callers get it specialised for their string type: generic, it cost many times more on every download
    /// (Docs/PERFORMANCE.md).
    @inlinable
    public init?(hex: some StringProtocol) {
        guard let bytes = hex.utf8.withContiguousStorageIfAvailable(Self.parse) ?? Self.parse(Array(hex.utf8)) else { return nil }
        self.init(bytes: bytes)
    }

    /// The 32 bytes spelled by exactly 64 lowercase hexadecimal characters, else nil.
    @usableFromInline static func parse(_ characters: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard characters.count == 64 else { return nil }
        var valid = true
        let parsed = [UInt8](unsafeUninitializedCapacity: 32) { buffer, initialized in
            for index in 0..<32 {
                guard let high = nibble(characters[2 * index]), let low = nibble(characters[2 * index + 1]) else {
                    valid = false
                    return
                }
                buffer[index] = high << 4 | low
                initialized = index + 1
            }
        }
        return valid ? parsed : nil
    }

    @usableFromInline static func parse(_ characters: [UInt8]) -> [UInt8]? {
        characters.withUnsafeBufferPointer(parse)
    }

    public var hex: String {
        bytes.withUnsafeBytes(Self.hex)
    }

    /// Lowercase hex of `raw`, written straight into the string's storage: every cache hit spells its digest
    /// in the answer's URL, and building it through an array cost more than writing it in place.
    static func hex(_ raw: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: raw.count * 2) { buffer in
            for index in 0..<raw.count {
                buffer[index &* 2] = hexDigit(raw[index] >> 4)
                buffer[index &* 2 &+ 1] = hexDigit(raw[index] & 0x0F)
            }
            return raw.count * 2
        }
    }

    /// The lowercase hex digit of a value below 16.
    @inline(__always) static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? 0x30 &+ value : 0x57 &+ value
    }

    public var description: String { hex }

    /// All 32 bytes, compared as four words. The synthesised `==` compared the arrays element by element, and
    /// every download's cache lookups make three comparisons (Docs/PERFORMANCE.md, "Reads asked for near the
    /// head").
    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.bytes.withUnsafeBytes { left in
            rhs.bytes.withUnsafeBytes { right in
                guard left.count == 32, right.count == 32 else { return left.elementsEqual(right) }
                return left.loadUnaligned(fromByteOffset: 0, as: UInt64.self) == right.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
                    && left.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == right.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                    && left.loadUnaligned(fromByteOffset: 16, as: UInt64.self) == right.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
                    && left.loadUnaligned(fromByteOffset: 24, as: UInt64.self) == right.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            }
        }
    }

    /// Hashes the first 8 bytes only: a digest's bytes are already uniformly random, so they spread buckets as
    /// well as all 32 would, at a quarter of the work (every cache and the heard log key on digests; equality
    /// still compares all 32). Finding digests that agree in 64 bits means about 2^32 SHA-256 preimages per
    /// collision pair even before `Hasher`'s per-process seed, so this is no opening for hash flooding.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
    }

    /// One-shot digest of a byte buffer.
    public static func of(_ data: some Sequence<UInt8>) -> SHA256Digest {
        var hasher = SHA256Hasher()
        hasher.update(Array(data))
        return hasher.finalize()
    }

    public static func of(_ string: String) -> SHA256Digest {
        of(Array(string.utf8))
    }

    @usableFromInline static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}

/// Incremental SHA-256 over libcrypto's EVP interface, so files can be hashed while they stream through.
///
/// A struct with a class inside: the EVP context is a C resource that must be freed exactly once.
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    public init() {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else { fatalError("EVP_DigestInit_ex(sha256) failed") }
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public consuming func finalize() -> SHA256Digest {
        finalizeCopy()
    }

    /// The digest of everything so far, for a hasher kept inside another value (a lock's state) that cannot be
    /// consumed. Nothing may be added after it.
    public mutating func finalizeCopy() -> SHA256Digest {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        out.withUnsafeMutableBufferPointer { buffer in
            _ = EVP_DigestFinal_ex(context, buffer.baseAddress, &length)
        }
        // The digest has exactly 32 bytes by construction of SHA-256.
        return SHA256Digest(uncheckedBytes: out)
    }
}

extension SHA256Digest {
    fileprivate init(uncheckedBytes: [UInt8]) { self.bytes = uncheckedBytes }
}

public import Foundation
import Synchronization
public import VaultCore

public enum TestPaths {
    /// The repository root, found from this file's location so tests run from any working directory.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func fixture(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    /// Where `swift build` put the executables (beside the test bundle); VOICEVAULT_BIN_DIR overrides.
    public static var productsDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["VOICEVAULT_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }
}

/// A fresh directory under /tmp, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "vv") {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { buffer -> String in
            guard let base = buffer.baseAddress, let made = mkdtemp(base) else { fatalError("mkdtemp failed") }
            return String(cString: made)
        }
    }

    private let keeping = Mutex(false)

    deinit {
        if !keeping.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Leaves the directory in place when the value is released: something else now removes it.
    public func keep() { keeping.withLock { $0 = true } }

    public func sub(_ name: String) -> String { path + "/" + name }
}

public extension StorageIdentifier {
    /// A known-good identifier for tests.
    public static func book(_ value: String) -> StorageIdentifier {
        // swiftlint:disable:next force_try
        try! StorageIdentifier(value, kind: .bookId)
    }
}

public extension SHA256Digest {
    /// A deterministic digest for tests.
    public static func test(_ seed: String) -> SHA256Digest { .of(seed) }
}

public func sampleMetadata(voice: String = "voice1") -> AssetMetadata {
    AssetMetadata(
        voiceId: voice, modelId: "eleven_multilingual_v2", outputFormat: "mp3_44100_128", wordCount: 2,
        characterCount: 13)
}

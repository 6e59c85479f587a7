import Foundation
@testable import VaultCore

enum TestPaths {
    /// The repository root, found from this file's location so tests run from any working directory.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    /// Where `swift build` put the executables (beside the test bundle); VOICEVAULT_BIN_DIR overrides.
    static var productsDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["VOICEVAULT_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }
}

/// A fresh directory under /tmp, removed when the value is released.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init(_ label: String = "vv") {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { buffer -> String in
            guard let base = buffer.baseAddress, let made = mkdtemp(base) else { fatalError("mkdtemp failed") }
            return String(cString: made)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ name: String) -> String { path + "/" + name }
}

extension StorageIdentifier {
    /// A known-good identifier for tests.
    static func book(_ value: String) -> StorageIdentifier {
        // swiftlint:disable:next force_try
        try! StorageIdentifier(value, kind: .bookId)
    }
}

extension SHA256Digest {
    /// A deterministic digest for tests.
    static func test(_ seed: String) -> SHA256Digest { .of(seed) }
}

func sampleMetadata(voice: String = "voice1") -> AssetMetadata {
    AssetMetadata(voiceId: voice, modelId: "eleven_multilingual_v2", outputFormat: "mp3_44100_128", wordCount: 2,
                  characterCount: 13)
}

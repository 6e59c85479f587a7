import Foundation
import VaultCore

/// The child process of the crash test (Tests/VaultCoreTests/CrashTests.swift).
///
/// It opens a data directory the way the server does (lock, sweep temp files), prints `ready`, then publishes
/// assets, links some into a second book and deletes others, forever or until `--count` operations. With
/// `--kill-at STEP --kill-on K` it SIGKILLs itself the K-th time publication reaches STEP; otherwise the
/// parent kills it at a random moment. Either way, the next open plus fsck must find no index record
/// without a correct file.
///
///     vault-crash-drill --data-dir D [--count N] [--kill-at STEP --kill-on K] [--seed S]
@main
struct CrashDrill {
    static func main() throws {
        let arguments = Arguments(CommandLine.arguments.dropFirst())
        guard let dataDirectory = arguments["--data-dir"] else {
            FileHandle.standardError.write(Data("usage: vault-crash-drill --data-dir D [--count N] [--kill-at STEP --kill-on K] [--seed S]\n".utf8))
            exit(64)
        }
        let count = arguments["--count"].flatMap(Int.init) ?? Int.max
        let seed = arguments["--seed"] ?? "0"
        var observer: PublicationObserver?
        if let stepName = arguments["--kill-at"] {
            guard let step = PublicationStep(rawValue: stepName) else {
                FileHandle.standardError.write(Data("unknown step \(stepName); one of \(PublicationStep.allCases.map(\.rawValue))\n".utf8))
                exit(64)
            }
            let killOn = arguments["--kill-on"].flatMap(Int.init) ?? 1
            let counter = StepCounter()
            observer = { reached in
                if reached == step, counter.increment() == killOn { kill(getpid(), SIGKILL) }
            }
        }

        let vault = try OpenedVault(root: dataDirectory, observer: observer)
        let store = vault.store
        // Unbuffered, so the parent sees it at once.
        FileHandle.standardOutput.write(Data("ready\n".utf8))

        let metadata = AssetMetadata(voiceId: "drill", modelId: "drill_model", outputFormat: "mp3_44100_128",
                                     wordCount: 1, characterCount: 5)
        var operation = 0
        while operation < count {
            let hash = SHA256Digest.of("drill-\(seed)-\(operation)")
            let book = try StorageIdentifier("book-\(operation % 3)", kind: .bookId)
            // Sizes vary so that a short or mixed-up file would show in the recorded size.
            let audio = SilentMP3.make(frames: 20 + operation % 40, seed: UInt8(truncatingIfNeeded: operation))
            _ = try store.publish(audio, hash: hash, bookId: book, metadata: metadata)
            if operation % 3 == 0 {
                _ = try store.link(hash, to: try StorageIdentifier("shared", kind: .bookId))
            }
            if operation % 7 == 6 {
                let old = SHA256Digest.of("drill-\(seed)-\(operation - 4)")
                if try store.record(for: old) != nil { try store.remove(old) }
            }
            operation += 1
        }
        withExtendedLifetime(vault) {}
    }
}

/// Counts step occurrences from whichever thread publishes.
final class StepCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func increment() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}

/// `--name value` pairs.
struct Arguments {
    private var values: [String: String] = [:]

    init(_ arguments: ArraySlice<String>) {
        var iterator = arguments.makeIterator()
        while let name = iterator.next() {
            if let value = iterator.next() { values[name] = value }
        }
    }

    subscript(name: String) -> String? { values[name] }
}

import Foundation
import VaultCluster
import VaultCore

/// The child process of the crash test (Tests/VaultCoreTests/CrashTests.swift).
///
/// It opens a data directory the way the server does (lock, sweep temp files), prints `ready`, then publishes
/// assets, links some into a second book, unlinks some of those, deletes others and now and then a whole book,
/// and between them writes,
/// overwrites, copies and removes Storage objects, forever or until `--count` operations. With
/// `--kill-at STEP --kill-on K` it SIGKILLs itself the K-th time a write reaches STEP (a `PublicationStep` or
/// an `ObjectWriteStep`); otherwise the parent kills it at a random moment. Either way, the next open plus
/// fsck must find no index or catalog record without a correct file.
///
/// Every other asset is a streamed generation through `VoiceService` (staged piece by piece, published from
/// the staged file), and now and then one that turns out invalid at its end: killed anywhere in either, nothing
/// may be indexed unless whole.
///
/// With `--import DB --files DIR` it runs a legacy import (`LegacyImporter`, bucket `book-audio`) instead, so the
/// same kills land inside an import's publications and links.
///
///     vault-crash-drill --data-dir D [--count N] [--kill-at STEP --kill-on K] [--seed S] [--streamed-only yes]
///     vault-crash-drill --data-dir D --import legacy.sqlite --files DIR [--kill-at STEP --kill-on K]
///
/// With `--quota BYTES` it publishes 30 assets in three books (once; a second run finds them), pins `book-0`,
/// and runs the disk quota (`AssetEviction`) down to 90 % of BYTES: kills at the deletion steps land inside
/// evictions.
///
///     vault-crash-drill --data-dir D --quota BYTES [--kill-at STEP --kill-on K]
///
/// With `--resumable ROUND` it recovers resumable uploads as the server does at start, finishes any left in
/// progress (their bytes come from the round recorded in their metadata), then uploads four objects for
/// ROUND through `ResumableUploadStore` in small checkpointed pieces, replacing the last round's: kills at the
/// `ResumableStep`s and the `ObjectWriteStep`s land inside checkpoints and commits.
///
///     vault-crash-drill --data-dir D --resumable ROUND [--kill-at STEP --kill-on K]
///
/// With `--multipart ROUND` it does the same for S3 multipart uploads (`MultipartDrill`): kills at the
/// `MultipartStep`s and the publication's `ObjectWriteStep`s land inside completions.
///
///     vault-crash-drill --data-dir D --multipart ROUND [--kill-at STEP --kill-on K]
///
/// With `--jobs yes` it finishes the items of one pre-generation job in `<data>/jobs.sqlite` (`JobsDrill`):
/// kills at the `JobWriteStep`s land inside and after each item's transaction.
///
///     vault-crash-drill --data-dir D --jobs yes [--kill-at STEP --kill-on K]
///
/// With `--jobs yes --cluster yes` the same job is in the cluster's catalog (`PostgresJobCatalog`).
///
/// With `--cluster yes` it is a cluster node (`ClusterDrill`) on the catalog and blob store the environment
/// names: kills at the `ClusterStep`s and the local store's steps land between a generation's blob, its record
/// and its local copy, and inside removals.
///
///     vault-crash-drill --data-dir D --cluster yes [--count N] [--kill-at STEP --kill-on K]
@main
struct CrashDrill {
    static func main() async throws {
        let arguments = Arguments(CommandLine.arguments.dropFirst())
        guard let dataDirectory = arguments["--data-dir"] else {
            FileHandle.standardError.write(
                Data("usage: vault-crash-drill --data-dir D [--count N] [--kill-at STEP --kill-on K] [--seed S]\n".utf8))
            exit(64)
        }
        let count = arguments["--count"].flatMap(Int.init) ?? Int.max
        let seed = arguments["--seed"] ?? "0"
        var observer: PublicationObserver?
        var objectObserver: ObjectWriteObserver?
        var deletionObserver: DeletionObserver?
        var resumableObserver: ResumableStepObserver?
        var multipartObserver: MultipartStepObserver?
        var jobObserver: JobWriteObserver?
        var clusterObserver: ClusterStepObserver?
        if let stepName = arguments["--kill-at"] {
            let killOn = arguments["--kill-on"].flatMap(Int.init) ?? 1
            let counter = StepCounter()
            if let step = PublicationStep(rawValue: stepName) {
                observer = { reached in
                    if reached == step, counter.increment() == killOn { kill(getpid(), SIGKILL) }
                }
            } else if let step = DeletionStep(rawValue: stepName) {
                deletionObserver = { reached in
                    if reached == step, counter.increment() == killOn { kill(getpid(), SIGKILL) }
                }
            } else if let step = ObjectWriteStep(rawValue: stepName) {
                objectObserver = { reached in
                    if reached == step, counter.increment() == killOn { kill(getpid(), SIGKILL) }
                }
            } else if let step = ResumableStep(rawValue: stepName) {
                resumableObserver = { reached in
                    if reached == step, counter.increment() == killOn { kill(getpid(), SIGKILL) }
                }
            } else if let step = JobWriteStep(rawValue: stepName) {
                jobObserver = { reached in
                    if reached == step, counter.increment() == killOn { kill(getpid(), SIGKILL) }
                }
            } else if let step = ClusterStep(rawValue: stepName) {
                clusterObserver = { reached in
                    if reached == step, counter.increment() == killOn { kill(getpid(), SIGKILL) }
                }
            } else if let step = MultipartStep(rawValue: stepName) {
                multipartObserver = { reached in
                    if reached == step, counter.increment() == killOn { kill(getpid(), SIGKILL) }
                }
            } else {
                let steps =
                    PublicationStep.allCases.map(\.rawValue) + DeletionStep.allCases.map(\.rawValue)
                    + ObjectWriteStep.allCases.map(\.rawValue) + ResumableStep.allCases.map(\.rawValue)
                    + MultipartStep.allCases.map(\.rawValue)
                    + JobWriteStep.allCases.map(\.rawValue) + ClusterStep.allCases.map(\.rawValue)
                FileHandle.standardError.write(Data("unknown step \(stepName); one of \(steps)\n".utf8))
                exit(64)
            }
        }

        let vault = try OpenedVault(
            root: dataDirectory, observer: observer, deletionObserver: deletionObserver,
            objectObserver: objectObserver, resumableObserver: resumableObserver,
            multipartObserver: multipartObserver)
        let store = vault.store
        let objects = vault.objects
        if let quota = arguments["--quota"].flatMap(Int.init) {
            FileHandle.standardOutput.write(Data("ready\n".utf8))
            let metadata = AssetMetadata(
                voiceId: "drill", modelId: "drill_model", outputFormat: "mp3_44100_128",
                wordCount: 1, characterCount: 5)
            for number in 0..<30 {
                let hash = SHA256Digest.of("quota-\(number)")
                if try store.record(for: hash) != nil { continue }
                let book = try StorageIdentifier("book-\(number % 3)", kind: .bookId)
                _ = try store.publish(
                    SilentMP3.make(frames: 40 + number), hash: hash, bookId: book, metadata: metadata,
                    now: Date(timeIntervalSince1970: Double(1_700_000_000 + number)))
            }
            try store.index.pin(try StorageIdentifier("book-0", kind: .bookId), at: 1_700_000_000)
            let result = try AssetEviction(store: store, heard: HeardLog(), events: VoiceEventSinks([])).run(limit: quota)
            FileHandle.standardOutput.write(Data("evicted \(result.evicted.count) after \(result.bytesAfter)\n".utf8))
            withExtendedLifetime(vault) {}
            return
        }
        if arguments["--cluster"] == "yes", arguments["--jobs"] == "yes" {
            try await ClusterDrill.jobs(observer: jobObserver)
            withExtendedLifetime(vault) {}
            return
        }
        if arguments["--cluster"] == "yes" {
            try await ClusterDrill(vault: vault, seed: seed, count: count, observer: clusterObserver).run()
            withExtendedLifetime(vault) {}
            return
        }
        if arguments["--jobs"] == "yes" {
            try await JobsDrill(
                store: EmbeddedJobCatalog(store: try JobStore(path: vault.store.directory.jobsFile, observer: jobObserver))
            ).run()
            withExtendedLifetime(vault) {}
            return
        }
        if let round = arguments["--multipart"] {
            try MultipartDrill(store: vault.multipart).run(round: round)
            withExtendedLifetime(vault) {}
            return
        }
        if let round = arguments["--resumable"] {
            try ResumableDrill(uploads: vault.resumable).run(round: round)
            withExtendedLifetime(vault) {}
            return
        }
        if let legacy = arguments["--import"], let files = arguments["--files"] {
            FileHandle.standardOutput.write(Data("ready\n".utf8))
            let importer = LegacyImporter(options: .init(bucket: "book-audio"))
            let summary = try await importer.run(
                database: try SQLiteDatabase(path: legacy, readOnly: true),
                source: LegacyDirectorySource(root: files), store: store)
            FileHandle.standardOutput.write(
                Data("imported \(summary.imported) linked \(summary.linked) present \(summary.alreadyPresent)\n".utf8))
            withExtendedLifetime(vault) {}
            return
        }
        let now = Date().timeIntervalSince1970
        _ = try objects.catalog.ensureBucket(
            BucketRecord(
                id: "drill", name: "drill", isPublic: false, fileSizeLimit: nil, allowedMimeTypes: nil, createdAt: now, updatedAt: now))
        // Unbuffered, so the parent sees it at once.
        FileHandle.standardOutput.write(Data("ready\n".utf8))

        let metadata = AssetMetadata(
            voiceId: "drill", modelId: "drill_model", outputFormat: "mp3_44100_128",
            wordCount: 1, characterCount: 5)
        let voice = VoiceService(store: store, synthesizer: DrillSynthesizer(), dailyCharacterBudget: nil)
        let streamedOnly = arguments["--streamed-only"] == "yes"
        var operation = 0
        while operation < count {
            var hash = SHA256Digest.of("drill-\(seed)-\(operation)")
            let book = try StorageIdentifier("book-\(operation % 3)", kind: .bookId)
            if streamedOnly || operation % 2 == 1 {
                // A streamed generation; one in five is cut short and must leave nothing indexed.
                let spec = try SpeechSpec(text: "Drill \(seed) \(operation)" + (operation % 10 == 5 ? " cut" : ""), voiceId: "drill")
                hash = spec.contentHash
                _ = try? await voice.voice(spec, bookId: book)
            } else {
                // Sizes vary so that a short or mixed-up file would show in the recorded size.
                let audio = SilentMP3.make(frames: 20 + operation % 40, seed: UInt8(truncatingIfNeeded: operation))
                _ = try store.publish(audio, hash: hash, bookId: book, metadata: metadata)
            }
            guard try store.record(for: hash) != nil else {
                operation += 1
                continue
            }
            if operation % 3 == 0 {
                _ = try store.link(hash, to: try StorageIdentifier("shared", kind: .bookId))
            }
            if operation % 7 == 6 {
                let old = SHA256Digest.of("drill-\(seed)-\(operation - 4)")
                if try store.record(for: old) != nil { try store.remove(old) }
            }
            if operation % 9 == 8 {
                // One book's reference goes (as the audio bucket's remove does); the asset stays for its other book.
                let shared = SHA256Digest.of("drill-\(seed)-\(operation - 8)")
                _ = try store.unlink(shared, from: try StorageIdentifier("shared", kind: .bookId))
            }
            if operation % 11 == 10 {
                // A whole book goes (the admin API's book delete): shared audio stays, orphans go with their records.
                _ = try store.removeBook(try StorageIdentifier("book-\((operation / 11) % 3)", kind: .bookId))
            }
            try exerciseObjects(objects, operation: operation, seed: seed)
            operation += 1
        }
        withExtendedLifetime(vault) {}
    }
}

/// Streams silent audio in three pieces with timings, as ElevenLabs streams; text ending in "cut" loses its last
/// bytes, so the generation is found invalid only at its end, after its pieces were staged.
struct DrillSynthesizer: SpeechSynthesizer {
    func synthesize(_ spec: SpeechSpec) async throws -> Generation {
        throw VoiceError.synthesizerFailed("the drill only streams")
    }

    func stream(
        _ spec: SpeechSpec, restart: @escaping @Sendable () async -> Bool,
        deliver: @escaping @Sendable (SynthesisPiece) async throws -> Void
    ) async throws -> SynthesisReceipt {
        var audio = SilentMP3.make(frames: 30 + spec.text.utf8.count % 30, seed: UInt8(truncatingIfNeeded: spec.text.utf8.count))
        if spec.text.hasSuffix("cut") { audio.removeLast(50) }
        let third = audio.count / 3
        let alignment = SpeechAlignment.evenlySpread(spec.text, startMilliseconds: 0, endMilliseconds: 500)
        try await deliver(SynthesisPiece(audio: Array(audio[..<third]), alignment: alignment))
        try await deliver(SynthesisPiece(audio: Array(audio[third..<(2 * third)]), alignment: nil))
        try await deliver(SynthesisPiece(audio: Array(audio[(2 * third)...]), alignment: nil))
        return SynthesisReceipt(requestId: nil, characterCost: spec.text.utf8.count, attempts: 1)
    }
}

/// One round of Storage object writes: an upload that usually replaces an earlier version (so the replaced
/// file's removal is exercised), and now and then a removal and a copy (a hard link to the same bytes).
func exerciseObjects(_ objects: ObjectStore, operation: Int, seed: String) throws {
    let key = "chapters/part-\(operation % 4).bin"
    // Sizes and bytes vary so that a short or mixed-up version file shows in fsck's size and digest checks.
    let size = 200 + (operation * 7919) % 6000
    var generator = SeededBytes(seed: "\(seed)-\(operation)")
    let upload = ObjectStore.Upload(
        bytes: (0..<size).map { _ in generator.next() }, mimeType: "application/octet-stream",
        cacheControl: "max-age=60", userMetadata: nil)
    _ = try objects.put(upload, bucket: "drill", key: key, upsert: true, globalLimit: 1 << 20)
    if operation % 5 == 4 {
        _ = try objects.remove(bucket: "drill", keys: ["chapters/part-\((operation + 2) % 4).bin"])
    }
    if operation % 6 == 5 {
        let copy = "copies/\(seed)-\(operation).bin"
        _ = try objects.copy(bucket: "drill", from: key, to: copy)
        if operation % 12 == 11 { _ = try objects.remove(bucket: "drill", keys: [copy]) }
    }
}

/// Deterministic bytes from a seed (a 64-bit LCG): enough to make each version's content differ.
struct SeededBytes {
    private var state: UInt64

    init(seed: String) {
        state = seed.utf8.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }

    mutating func next() -> UInt8 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
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

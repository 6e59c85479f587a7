import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import VaultCore
import VaultServer

/// `voicevault gc`: the disk quota by hand (Docs/OPERATIONS.md, "Disk quota and eviction"): on a stopped
/// server's directory, or through a running server's `POST /admin/gc` with `--server`.
struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Evict the least recently heard unpinned audio until the store is under its limit (or show what would go).",
        discussion: """
            The limit is --max-bytes, else VOICEVAULT_MAX_STORE_BYTES; the store is brought to 90 % of it. Without
            --server the data directory must not be in use (stop the server, or pass --server URL and
            VOICEVAULT_ADMIN_TOKEN). Exit status: 0 done (or nothing to do); 1 failed; 73 the directory is in use.
            """)

    @OptionGroup var data: DataDirectoryOption

    @Flag(name: .customLong("dry-run"), help: "Show what would be evicted; evict nothing.")
    var dryRun = false

    @Option(name: .customLong("max-bytes"), help: "The limit in bytes (default VOICEVAULT_MAX_STORE_BYTES).")
    var maximumBytes: Int?

    @Option(help: "A running server's URL: ask it (POST /admin/gc, admin token from VOICEVAULT_ADMIN_TOKEN).")
    var server: String?

    @Flag(help: "Print the result as JSON on standard output.")
    var json = false

    func run() async throws {
        let limit =
            try maximumBytes
            ?? {
                let configured = try Environment.integer("VOICEVAULT_MAX_STORE_BYTES", default: 0, minimum: 0)
                return configured > 0 ? configured : nil
            }()
        let result: AssetEviction.Result
        if let server {
            result = try await remote(server, limit: limit)
        } else {
            guard let limit else { throw ValidationError("no limit: pass --max-bytes or set VOICEVAULT_MAX_STORE_BYTES") }
            result = try await local(limit: limit)
        }
        if json {
            try printJSON(result)
            return
        }
        for hash in result.evicted { print("\(result.dryRun ? "would evict" : "evicted") \(hash)") }
        print(
            "store \(result.bytesBefore) bytes, limit \(result.limit), target \(result.target): "
                + "\(result.dryRun ? "would evict" : "evicted") \(result.evicted.count) assets, \(result.bytesFreed) bytes; "
                + "\(result.bytesAfter) bytes after" + (result.skipped > 0 ? "; \(result.skipped) kept (heard or pinned meanwhile)" : ""))
        if result.targetUnreachable { print("pinned audio alone is over the target: raise the limit or unpin a book") }
    }

    /// On the directory itself, with evictions written to the ledger as the server writes them.
    func local(limit: Int) async throws -> AssetEviction.Result {
        let vault: OpenedVault
        do {
            vault = try OpenedVault(root: data.resolved, logger: makeLogger(label: "voicevault.gc", level: "warning"))
        } catch {
            FileHandle.standardError.write(Data("voicevault gc: \(error)\n(with a server running, use --server URL)\n".utf8))
            throw ExitCode(73)
        }
        let writer = UsageLedger.openOrSetAside(in: vault.store.directory, logger: makeLogger(label: "voicevault.gc", level: "warning"))
            .map { LedgerWriter(history: EmbeddedUsageHistory(ledger: $0)) }
        let eviction = AssetEviction(store: vault.store, heard: HeardLog(), events: UsageRecorder(writer: writer))
        let result = try await BlockingIO.run { [dryRun] in try eviction.run(limit: limit, dryRun: dryRun) }
        await writer?.flush()
        withExtendedLifetime(vault) {}
        return result
    }

    func remote(_ server: String, limit: Int?) async throws -> AssetEviction.Result {
        guard let token = Environment.value("VOICEVAULT_ADMIN_TOKEN") else {
            throw ValidationError("--server needs VOICEVAULT_ADMIN_TOKEN")
        }
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        var query = ["dryRun=\(dryRun)"]
        if let limit { query.append("maxBytes=\(limit)") }
        var request = HTTPClientRequest(url: base + "/admin/gc?" + query.joined(separator: "&"))
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer " + token)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else {
            FileHandle.standardError.write(
                Data("voicevault gc: \(server) answered \(response.status.code): \(String(buffer: body))\n".utf8))
            throw ExitCode(1)
        }
        return try JSONDecoder().decode(AssetEviction.Result.self, from: Data(body.readableBytesView))
    }
}

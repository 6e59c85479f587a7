public import Logging
import PostgresNIO
public import VaultCore

/// Keeps a node's local copies in step with removals made anywhere in the cluster (Docs/CLUSTER.md, "Deleting
/// across nodes"). It listens on the catalog's changes channel over a connection of its own and applies each
/// `CatalogChange` to the local store. On every (re)connection it first checks each local record against the
/// catalog, listening already, so a removal made while this node was cut off is applied too and none made
/// during the check is missed.
///
/// Until a change reaches a node, that node may still answer the removed asset from its copy: the window is
/// one notification's delivery while the catalog is reachable (Docs/PERFORMANCE.md measures it).
public struct CatalogFollower: Sendable {
    let configuration: PostgresConnection.Configuration
    let catalog: PostgresAssetCatalog
    let local: AssetStore
    let logger: Logger

    public init(catalogURL: CatalogURL, catalog: PostgresAssetCatalog, local: AssetStore, logger: Logger) {
        configuration = catalogURL.connectionConfiguration
        self.catalog = catalog
        self.local = local
        self.logger = logger
    }

    /// Local records checked against the catalog per query.
    static let reconcilePage = 500

    /// Follows until the task is cancelled, reconnecting after a failure (pausing from 100 ms up to 5 s).
    public func run() async {
        var pause = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: PostgresFlightLock.nextConnectionID(), logger: logger)
                do {
                    // Cancellation closes the connection too, which ends the listening however far it got.
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: PostgresAssetCatalog.changesChannel) { changes in
                            let checked = try await reconcile()
                            logger.info("following the catalog", metadata: ["localRecordsChecked": "\(checked)"])
                            pause = .milliseconds(100)
                            for try await change in changes {
                                guard let change = CatalogChange(payload: change.payload) else { continue }
                                try await apply(change)
                            }
                        }
                    } onCancel: {
                        connection.close().whenComplete { _ in }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                logger.warning("lost the catalog's changes; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    func apply(_ change: CatalogChange) async throws {
        let local = local
        switch change {
        case let .removed(hash):
            _ = try await BlockingIO.run { try local.remove(hash) }
        case let .unlinked(hash, book):
            guard let bookId = try? StorageIdentifier(book, kind: .bookId) else { return }
            _ = try await BlockingIO.run { try local.unlink(hash, from: bookId) }
        }
    }

    /// Drops every local copy the catalog no longer has, and every local book link it no longer has; returns
    /// how many local records were checked.
    public func reconcile() async throws -> Int {
        let local = local
        let held = try await BlockingIO.run {
            var all: [(SHA256Digest, [String])] = []
            try local.index.forEachRecord { record in
                if let hash = SHA256Digest(hex: record.contentHash) { all.append((hash, record.bookIds)) }
            }
            return all
        }
        var start = 0
        while start < held.count {
            let page = held[start..<min(start + Self.reconcilePage, held.count)]
            let known = try await catalog.books(of: page.map(\.0))
            for (hash, books) in page {
                guard let catalogBooks = known[hash] else {
                    try await apply(.removed(hash))
                    continue
                }
                for book in books where !catalogBooks.contains(book) { try await apply(.unlinked(hash, book: book)) }
            }
            start += Self.reconcilePage
        }
        return held.count
    }
}

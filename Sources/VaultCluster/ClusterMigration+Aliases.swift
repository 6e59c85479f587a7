public import VaultCore

/// Legacy aliases in and out of a cluster: each legacy key the source holds is added where the other side has
/// none, in pages, so a run may be stopped anywhere and run again. An alias the other side already holds is
/// kept as it is there, whatever it names (the same import gives the same alias; another one is the other
/// side's own).
extension ClusterMigration {
    public func aliasesIntoCluster(_ summary: inout Summary) async throws {
        try await carryAliases(from: EmbeddedAssetCatalog(index: local.index), to: catalog, &summary)
    }

    public func aliasesOutOfCluster(_ summary: inout Summary) async throws {
        try await carryAliases(from: catalog, to: EmbeddedAssetCatalog(index: local.index), &summary)
    }

    private func carryAliases(from source: any AssetCatalog, to destination: any AssetCatalog, _ summary: inout Summary)
        async throws
    {
        var after: SHA256Digest?
        while true {
            let page = try await source.aliases(after: after, limit: Self.page)
            guard let last = page.last else { return }
            summary.aliases += page.count
            summary.aliasesCopied += try await destination.addAliases(page)
            after = last.legacyKey
        }
    }
}

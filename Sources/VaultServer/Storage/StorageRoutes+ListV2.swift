import Foundation
import Hummingbird
import VaultCore

/// `POST object/list-v2/{bucket}`: cursor-paged listing of a raw key prefix, flat (the default, as upstream)
/// or folded into folders with `with_delimiter: true`.
///
/// Answers `{hasNext, nextCursor?, folders: [{key, name}], objects: [{id, key, name, metadata, ...}]}`. `key`
/// is the full path (a folder's ends in `/`); `name` is the path below the prefix's last folder, so
/// `prefix: "a/b"` lists `a/bc.mp3` as `bc.mp3`, and a folder's name has no trailing `/` (as v1 names it).
extension StorageRoutes {
    /// Upstream's page size limit for list-v2.
    static let maximumListV2Limit = 1000
    /// Most entries one prefix may have for an order other than name ascending, which sorts them all in
    /// memory; name ascending pages straight from the index at any size.
    static let maximumSortedListing = 100_000

    static func listingCursor(_ value: Any?, prefix: String, order: ListingOrder) throws -> ListingCursor? {
        guard let text = value as? String, !text.isEmpty else { return nil }
        guard let cursor = ListingCursor.decode(text, prefix: prefix, order: order) else {
            throw SupabaseError.invalidRequest("cursor is not one this server issued for this prefix and order")
        }
        return cursor
    }

    func listV2(_ bucket: String, _ body: [String: Any]) async throws -> Response {
        guard try await buckets.bucket(bucket) != nil else { throw SupabaseError.bucketNotFound }
        let prefix = body["prefix"] as? String ?? ""
        guard prefix.utf8.count <= StorageName.maximumKeyLength else {
            throw SupabaseError.invalidRequest("prefix is longer than a key can be")
        }
        let limit = min(max(Self.integer(body["limit"]) ?? Self.maximumListV2Limit, 1), Self.maximumListV2Limit)
        let delimited = body["with_delimiter"] as? Bool ?? false
        let sortBy = body["sortBy"] as? [String: Any] ?? [:]
        guard let column = ListingOrder.Column(rawValue: sortBy["column"] as? String ?? "name") else {
            throw SupabaseError.invalidRequest("sortBy.column must be one of \(ListingOrder.Column.allCases.map(\.rawValue))")
        }
        let order = ListingOrder(column: column, ascending: (sortBy["order"] as? String ?? "asc").lowercased() != "desc")
        let cursor = try Self.listingCursor(body["cursor"], prefix: prefix, order: order)
        let source = source(bucket)
        let page: KeyPage
        if order.isKeyOrder {
            page = try await source.keyPage(KeyPageRequest(prefix: prefix, delimited: delimited, after: cursor?.position.key, limit: limit))
        } else {
            let everything = try await source.keyPage(
                KeyPageRequest(prefix: prefix, delimited: delimited, limit: Self.maximumSortedListing))
            guard !everything.isTruncated else {
                throw SupabaseError.invalidRequest(
                    "more than \(Self.maximumSortedListing) entries under this prefix: sort by name ascending, or list a narrower prefix")
            }
            page = order.page(everything.entries, after: cursor?.position, limit: limit)
        }
        let base = prefix.lastIndex(of: "/").map { String(prefix[...$0]) } ?? ""
        func name(_ key: String) -> String {
            var relative = String(key.dropFirst(base.count))
            if relative.hasSuffix("/") { relative.removeLast() }
            return relative
        }
        var folders: [[String: Any]] = []
        var objects: [[String: Any]] = []
        for entry in page.entries {
            switch entry {
            case let .folder(path):
                folders.append(["key": path, "name": name(path)])
            case let .object(record):
                objects.append([
                    "id": record.id, "key": record.key, "name": name(record.key), "metadata": StorageJSON.fileMetadata(record),
                    "user_metadata": StorageJSON.userMetadata(record), "created_at": StorageJSON.time(record.createdAt),
                    "updated_at": StorageJSON.time(record.updatedAt), "last_accessed_at": StorageJSON.time(record.lastAccessedAt),
                ])
            }
        }
        var answer: [String: Any] = ["hasNext": page.isTruncated, "folders": folders, "objects": objects]
        if page.isTruncated, let last = page.entries.last {
            answer["nextCursor"] = ListingCursor(prefix: prefix, order: order, position: order.position(of: last)).encoded
        }
        return StorageJSON.response(answer)
    }
}

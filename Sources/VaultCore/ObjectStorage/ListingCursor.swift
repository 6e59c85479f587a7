import Foundation

/// The order of a `list-v2` page and the opaque cursor that continues it.
///
/// Name order ascending is key order, which the catalog pages by seeking (`KeyPageBuilder`). The other orders
/// (name descending, `created_at`, `updated_at`) sort a whole prefix's entries; for time sorts folders come
/// first (they have no times), as upstream lists them. A cursor names the last entry returned by its place in
/// the order (rank, time, key), not by an offset, so objects added or removed between pages never make a page
/// repeat or skip an entry that stayed.
public struct ListingOrder: Sendable, Equatable {
    public enum Column: String, Sendable, CaseIterable {
        case name, createdAt = "created_at", updatedAt = "updated_at"
    }

    public var column: Column
    public var ascending: Bool

    public init(column: Column = .name, ascending: Bool = true) {
        self.column = column
        self.ascending = ascending
    }

    /// Key order: pages come straight from the index, without sorting.
    public var isKeyOrder: Bool { column == .name && ascending }

    public struct Position: Codable, Sendable, Equatable {
        /// 0 for folders (first in time sorts), 1 for objects; always 0 in name order.
        public var rank: Int
        public var time: Double
        public var key: String
    }

    public func position(of entry: KeyPageEntry) -> Position {
        switch (column, entry) {
        case (.name, _): Position(rank: 0, time: 0, key: entry.key)
        case (_, .folder): Position(rank: 0, time: 0, key: entry.key)
        case let (.createdAt, .object(record)): Position(rank: 1, time: record.createdAt, key: entry.key)
        case let (.updatedAt, .object(record)): Position(rank: 1, time: record.updatedAt, key: entry.key)
        }
    }

    /// Whether `a` comes before `b` in this order.
    public func precedes(_ a: Position, _ b: Position) -> Bool {
        if a.rank != b.rank { return a.rank < b.rank }
        if a.time != b.time { return ascending ? a.time < b.time : a.time > b.time }
        if a.key == b.key { return false }
        return ascending ? KeyPageBuilder.precedes(a.key, b.key) : KeyPageBuilder.precedes(b.key, a.key)
    }

    /// The page after `cursor` of `entries` (all of a prefix's entries, any order).
    public func page(_ entries: [KeyPageEntry], after cursor: Position?, limit: Int) -> KeyPage {
        let ordered = entries.map { (position(of: $0), $0) }
            .filter { entry in cursor.map { precedes($0, entry.0) } ?? true }
            .sorted { precedes($0.0, $1.0) }
        return KeyPage(entries: ordered.prefix(limit).map(\.1), isTruncated: ordered.count > limit)
    }
}

/// The `nextCursor` of a `list-v2` answer: the last entry's position and the order it belongs to, base64url
/// JSON. Opaque to clients; a cursor from another order or prefix, or one that does not decode, is refused.
public struct ListingCursor: Codable, Sendable, Equatable {
    public var prefix: String
    public var column: String
    public var ascending: Bool
    public var position: ListingOrder.Position

    public init(prefix: String, order: ListingOrder, position: ListingOrder.Position) {
        self.prefix = prefix
        column = order.column.rawValue
        ascending = order.ascending
        self.position = position
    }

    public var encoded: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return SignedURLToken.base64URL(Array((try? encoder.encode(self)) ?? Data()))
    }

    /// The cursor in `text`, if it is one this server issued for `prefix` in `order`.
    public static func decode(_ text: String, prefix: String, order: ListingOrder) -> ListingCursor? {
        guard text.utf8.count <= 4096, let bytes = SignedURLToken.decodeBase64URL(text[...]),
            let cursor = try? JSONDecoder().decode(ListingCursor.self, from: Data(bytes)),
            cursor.prefix == prefix, cursor.column == order.column.rawValue, cursor.ascending == order.ascending
        else { return nil }
        return cursor
    }
}

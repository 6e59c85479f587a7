/// Supabase's folder-style listing over flat keys: the immediate children of a prefix, files and folders,
/// searched, sorted, then paged. Pure, so every rule is a unit test.
public struct ObjectListing: Sendable, Equatable {
    public enum Column: String, Sendable, CaseIterable {
        case name, createdAt = "created_at", updatedAt = "updated_at", lastAccessedAt = "last_accessed_at"
    }

    public enum Entry: Sendable, Equatable {
        /// A folder: the next path segment shared by at least one key under the prefix.
        case folder(name: String)
        /// An object directly in the folder; `name` is relative to the prefix.
        case file(name: String, record: ObjectRecord)

        public var name: String {
            switch self {
            case let .folder(name), let .file(name, _): name
            }
        }
    }

    public static let defaultLimit = 100
    public static let maximumLimit = 1500

    public var prefix: String
    public var search: String
    public var column: Column
    public var ascending: Bool
    public var limit: Int
    public var offset: Int

    public init(
        prefix: String = "", search: String = "", column: Column = .name, ascending: Bool = true,
        limit: Int = defaultLimit, offset: Int = 0
    ) {
        self.prefix = prefix
        self.search = search
        self.column = column
        self.ascending = ascending
        self.limit = limit <= 0 ? Self.defaultLimit : min(limit, Self.maximumLimit)
        self.offset = max(0, offset)
    }

    /// `folder` and `folder/` name the same folder; `""` and `/` the bucket's root.
    public var folder: String {
        var folder = prefix
        while folder.hasPrefix("/") { folder.removeFirst() }
        if !folder.isEmpty, !folder.hasSuffix("/") { folder += "/" }
        return folder
    }

    /// The page of entries for `records` (any order; keys need not share the prefix). `knownFolders` are
    /// folder names directly in `folder` that a caller knows without records (the `audio` bucket's books).
    ///
    /// `search` is a case-insensitive prefix of the path below the folder, as upstream matches
    /// `prefix || search` against whole keys: `search: "b/al"` at the root lists the folder `b`, because
    /// `b/alpha.mp3` matches. A search with a `/` therefore needs every record under the folder, not just
    /// its direct children (`needsDeepRecords`).
    public func entries(_ records: [ObjectRecord], knownFolders: [String] = []) -> [Entry] {
        let folder = folder
        var folders = Set<String>()
        var entries: [Entry] = []
        let needle = search.lowercased()
        for name in knownFolders where matches(name, needle) && folders.insert(name).inserted {
            entries.append(.folder(name: name))
        }
        for record in records where record.key.hasPrefix(folder) {
            let rest = record.key.dropFirst(folder.count)
            guard matches(String(rest), needle) else { continue }
            if let slash = rest.firstIndex(of: "/") {
                let name = String(rest[..<slash])
                if folders.insert(name).inserted { entries.append(.folder(name: name)) }
            } else {
                entries.append(.file(name: String(rest), record: record))
            }
        }
        entries.sort(by: precedes)
        return Array(entries.dropFirst(offset).prefix(limit))
    }

    /// Whether the search reaches below the folder's direct children.
    public var needsDeepRecords: Bool { search.contains("/") }

    private func matches(_ name: String, _ needle: String) -> Bool {
        needle.isEmpty || name.lowercased().hasPrefix(needle)
    }

    /// Sorts by the column. Names compare as upstream's `lower(name) COLLATE "C"`: case-insensitive, bytewise,
    /// ties broken by the exact bytes so pages are stable. Folders have no timestamps: in time sorts they all
    /// come first, either direction, as upstream lists them.
    private func precedes(_ a: Entry, _ b: Entry) -> Bool {
        if column != .name {
            switch (value(a), value(b)) {
            case let (x?, y?) where x != y: return ascending ? x < y : x > y
            case (nil, _?): return true
            case (_?, nil): return false
            default: break
            }
        }
        return ascending ? Self.namePrecedes(a.name, b.name) : Self.namePrecedes(b.name, a.name)
    }

    static func namePrecedes(_ a: String, _ b: String) -> Bool {
        let (x, y) = (a.lowercased(), b.lowercased())
        if x != y { return x.utf8.lexicographicallyPrecedes(y.utf8) }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private func value(_ entry: Entry) -> Double? {
        guard case let .file(_, record) = entry else { return nil }
        switch column {
        case .name: return nil
        case .createdAt: return record.createdAt
        case .updatedAt: return record.updatedAt
        case .lastAccessedAt: return record.lastAccessedAt
        }
    }
}

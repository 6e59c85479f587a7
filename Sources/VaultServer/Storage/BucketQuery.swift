import Hummingbird
import VaultCore

/// `GET bucket`'s query options, as storage-js `listBuckets(options)` sends them: `search` (a case-insensitive
/// part of the name), `sortColumn` (`id`, `name`, `created_at`, `updated_at`), `sortOrder`, `limit`, `offset`.
/// Absent options list every bucket by name, as before.
struct BucketQuery: Equatable {
    enum Column: String, CaseIterable { case id, name, createdAt = "created_at", updatedAt = "updated_at" }

    var search = ""
    var column = Column.name
    var ascending = true
    var limit: Int?
    var offset = 0

    init() {}

    /// `parameter` reads one query parameter by name.
    init(_ parameter: (String) -> String?) throws {
        search = parameter("search") ?? ""
        if let name = parameter("sortColumn") {
            guard let column = Column(rawValue: name) else {
                throw SupabaseError.invalidRequest("sortColumn must be one of \(Column.allCases.map(\.rawValue))")
            }
            self.column = column
        }
        if let order = parameter("sortOrder") {
            guard ["asc", "desc"].contains(order.lowercased()) else { throw SupabaseError.invalidRequest("sortOrder must be asc or desc") }
            ascending = order.lowercased() == "asc"
        }
        if let text = parameter("limit") {
            guard let value = Int(text), value >= 0 else { throw SupabaseError.invalidRequest("limit must be a non-negative integer") }
            limit = value
        }
        if let text = parameter("offset") {
            guard let value = Int(text), value >= 0 else { throw SupabaseError.invalidRequest("offset must be a non-negative integer") }
            offset = value
        }
    }

    func apply(to buckets: [BucketRecord]) -> [BucketRecord] {
        let needle = search.lowercased()
        let matching = needle.isEmpty ? buckets : buckets.filter { $0.name.lowercased().contains(needle) }
        let sorted = matching.sorted { a, b in
            let (x, y) = ascending ? (a, b) : (b, a)
            switch column {
            case .id: return x.id.utf8.lexicographicallyPrecedes(y.id.utf8)
            case .name: return x.name.utf8.lexicographicallyPrecedes(y.name.utf8)
            case .createdAt: return (x.createdAt, x.id.utf8.count, x.id) < (y.createdAt, y.id.utf8.count, y.id)
            case .updatedAt: return (x.updatedAt, x.id.utf8.count, x.id) < (y.updatedAt, y.id.utf8.count, y.id)
            }
        }
        let page = sorted.dropFirst(offset)
        return Array(limit.map { page.prefix($0) } ?? page)
    }
}

/// One page of a bucket's keys under a raw key prefix, in bytewise key order, flat or folded into folders at
/// `/`: what Supabase's `list-v2` and S3's `ListObjectsV2` both answer, decided in one place.
///
/// `KeyPageBuilder` is fed keys in ascending order and says after each whether to go on, skip past a folder's
/// whole run (the caller seeks, so a folder of a million objects costs one seek), or stop. It never decodes a
/// record it does not return: the caller passes the decoding as a closure.
public struct KeyPageRequest: Sendable, Equatable {
    public var prefix: String
    /// Fold keys that have a `/` after the prefix into one folder entry each (S3's `delimiter=/`).
    public var delimited: Bool
    /// Only entries whose key sorts after this one (exclusive): a continuation point or S3's `start-after`.
    public var after: String?
    public var limit: Int

    public init(prefix: String, delimited: Bool, after: String? = nil, limit: Int) {
        self.prefix = prefix
        self.delimited = delimited
        self.after = after
        self.limit = max(1, limit)
    }
}

public enum KeyPageEntry: Sendable, Equatable {
    /// Every key that starts with this path (the prefix, then one more segment, then `/`).
    case folder(String)
    case object(ObjectRecord)

    /// The folder path (ending in `/`) or the object key.
    public var key: String {
        switch self {
        case let .folder(path): path
        case let .object(record): record.key
        }
    }
}

public struct KeyPage: Sendable, Equatable {
    public var entries: [KeyPageEntry] = []
    /// More entries follow the last one: continue after `entries.last.key`.
    public var isTruncated = false

    public init(entries: [KeyPageEntry] = [], isTruncated: Bool = false) {
        self.entries = entries
        self.isTruncated = isTruncated
    }
}

public struct KeyPageBuilder {
    public enum Next: Equatable, Sendable {
        case proceed
        /// Skip every key below this one (past a folder already answered or already passed).
        case seek(to: String)
        case stop
    }

    public let request: KeyPageRequest
    public private(set) var page = KeyPage()

    public init(_ request: KeyPageRequest) {
        self.request = request
    }

    /// Where a scan should start: the prefix, or the continuation point when that is further on.
    public var start: String {
        guard let after = request.after, Self.precedes(request.prefix, after) else { return request.prefix }
        return after
    }

    /// Offers the next key in ascending order; `record` decodes it, and is called only for an object returned.
    public mutating func offer(_ key: String, record: () throws -> ObjectRecord) rethrows -> Next {
        guard key.utf8.starts(with: request.prefix.utf8) else {
            return Self.precedes(key, request.prefix) ? .proceed : .stop
        }
        let rest = key.utf8.dropFirst(request.prefix.utf8.count)
        if request.delimited, let slash = rest.firstIndex(of: UInt8(ascii: "/")) {
            let folder = String(decoding: key.utf8[..<key.utf8.index(after: slash)], as: UTF8.self)
            // `0` is the byte after `/`: the first key past every `<folder>...`.
            let past = String(decoding: key.utf8[..<slash], as: UTF8.self) + "0"
            if let after = request.after, !Self.precedes(after, folder) { return .seek(to: past) }
            guard page.entries.count < request.limit else {
                page.isTruncated = true
                return .stop
            }
            page.entries.append(.folder(folder))
            return .seek(to: past)
        }
        if let after = request.after, !Self.precedes(after, key) { return .proceed }
        guard page.entries.count < request.limit else {
            page.isTruncated = true
            return .stop
        }
        page.entries.append(.object(try record()))
        return .proceed
    }

    /// The page of `records` (any order) for `request`: for sources that hold their keys another way.
    /// `folders` are folder paths (ending in `/`) known without their records; used only when delimited.
    public static func page(_ request: KeyPageRequest, of records: [ObjectRecord], folders: [String] = []) -> KeyPage {
        var builder = KeyPageBuilder(request)
        var seekTo: String?
        let known: [(key: String, record: ObjectRecord?)] =
            records.map { ($0.key, $0) } + (request.delimited ? folders.map { ($0, nil) } : [])
        for (key, record) in known.sorted(by: { precedes($0.key, $1.key) }) {
            if let target = seekTo, precedes(key, target) { continue }
            seekTo = nil
            // A folder path offered as a key always folds (it ends in `/`), so its missing record is never read.
            let next = try? builder.offer(key, record: { try record ?? { throw KeyPageError.folderHasNoRecord }() })
            switch next ?? .proceed {
            case .proceed: continue
            case let .seek(to: target): seekTo = target
            case .stop: return builder.page
            }
        }
        return builder.page
    }

    enum KeyPageError: Error { case folderHasNoRecord }

    /// Bytewise order, as LMDB keeps keys and S3 lists them.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

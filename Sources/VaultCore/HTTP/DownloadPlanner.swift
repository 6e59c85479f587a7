/// What to send for a GET or HEAD of a stored file, decided from the request's range and conditional headers
/// and the file's facts alone (RFC 9110 sections 13 and 14). Pure: the streaming layer only carries it out.
public struct DownloadRequest: Sendable, Equatable {
    public enum Method: Sendable, Equatable { case get, head, other }

    public var method: Method
    public var range: String?
    public var ifRange: String?
    public var ifMatch: String?
    public var ifNoneMatch: String?
    public var ifModifiedSince: String?
    public var ifUnmodifiedSince: String?

    public init(
        method: Method = .get, range: String? = nil, ifRange: String? = nil, ifMatch: String? = nil,
        ifNoneMatch: String? = nil, ifModifiedSince: String? = nil, ifUnmodifiedSince: String? = nil
    ) {
        self.method = method
        self.range = range
        self.ifRange = ifRange
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
        self.ifModifiedSince = ifModifiedSince
        self.ifUnmodifiedSince = ifUnmodifiedSince
    }
}

/// What the planner needs to know about the file.
public struct DownloadFacts: Sendable, Equatable {
    public let length: UInt64
    /// The strong entity tag, quoted: `"<sha256>"`.
    public let entityTag: String
    /// Whole seconds since 1970 (HTTP dates have no fractions).
    public let lastModified: Int64

    public init(length: UInt64, entityTag: String, lastModified: Int64) {
        self.length = length
        self.entityTag = entityTag
        self.lastModified = lastModified
    }
}

public enum DownloadPlan: Sendable, Equatable {
    /// 200 with the whole file (HEAD: headers only).
    case full
    /// 206 with one `Content-Range`.
    case partial(ClosedRange<UInt64>)
    /// 206 `multipart/byteranges`, parts in ascending order, none overlapping or adjacent.
    case multipart([ClosedRange<UInt64>])
    /// 304 with the validators and caching headers, no body.
    case notModified
    /// 412.
    case preconditionFailed
    /// 416 with `Content-Range: bytes */<length>`.
    case unsatisfiable
}

public struct DownloadPlanner: Sendable {
    /// More ranges than this and the Range header is ignored (200), as nginx's `max_ranges` does.
    public var maximumRanges: Int

    public init(maximumRanges: Int = 16) {
        self.maximumRanges = maximumRanges
    }

    public func plan(_ request: DownloadRequest, _ facts: DownloadFacts) -> DownloadPlan {
        // RFC 9110 13.2.2: If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since;
        // then If-Range with Range.
        if let ifMatch = request.ifMatch {
            if !EntityTagList.matches(ifMatch, facts.entityTag, weak: false) { return .preconditionFailed }
        } else if let since = request.ifUnmodifiedSince.flatMap(HTTPDate.parse), facts.lastModified > since {
            return .preconditionFailed
        }
        if let ifNoneMatch = request.ifNoneMatch {
            if EntityTagList.matches(ifNoneMatch, facts.entityTag, weak: true) {
                return request.method == .other ? .preconditionFailed : .notModified
            }
        } else if request.method != .other, let since = request.ifModifiedSince.flatMap(HTTPDate.parse),
            facts.lastModified <= since
        {
            return .notModified
        }
        // Range is defined for GET only; HEAD answers as a GET without Range would.
        guard request.method == .get, let header = request.range, let specs = ByteRangeSet.parse(header) else {
            return .full
        }
        if let ifRange = request.ifRange, !ifRangeHolds(ifRange, facts) { return .full }
        guard specs.count <= maximumRanges else { return .full }
        return plan(specs, length: facts.length)
    }

    func plan(_ specs: [ByteRangeSpec], length: UInt64) -> DownloadPlan {
        if length == 0 {
            // Only a non-empty suffix is satisfiable, and what it selects is the whole (empty) file.
            return specs.contains { if case let .suffix(n) = $0 { n > 0 } else { false } } ? .full : .unsatisfiable
        }
        var ranges = [ClosedRange<UInt64>]()
        for spec in specs {
            switch spec {
            case let .from(first, last):
                guard first < length else { continue }
                ranges.append(first...min(last ?? (length - 1), length - 1))
            case let .suffix(n):
                guard n > 0 else { continue }
                ranges.append((n >= length ? 0 : length - n)...(length - 1))
            }
        }
        guard !ranges.isEmpty else { return .unsatisfiable }
        if ranges.count == 1, let only = ranges.first { return .partial(only) }
        // nginx's defence against overlapping-range abuse: asking for more bytes than the file has means the
        // ranges overlap; send the file once instead.
        var total: UInt64 = 0
        for range in ranges {
            let (sum, overflow) = total.addingReportingOverflow(range.upperBound - range.lowerBound + 1)
            if overflow || sum > length { return .full }
            total = sum
        }
        let merged = Self.coalesce(ranges)
        if merged.count == 1, let only = merged.first { return .partial(only) }
        return .multipart(merged)
    }

    /// Sorted, with overlapping and adjacent ranges merged.
    static func coalesce(_ ranges: [ClosedRange<UInt64>]) -> [ClosedRange<UInt64>] {
        var result = [ClosedRange<UInt64>]()
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// If-Range holds for a strong entity tag that matches exactly, or a date equal to Last-Modified.
    func ifRangeHolds(_ value: String, _ facts: DownloadFacts) -> Bool {
        Self.ifRangeHolds(bytes: value.utf8, facts)
    }

    static func ifRangeHolds<Bytes: BidirectionalCollection>(bytes: Bytes, _ facts: DownloadFacts) -> Bool
    where Bytes.Element == UInt8 {
        let value = FieldBytes.trimmed(bytes)
        guard let first = value.first else { return false }
        if first == UInt8(ascii: "W") { return false }  // a weak tag never satisfies If-Range
        if first == UInt8(ascii: "\"") { return value.elementsEqual(facts.entityTag.utf8) }
        guard let date = HTTPDate.parse(bytes: value) else { return false }
        return date == facts.lastModified
    }
}

/// `If-Match` / `If-None-Match` values: `*` or a comma-separated list of entity tags, compared byte for byte.
public enum EntityTagList {
    /// Whether the list names `entityTag`. Weak comparison ignores `W/` on either side; strong comparison
    /// never matches a weak tag.
    public static func matches(_ list: String, _ entityTag: String, weak: Bool) -> Bool {
        matches(bytes: list.utf8, entityTag, weak: weak)
    }

    static func matches<Bytes: BidirectionalCollection>(bytes list: Bytes, _ entityTag: String, weak: Bool) -> Bool
    where Bytes.Element == UInt8 {
        let value = FieldBytes.trimmed(list)
        if value.count == 1, value.first == UInt8(ascii: "*") { return true }
        for item in FieldBytes.split(value, on: UInt8(ascii: ",")) {
            var tag = FieldBytes.trimmed(item)
            if tag.starts(with: "W/".utf8) {
                guard weak else { continue }
                tag = tag.dropFirst(2)
            }
            if tag.elementsEqual(entityTag.utf8) { return true }
        }
        return false
    }
}

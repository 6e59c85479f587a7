import Foundation

/// Where a legacy row's audio lives, as a path relative to the bucket (or the directory of downloaded files),
/// from whatever the old app stored: a bucket-relative path (`book-1/abc.mp3`), the same with the bucket in
/// front (`audio/book-1/abc.mp3`), or a Supabase Storage URL (`https://x.supabase.co/storage/v1/object/public/
/// audio/book-1/abc.mp3`, also `/object/sign/...?token=`, `/object/authenticated/...` and `/object/...`), with or
/// without the origin.
///
/// Pure, and strict about what it lets through: the result is joined to a directory or a URL, so a segment
/// that is empty, `.` or `..` (also once percent-decoded), or holds a control byte or a backslash, is refused
/// rather than resolved.
public struct LegacyStoragePath: Sendable, Equatable, CustomStringConvertible {
    /// Slash-separated segments, none empty, `.` or `..`.
    public let segments: [String]

    public var description: String { segments.joined(separator: "/") }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case empty
        case unsafeSegment(String)
        case notAStorageURL(String)

        public var description: String {
            switch self {
            case .empty: "the storage path is empty"
            case let .unsafeSegment(segment): "the storage path has an unsafe segment '\(segment)'"
            case let .notAStorageURL(url): "'\(url)' is not a Supabase Storage object URL"
            }
        }
    }

    /// - Parameter bucket: the bucket the files came from; a leading segment equal to it is dropped, since
    ///   apps stored paths both with and without it.
    public init(_ stored: String, bucket: String?) throws(Failure) {
        var path = Substring(stored.trimmingWhitespace())
        // A URL's segments are percent-encoded (a key with a space arrives as `%20`); a stored path is not.
        let isURL = path.hasPrefix("http://") || path.hasPrefix("https://") || path.hasPrefix("/storage/v1/object/")
        if isURL {
            path = try Self.objectPath(inURL: path, original: stored)
            if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<query] }
        }
        while path.hasPrefix("/") { path = path.dropFirst() }
        guard !path.isEmpty else { throw .empty }
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: false) {
            var segment = String(raw)
            if isURL {
                guard let decoded = segment.removingPercentEncoding else { throw .unsafeSegment(segment) }
                segment = decoded
            }
            guard !segment.isEmpty, segment != ".", segment != "..", !segment.contains("/"),
                segment.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "\\") })
            else { throw .unsafeSegment(segment) }
            segments.append(segment)
        }
        if let bucket, segments.count > 1, segments[0] == bucket { segments.removeFirst() }
        self.segments = segments
    }

    /// The object path inside a Storage URL: what follows `/storage/v1/object/` and, when present, one of the
    /// access words (`public`, `sign`, `authenticated`), and then the bucket, which stays for `init` to drop.
    static func objectPath(inURL url: Substring, original: String) throws(Failure) -> Substring {
        guard let marker = url.range(of: "/storage/v1/object/") else { throw .notAStorageURL(original) }
        var rest = url[marker.upperBound...]
        for access in ["public/", "sign/", "authenticated/"] where rest.hasPrefix(access) {
            rest = rest.dropFirst(access.count)
            break
        }
        return rest
    }
}

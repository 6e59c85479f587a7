/// Object keys and bucket names as Supabase Storage accepts them, validated before they reach the catalog.
///
/// The charset is the upstream's (`^[A-Za-z0-9_/!.*'() &$=@;:+,?-]*$`, ASCII only). Keys never touch the
/// file system: object bytes live under a generated version id, so a key can hold any of these characters
/// and still cannot name a path. Dot segments are refused all the same (the official clients refuse them
/// too, and `a/../b` meaning something different from `b` would surprise everyone).
public enum StorageName {
    /// LMDB keys hold at most 511 bytes; a catalog key is `<bucket>\0<key>`, so keys get what buckets leave.
    public static let maximumKeyLength = 400
    public static let maximumBucketLength = 100

    /// Why `key` is not a valid object key, or nil when it is.
    public static func keyProblem(_ key: String) -> String? {
        let bytes = Array(key.utf8)
        if bytes.isEmpty { return "must not be empty" }
        if bytes.count > maximumKeyLength { return "must be at most \(maximumKeyLength) bytes" }
        guard bytes.allSatisfy({ isAllowed($0, slash: true) }) else {
            return "may contain only A-Z a-z 0-9 and _ / ! . * ' ( ) space & $ = @ ; : + , ? -"
        }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return "must not contain '.' or '..' segments" }
        if segments.contains(where: \.isEmpty) { return "must not have empty segments (leading, trailing or double '/')" }
        return nil
    }

    /// Names a new bucket may not take: the static segments after `object/` (and `s3`'s neighbours) that the
    /// router matches before a bucket name. A bucket called `upload` would otherwise be unreachable for
    /// uploads under `upload/...`, or swallow signed-upload calls, depending on which rule won.
    public static let reservedBucketNames: Set<String> = [
        "upload", "sign", "list", "list-v2", "info", "public", "authenticated", "move", "copy",
    ]

    /// Whether `name` is a version file name the object store generates: a lowercase UUID. Records are read
    /// back from disk, so fsck checks this before joining a version to a path.
    public static func isVersionName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 36 else { return false }
        for (offset, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(offset) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else if !((48...57).contains(byte) || (97...102).contains(byte)) {
                return false
            }
        }
        return true
    }

    /// Why `name` is not a valid bucket name, or nil when it is.
    public static func bucketProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "must not be empty" }
        if bytes.count > maximumBucketLength { return "must be at most \(maximumBucketLength) characters" }
        guard bytes.allSatisfy({ isAllowed($0, slash: false) }) else {
            return "may contain only A-Z a-z 0-9 and _ ! . * ' ( ) space & $ = @ ; : + , ? -"
        }
        if name == "." || name == ".." { return "must not be '.' or '..'" }
        return nil
    }

    /// Supabase Studio's "create folder" uploads an empty `<folder>/.emptyFolderPlaceholder`; upstream lets it
    /// past a bucket's MIME rules (it is no file of any type), and so does VoiceVault.
    public static func isFolderPlaceholder(_ key: String) -> Bool {
        key.hasSuffix(".emptyFolderPlaceholder")
    }

    /// Why a bucket may not be created under `name`: `bucketProblem`, or a reserved name.
    public static func newBucketProblem(_ name: String) -> String? {
        if let problem = bucketProblem(name) { return problem }
        if reservedBucketNames.contains(name) { return "is reserved: object/\(name)/... is a route of its own" }
        return nil
    }

    static func isAllowed(_ byte: UInt8, slash: Bool) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "/"):
            return slash
        default:
            return "_!.*'() &$=@;:+,?-".utf8.contains(byte)
        }
    }

    /// Decodes `%XX` escapes exactly: `+` stays `+` (it is a plus in a path, not a space), a malformed escape
    /// is an error rather than passed through, and the result must be UTF-8.
    public static func percentDecoded(_ segment: Substring) -> String? {
        guard segment.utf8.contains(UInt8(ascii: "%")) else { return String(segment) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.utf8.count)
        var iterator = segment.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

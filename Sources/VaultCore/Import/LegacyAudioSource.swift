/// What a source answers for one legacy path.
public enum LegacyAudioFetch: Sendable, Equatable {
    case bytes([UInt8])
    case missing
    /// Larger than the import's limit: not read, so a stray huge file cannot exhaust memory.
    case tooLarge
}

/// Where legacy audio files come from: a directory of downloaded files or a Storage bucket.
public protocol LegacyAudioSource: Sendable {
    /// The file at `path`, read whole when it is at most `limit` bytes.
    func fetch(_ path: LegacyStoragePath, limit: Int) async throws -> LegacyAudioFetch
    /// Every file path the source holds, relative like `LegacyStoragePath.description`: the importer reports
    /// those no row names (audio it cannot import, having no text for it).
    func inventory() async throws -> [String]
}

/// Legacy files in a directory (`--files DIR`): the bucket as it was downloaded, `<bookId>/<key>.mp3`.
///
/// The directory's own path is resolved once; below it nothing follows a symbolic link (`FileSystem`), so a
/// link in the tree reads as a missing file rather than leading outside it.
public struct LegacyDirectorySource: LegacyAudioSource {
    public let root: String

    public init(root: String) {
        self.root = DataDirectory(root: root).root
    }

    public func fetch(_ path: LegacyStoragePath, limit: Int) async throws -> LegacyAudioFetch {
        let file = root + "/" + path.description
        return try await BlockingIO.run { try Self.read(file, limit: limit) }
    }

    static func read(_ file: String, limit: Int) throws -> LegacyAudioFetch {
        guard let status = try FileSystem.status(file), status.isRegularFile else { return .missing }
        guard status.size <= limit else { return .tooLarge }
        return .bytes(try FileSystem.readFile(file))
    }

    public func inventory() async throws -> [String] {
        let root = root
        return try await BlockingIO.run {
            var found: [String] = []
            try Self.walk(root, prefix: "", into: &found)
            return found.sorted()
        }
    }

    static func walk(_ directory: String, prefix: String, into found: inout [String]) throws {
        for name in try FileSystem.contents(of: directory) {
            let path = directory + "/" + name
            if FileSystem.isDirectory(path) {
                try walk(path, prefix: prefix + name + "/", into: &found)
            } else if try FileSystem.status(path)?.isRegularFile == true {
                found.append(prefix + name)
            }
        }
    }
}

import Foundation

/// The keys file (`VOICEVAULT_API_KEYS_FILE`): client keys with names and limits of their own, so one reading
/// app cannot spend another's budget.
///
///     {"keys": [{"name": "reader-ios", "key": "…", "dailyCharacters": 200000, "requestsPerMinute": 120}]}
///
/// JSON rather than more syntax in `VOICEVAULT_API_KEYS`: keys are often base64 and may hold any separator
/// a richer one-line syntax would use, and a file can be kept out of the process environment (and so out of
/// `/proc/<pid>/environ` and crash reports).
enum ClientKeyFile {
    struct Entry: Decodable {
        let name: String
        let key: String
        let dailyCharacters: Int?
        let requestsPerMinute: Int?
    }

    struct Document: Decodable {
        let keys: [Entry]
    }

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func keys(from data: Data) throws -> [ClientKey] {
        let document: Document
        do { document = try JSONDecoder().decode(Document.self, from: data) } catch {
            throw Invalid(description: "not a keys file ({\"keys\":[{\"name\":…,\"key\":…}]}): \(error)")
        }
        return try document.keys.map { entry in
            guard !entry.name.isEmpty, entry.name.utf8.count <= 64,
                entry.name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") })
            else {
                throw Invalid(
                    description: "key name \(entry.name.debugDescription) must be 1-64 printable ASCII characters without spaces or quotes")
            }
            guard entry.key.utf8.count >= 16 else {
                throw Invalid(description: "the key named \(entry.name) is shorter than 16 characters; use a long random secret")
            }
            if let limit = entry.dailyCharacters, limit < 0 { throw Invalid(description: "\(entry.name): dailyCharacters must be >= 0") }
            if let limit = entry.requestsPerMinute, limit < 1 {
                throw Invalid(description: "\(entry.name): requestsPerMinute must be >= 1")
            }
            return ClientKey(
                secret: entry.key, name: entry.name, dailyCharacterLimit: entry.dailyCharacters,
                requestsPerMinute: entry.requestsPerMinute)
        }
    }
}

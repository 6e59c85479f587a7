import ArgumentParser
import Foundation
import VaultServer

/// `--data-dir`, falling back to `VOICEVAULT_DATA_DIR`, then `./data`. Shared by every subcommand that
/// opens a data directory, so they all agree on where it is.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (env VOICEVAULT_DATA_DIR; default ./data).")
    var dataDirectory: String?

    var resolved: String {
        dataDirectory ?? Environment.value("VOICEVAULT_DATA_DIR") ?? ServerConfiguration.defaultDataDirectory
    }
}

enum Environment {
    /// A non-empty environment variable.
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// An integer environment variable; a malformed one stops start-up with a clear message.
    static func integer(_ name: String, default fallback: Int, minimum: Int) throws -> Int {
        guard let raw = value(name) else { return fallback }
        guard let number = Int(raw), number >= minimum else {
            throw ValidationError("\(name)=\(raw) must be an integer >= \(minimum)")
        }
        return number
    }
}

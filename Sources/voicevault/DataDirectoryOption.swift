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

/// The process's settings, read the way `ConfigurationResolution` reads the server's.
enum Environment {
    static var settings: ConfigurationResolution.Settings { .init(ProcessInfo.processInfo.environment) }

    /// A non-empty environment variable.
    static func value(_ name: String) -> String? { settings[name] }

    /// An integer environment variable; a malformed one stops start-up with a clear message.
    static func integer(_ name: String, default fallback: Int, minimum: Int) throws -> Int {
        do { return try settings.integer(name, default: fallback, minimum: minimum) } catch { throw ValidationError(error.message) }
    }
}

/// A command's `--json` output: keys sorted, indented, slashes as they are (paths and URLs stay readable).
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

import Foundation
import Testing
import VaultTestSupport
@testable import VaultServer

@Suite struct ConfigurationResolutionTests {
    func resolve(
        _ environment: [String: String], flags: ConfigurationResolution.Flags = .init(),
        files: [String: String] = [:]
    ) throws(ConfigurationResolution.Problem) -> ServerConfiguration {
        try ConfigurationResolution.resolve(flags: flags, environment: environment, descriptorLimit: 1024) { path in
            guard let text = files[path] else { throw CocoaError(.fileNoSuchFile) }
            return Data(text.utf8)
        }
    }

    @Test func defaultsWithNothingSet() throws {
        let configuration = try resolve([:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.dataDirectory == "./data")
        #expect(configuration.clientKeys.isEmpty)
        #expect(configuration.adminCredential == nil)
        #expect(configuration.dailyCharacterBudget == nil || configuration.dailyCharacterBudget == 0)
        #expect(configuration.connectionLimits.maximumConnections == ConnectionLimits.defaultMaximumConnections(descriptorLimit: 1024))
        #expect(configuration.openFileCacheEntries == 128)
        #expect(try resolve(["VOICEVAULT_OPEN_FILE_CACHE": "0"]).openFileCacheEntries == 0)
        #expect(try resolve(["VOICEVAULT_OPEN_FILE_CACHE": "1000"]).openFileCacheEntries == 1000)
    }

    @Test func theS3KeyPairIsBothOrNeither() throws {
        #expect(try resolve([:]).s3Credentials == nil)
        let on = try resolve(["VOICEVAULT_S3_ACCESS_KEY_ID": "id", "VOICEVAULT_S3_SECRET_ACCESS_KEY": "a-secret-of-16-chars"])
        #expect(on.s3Credentials == .init(accessKeyId: "id", secretAccessKey: "a-secret-of-16-chars"))
        #expect(throws: ConfigurationResolution.Problem.self) { try resolve(["VOICEVAULT_S3_ACCESS_KEY_ID": "id"]) }
        #expect(throws: ConfigurationResolution.Problem.self) { try resolve(["VOICEVAULT_S3_SECRET_ACCESS_KEY": "a-secret-of-16-chars"]) }
        #expect(throws: ConfigurationResolution.Problem.self) {
            try resolve(["VOICEVAULT_S3_ACCESS_KEY_ID": "id", "VOICEVAULT_S3_SECRET_ACCESS_KEY": "short"])
        }
        let resumable = try resolve(["VOICEVAULT_RESUMABLE_EXPIRY_SECONDS": "60", "VOICEVAULT_RESUMABLE_MAX_UPLOADS": "5"])
        #expect((resumable.resumableExpirySeconds, resumable.maximumResumableUploads) == (60, 5))
        #expect(throws: ConfigurationResolution.Problem.self) { try resolve(["VOICEVAULT_RESUMABLE_EXPIRY_SECONDS": "0"]) }
    }

    @Test func flagsWinOverTheEnvironment() throws {
        let configuration = try resolve(
            ["VOICEVAULT_HOST": "0.0.0.0", "VOICEVAULT_PORT": "9000", "VOICEVAULT_DATA_DIR": "/env"],
            flags: .init(host: "::1", port: 0, dataDirectory: "/flag"))
        #expect(configuration.host == "::1")
        #expect(configuration.port == 0)
        #expect(configuration.dataDirectory == "/flag")
        let fromEnvironment = try resolve(["VOICEVAULT_HOST": "0.0.0.0", "VOICEVAULT_PORT": "9000", "VOICEVAULT_DATA_DIR": "/env"])
        #expect(fromEnvironment.host == "0.0.0.0")
        #expect(fromEnvironment.port == 9000)
        #expect(fromEnvironment.dataDirectory == "/env")
    }

    @Test(arguments: [
        ["VOICEVAULT_PORT": "http"], ["VOICEVAULT_PORT": "70000"], ["VOICEVAULT_MAX_RANGES": "0"],
        ["VOICEVAULT_IDLE_TIMEOUT_SECONDS": "-1"], ["VOICEVAULT_DOWNLOAD_CACHE_MIB": "lots"], ["VOICEVAULT_OPEN_FILE_CACHE": "-1"],
    ])
    func malformedNumbersStopStartUpNamingTheSetting(_ environment: [String: String]) {
        #expect(throws: ConfigurationResolution.Problem.self) { try resolve(environment) }
        do { _ = try resolve(environment) } catch {
            let name = environment.keys.first ?? ""
            #expect(error.message.contains(name == "VOICEVAULT_PORT" && environment[name] == "70000" ? "--port" : name))
        }
    }

    @Test func switchesReadTrueAndFalseInTheUsualSpellingsAndRefuseTheRest() throws {
        #expect(try resolve([:]).fastPath && resolve([:]).accessLog && !resolve([:]).metricsPublic)
        for off in ["false", "0", "no", "off", "OFF", "False"] {
            let configuration = try resolve(["VOICEVAULT_FAST_PATH": off, "VOICEVAULT_ACCESS_LOG": off])
            #expect(!configuration.fastPath && !configuration.accessLog, "\(off)")
        }
        for on in ["true", "1", "yes", "on", "TRUE"] {
            #expect(try resolve(["VOICEVAULT_METRICS_PUBLIC": on]).metricsPublic, "\(on)")
        }
        for name in ["VOICEVAULT_FAST_PATH", "VOICEVAULT_ACCESS_LOG", "VOICEVAULT_METRICS_PUBLIC"] {
            #expect(throws: ConfigurationResolution.Problem("\(name)=maybe must be true or false")) { try resolve([name: "maybe"]) }
        }
    }

    @Test func anEmptySettingCountsAsUnset() throws {
        #expect(try resolve(["VOICEVAULT_PORT": "", "VOICEVAULT_ADMIN_TOKEN": ""]).port == 8080)
        #expect(try resolve(["VOICEVAULT_ADMIN_TOKEN": ""]).adminCredential == nil)
    }

    @Test func plainKeysKeepWorkingAndGetStableIds() throws {
        let configuration = try resolve(["VOICEVAULT_API_KEYS": " alpha-key , beta-key,,"])
        #expect(configuration.clientKeys.map(\.id) == [ClientKey.id(of: "alpha-key"), ClientKey.id(of: "beta-key")])
        #expect(configuration.clientKeys.allSatisfy { $0.name == $0.id && $0.dailyCharacterLimit == nil })
        #expect(ClientKey.id(of: "alpha-key").hasPrefix("key_"))
        #expect(ClientKey.id(of: "alpha-key").count == 16)
        #expect(!ClientKey.id(of: "alpha-key").contains("alpha"))
    }

    @Test func theKeysFileNamesKeysAndGivesThemLimits() throws {
        let file =
            #"{"keys":[{"name":"reader-ios","key":"0123456789abcdef-ios","dailyCharacters":1000,"requestsPerMinute":60},{"name":"web","key":"0123456789abcdef-web"}]}"#
        let configuration = try resolve(
            ["VOICEVAULT_API_KEYS": "plain-key", "VOICEVAULT_API_KEYS_FILE": "/keys.json"],
            files: ["/keys.json": file])
        #expect(configuration.clientKeys.map(\.name) == [ClientKey.id(of: "plain-key"), "reader-ios", "web"])
        let ios = try #require(configuration.clientKeys.first { $0.name == "reader-ios" })
        #expect(ios.dailyCharacterLimit == 1000)
        #expect(ios.requestsPerMinute == 60)
        #expect(!"\(ios)".contains("0123456789abcdef"), "a key's description must not show its secret")
        #expect(APIKeyAuthenticator(keys: configuration.clientKeys).key(anyOf: ["0123456789abcdef-web"])?.name == "web")
    }

    @Test(arguments: [
        ("not json", "not a keys file"),
        (#"{"keys":[{"name":"a b","key":"0123456789abcdef"}]}"#, "printable ASCII"),
        (#"{"keys":[{"name":"short","key":"tiny"}]}"#, "shorter than 16"),
        (#"{"keys":[{"name":"a","key":"0123456789abcdef"},{"name":"a","key":"0123456789abcdefg"}]}"#, "named a"),
        (#"{"keys":[{"name":"a","key":"0123456789abcdef"},{"name":"b","key":"0123456789abcdef"}]}"#, "twice"),
        (#"{"keys":[{"name":"a","key":"0123456789abcdef","requestsPerMinute":0}]}"#, "requestsPerMinute"),
    ])
    func aBadKeysFileStopsStartUp(file: String, reason: String) {
        do {
            _ = try resolve(["VOICEVAULT_API_KEYS_FILE": "/k"], files: ["/k": file])
            Issue.record("accepted \(file)")
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
            #expect(!error.message.contains("0123456789abcdef"), "the message must not echo a secret")
        }
    }

    @Test func anUnreadableKeysFileStopsStartUp() {
        #expect(throws: ConfigurationResolution.Problem.self) { try resolve(["VOICEVAULT_API_KEYS_FILE": "/missing"]) }
    }

    @Test func theAdminTokenCannotAlsoBeAClientKey() {
        #expect(throws: ConfigurationResolution.Problem.self) {
            try resolve(["VOICEVAULT_API_KEYS": "one,shared-secret", "VOICEVAULT_ADMIN_TOKEN": "shared-secret"])
        }
    }
}

// swift-tools-version:6.0
import PackageDescription

/// Upcoming features we opt into so the code reads the way Swift 6 intends.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "VoiceVault",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "voicevault", targets: ["voicevault"]),
        .executable(name: "voicevault-bench", targets: ["VaultBenchmarks"]),
        .executable(name: "vault-crash-drill", targets: ["VaultCrashDrill"]),
        .executable(name: "fake-elevenlabs", targets: ["FakeElevenLabs"]),
        .executable(name: "vault-fuzz", targets: ["VaultFuzz"]),
        .library(name: "VaultCore", targets: ["VaultCore"]),
        .library(name: "VaultServer", targets: ["VaultServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        // Hummingbird's own; named for the fuzz target's oracle (NIO's HTTP/1 parser in an EmbeddedChannel).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // System libraries from Debian packages; no vendored C.
        .systemLibrary(name: "CLMDB", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),

        .target(
            name: "VaultCore",
            dependencies: [
                "CLMDB", "COpenSSL", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ElevenLabs",
            dependencies: [
                "VaultCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "VaultCluster",
            dependencies: [
                "VaultCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "VaultServer",
            dependencies: [
                "VaultCore", "ElevenLabs",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "voicevault",
            dependencies: [
                "VaultCore", "VaultServer", "VaultCluster", "ElevenLabs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // A child process for the crash test: publishes assets and SIGKILLs itself at an injected step.
        .executableTarget(
            name: "VaultCrashDrill",
            dependencies: [
                "VaultCore", "VaultCluster",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // A local server speaking the ElevenLabs API, with scripted faults and a call counter.
        .executableTarget(
            name: "FakeElevenLabs",
            dependencies: [
                "VaultCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // libFuzzer targets for the parsers that face client input (Scripts/fuzz.sh builds them with
        // -sanitize=fuzzer); a plain build is a replay tool for what a fuzz run found.
        .executableTarget(
            name: "VaultFuzz",
            dependencies: [
                "VaultCore", "VaultServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Release-build benchmarks (not tests): `swift run -c release voicevault-bench`.
        .executableTarget(
            name: "VaultBenchmarks",
            dependencies: ["VaultCore"],
            swiftSettings: strictSettings
        ),

        // What the test targets share: temp directories, paths, the gated synthesizer, real processes (the
        // server, the fake upstream) and raw sockets. A plain target, so it uses only VaultCore's public API.
        .target(
            name: "VaultTestSupport",
            dependencies: [
                "VaultCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/VaultTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VaultCoreTests",
            dependencies: ["VaultCore", "VaultTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ElevenLabsTests",
            dependencies: ["ElevenLabs", "VaultCore", "VaultTestSupport"],
            swiftSettings: strictSettings
        ),
        // Suites that start the server, the fake upstream or the CLI as processes and talk to them over real
        // sockets; the in-process suites stay in the targets named for their module.
        .testTarget(
            name: "VaultClusterTests",
            dependencies: [
                "VaultCluster", "VaultCore", "VaultTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VaultProcessTests",
            dependencies: [
                "VaultServer", "VaultCore", "VaultTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VaultServerTests",
            dependencies: [
                "VaultServer", "VaultCore", "VaultTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

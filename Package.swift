// swift-tools-version:6.1
import PackageDescription

// Upcoming features as in Hummingbird 2: explicit `any`, imports that are internal unless made public,
// and member lookups that need the module imported where they are used.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// The executables export no dynamic symbols. The linker's default for Swift executables puts every
// symbol in .dynsym, with its hash table and names, which the loader reads at every start and which
// stays mapped. Nothing loads symbols from them (no plugins); backtraces read .symtab.
let executableLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux])),
]

let package = Package(
    name: "cco",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cco", targets: ["cco"]),
        .executable(name: "cco-daemon", targets: ["cco-daemon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // No FullFoundation trait: it loads ICU, which the daemon does not need, into every process.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // C libraries, each imported by exactly one Swift target.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Swift bindings over libsystemd; knows nothing about cco.
        .target(
            name: "CCOSystemd",
            dependencies: [
                .target(name: "CSystemd", condition: .when(platforms: [.linux])),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // A thin owner of SQLite handles; knows nothing about cco.
        .target(name: "CCOSQLite", dependencies: ["CSQLite"], swiftSettings: swiftSettings),
        // The daemon's domain: paths, config, PID file and lock, logs, the standalone lifecycle.
        .target(
            name: "CCOCore",
            dependencies: [
                "CCOSystemd",
                "TOMLKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // Request analytics in SQLite: the schema, the store, the stats queries. Used by the daemon's
        // writer (in CCOGateway) and by `cco stats` when no daemon runs, so it stays free of NIO.
        .target(
            name: "CCOAnalytics",
            dependencies: ["CCOCore", "CCOSQLite"],
            swiftSettings: swiftSettings
        ),
        // The Anthropic-compatible gateway: forwarding, the response cache, usage and metrics.
        .target(
            name: "CCOGateway",
            dependencies: [
                "CCOCore",
                .product(name: "SystemPackage", package: "swift-system"),
                "CCOAnalytics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "DequeModule", package: "swift-collections"),
                "CCOSQLite",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP daemon, built as a ServiceGroup.
        .target(
            name: "CCODaemon",
            dependencies: [
                "CCOCore",
                .product(name: "SystemPackage", package: "swift-system"),
                "CCOAnalytics",
                "CCOGateway",
                "CCOSystemd",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Who runs the daemon: one DaemonSupervisor protocol, with standalone, systemd (over D-Bus)
        // and launchd (through launchctl) conformers.
        .target(
            name: "CCOSupervisor",
            dependencies: [
                "CCOCore",
                "CCOSystemd",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command line; ArgumentParser lives only here.
        .target(
            name: "CCOCLI",
            dependencies: [
                "CCOCore",
                "CCOAnalytics",
                "CCOSupervisor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cco",
            dependencies: ["CCOCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings,
            linkerSettings: executableLinkerSettings
        ),
        // The daemon itself, apart from the command line so that `cco` starts fast: it alone links
        // the HTTP server, the gateway's client, TLS and crypto. `cco daemon run` execs it.
        .executableTarget(
            name: "cco-daemon",
            dependencies: ["CCODaemon", "CCOCore"],
            swiftSettings: swiftSettings,
            linkerSettings: executableLinkerSettings
        ),

        .testTarget(
            name: "CCOSystemdTests",
            dependencies: ["CCOSystemd", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CCOSQLiteTests", dependencies: ["CCOSQLite"], swiftSettings: swiftSettings),
        .testTarget(name: "CCOAnalyticsTests", dependencies: ["CCOAnalytics", "CCOCore", "CCOSQLite", "CCOTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CCOGatewayTests",
            dependencies: [
                "CCOGateway", "CCOCore", "CCOAnalytics", "CCOSQLite", "CCOTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        // Helpers shared by the test targets: temporary directories, small file operations.
        .target(name: "CCOTestSupport", path: "Tests/CCOTestSupport"),
        .testTarget(
            name: "CCOCoreTests",
            dependencies: ["CCOCore", "CCOSystemd", "CCOTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CCOSupervisorTests",
            dependencies: ["CCOSupervisor", "CCOCore", "CCOTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CCODaemonTests",
            dependencies: [
                "CCODaemon", "CCOCore", "CCOGateway",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CCOCLITests",
            dependencies: ["CCOCLI", "CCOCore", "CCOAnalytics", "CCOSupervisor", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        // Drives the built `cco` binary; depending on the executable makes `swift test` build it first.
        // A stand-in for the Anthropic API that the gateway tests and benchmarks run on 127.0.0.1.
        .executableTarget(
            name: "FakeUpstream",
            dependencies: [
                "CCOCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Tests/FakeUpstream"
        ),
        // scripts/bench: a bare relay on NIO, the floor a Swift proxy can reach, beside cco.
        .executableTarget(
            name: "NIORelay",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/NIORelay",
            swiftSettings: swiftSettings
        ),
        // A strict load generator (no retries) for the restart tests and scripts/bench.
        .executableTarget(
            name: "LoadGenerator",
            path: "Tests/LoadGenerator"
        ),
        // scripts/bench: many concurrent long streams through a proxy, as Claude Code makes them.
        .executableTarget(
            name: "StreamProbe",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/StreamProbe"
        ),
        // scripts/bench: rows per second through the analytics writer.
        .executableTarget(
            name: "AnalyticsWriterBench",
            dependencies: ["CCOGateway", "CCOAnalytics", "CCOCore", .product(name: "Logging", package: "swift-log")],
            path: "Tests/Benchmarks/AnalyticsWriterBench"
        ),
        // scripts/bench: what the peer check costs per connection.
        .executableTarget(
            name: "PeerLookupBench",
            dependencies: ["CCODaemon"],
            path: "Tests/Benchmarks/PeerLookupBench"
        ),
        .testTarget(
            name: "CCOIntegrationTests",
            dependencies: [
                "cco", "cco-daemon", "CCOCore", "CCOAnalytics", "CCOSQLite", "FakeUpstream", "LoadGenerator",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)

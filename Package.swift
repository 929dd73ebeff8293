// swift-tools-version:6.1
import PackageDescription

/// Release executables are linked by lld with packed relative relocations (DT_RELR, glibc 2.36 or
/// later): the dynamic loader then reads 40 KB of relocations at start instead of 2 MiB, pages that
/// otherwise stay in the daemon's RSS (Benchmarks/PROFILE.md). lld comes with the Swift toolchain.
let releaseLinking: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"],
        .when(platforms: [.linux], configuration: .release)
    )
]

let package = Package(
    name: "probed",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "probed", targets: ["probed"]),
        .executable(name: "probectl", targets: ["probectl"]),
        .library(name: "ProbeProtocol", targets: ["ProbeProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // libsystemd (sd_notify, sd_listen_fds, sd_watchdog_enabled), from Debian's libsystemd-dev.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // Linux interfaces Glibc does not expose to Swift (recvmmsg, ppoll, cmsg macros, errqueue, netlink).
        .target(name: "CProbeSys"),
        // The wire format: addresses, JSON lines, requests and responses. No dependencies, so that
        // any client can link it cheaply.
        .target(name: "ProbeProtocol"),
        // The configuration file: strict YAML decoding into one typed structure.
        .target(
            name: "ProbeConfig",
            dependencies: [
                "ProbeProtocol",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The engine, checker and query server.
        .target(
            name: "ProbeCore",
            dependencies: [
                "ProbeProtocol",
                "ProbeConfig",
                "CProbeSys",
                "CSystemd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "probed",
            dependencies: [
                "ProbeCore",
                "ProbeConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            linkerSettings: releaseLinking
        ),
        .executableTarget(
            name: "probectl",
            dependencies: [
                "ProbeProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: releaseLinking
        ),

        // Tests.
        .testTarget(name: "ProbeProtocolTests", dependencies: ["ProbeProtocol"]),
        .testTarget(name: "ProbeConfigTests", dependencies: ["ProbeConfig"]),
        .testTarget(
            name: "ProbeCoreTests",
            dependencies: [
                "ProbeCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ProbectlTests",
            dependencies: ["probectl", "ProbeProtocol", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Helpers shared by the lab tests: builds and tears down the network-namespace lab.
        .target(
            name: "LabSupport",
            dependencies: ["ProbeProtocol"],
            path: "Tests/LabSupport"
        ),
        .testTarget(
            name: "LabTests",
            dependencies: ["LabSupport", "ProbeCore", "ProbeProtocol"]
        ),
        // End to end with a real kea-dhcp4 and the hook of integrations/kea (docs/kea.md).
        .testTarget(
            name: "KeaLabTests",
            dependencies: ["LabSupport", "ProbeProtocol"]
        ),
    ]
)

for target in package.targets where target.type != .system && target.name != "CProbeSys" {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}

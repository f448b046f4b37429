// swift-tools-version: 6.1
import PackageDescription

/// Keel: a proof-of-work UTXO node. Targets are split by concern and depend downward only
/// (see README "Architecture"): executables wire, services compose, KeelCore has no I/O.
let package = Package(
    name: "Keel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "keel-node", targets: ["keel-node"]),
        .executable(name: "keel", targets: ["keel"]),
        .executable(name: "keel-sidecar", targets: ["keel-sidecar"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // No default traits: they pull in swift-configuration and all of Foundation (SWIFT-NOTES).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CRocksDB", pkgConfig: "rocksdb", providers: [.apt(["librocksdb-dev"])]),
        .systemLibrary(name: "CJemalloc", pkgConfig: "jemalloc", providers: [.apt(["libjemalloc-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .target(name: "KeelCore", dependencies: [
            "CSodium", "CKeelBuildInfo",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "CKeelSupport"),
        // The commit stamped by scripts/stamp-build (a header kept out of git).
        .target(name: "CKeelBuildInfo"),
        .target(name: "KeelFiles", dependencies: ["CKeelSupport", .product(name: "Logging", package: "swift-log")]),
        .target(name: "KeelStorage", dependencies: [
            "CRocksDB", "CKeelSupport", "KeelCore", "KeelFiles",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "KeelChain", dependencies: [
            "KeelCore", "KeelStorage",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "KeelMining", dependencies: [
            "CKeelSupport", "KeelCore", "KeelChain",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "KeelP2P", dependencies: [
            "KeelAPIModels", "KeelCore", "KeelStorage", "KeelChain", "KeelMetrics",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "KeelMetrics", dependencies: [
            "CKeelSupport", "CJemalloc",
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // The API's request and response bodies: shared by the server, the P2P reports and the client.
        .target(name: "KeelAPIModels", dependencies: ["KeelCore"]),
        .target(name: "KeelAPI", dependencies: [
            "KeelAPIModels", "KeelCore", "KeelStorage", "KeelChain", "KeelFiles",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .target(name: "KeelNode", dependencies: [
            "KeelAPI", "KeelAPIModels", "KeelMetrics", "KeelP2P", "KeelFiles",
            .product(name: "Hummingbird", package: "hummingbird"),
            "KeelCore", "KeelStorage", "KeelChain", "KeelMining",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "keel-node", dependencies: [
            "KeelNode", "KeelCore", "KeelMetrics", "KeelFiles", "KeelP2P",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "KeelClient", dependencies: ["CCurl", "KeelAPIModels", "KeelCore", "KeelFiles"]),
        // The wallet file (sealed keys), coin selection and signing; it pays through KeelClient.
        .target(name: "KeelWallet", dependencies: [
            "KeelAPIModels", "KeelClient", "KeelCore", "KeelFiles",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
        ]),
        .target(name: "KeelSidecar", dependencies: [
            "CKeelSupport", "KeelClient", "KeelWallet", "KeelMetrics", "KeelFiles", "KeelCore",
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "keel-sidecar", dependencies: [
            "KeelSidecar", "KeelClient", "KeelCore", "KeelFiles",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "keel", dependencies: [
            "KeelAPIModels", "KeelCore", "KeelStorage", "KeelChain", "KeelClient", "KeelWallet",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "keel-bench", dependencies: [
            "KeelCore", "KeelStorage", "KeelChain", "KeelTesting", "CSodium", "KeelMining", "KeelMetrics", "KeelClient", "KeelP2P", "KeelNode", "KeelFiles",
            "KeelSidecar",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], path: "Benchmarks/KeelBench"),
        .target(name: "KeelTesting", dependencies: [
            "CKeelSupport", "KeelAPIModels", "KeelCore", "KeelFiles", "KeelStorage", "KeelChain", "KeelClient", "KeelP2P",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "KeelTestingTests", dependencies: ["KeelTesting"]),
        .testTarget(
            name: "KeelWalletTests",
            dependencies: ["KeelWallet", "KeelAPIModels", "KeelCore", "KeelTesting", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "KeelAPIModelsTests", dependencies: ["KeelAPIModels", "KeelCore"]),
        .testTarget(name: "KeelCoreTests", dependencies: ["KeelCore", "KeelTesting"]),
        .testTarget(name: "KeelFilesTests", dependencies: ["KeelFiles", "KeelTesting", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "KeelStorageTests", dependencies: ["KeelStorage", "KeelCore", "KeelTesting", "CRocksDB"]),
        .testTarget(name: "KeelChainTests", dependencies: ["KeelChain", "KeelStorage", "KeelCore", "KeelTesting"]),
        .testTarget(name: "KeelMiningTests", dependencies: ["KeelMining", "KeelChain", "KeelCore", "KeelTesting"]),
        .testTarget(name: "KeelNodeTests", dependencies: ["KeelCore", "KeelChain", "KeelStorage", "KeelP2P", "KeelTesting", "KeelClient", "KeelNode", "KeelMetrics", "KeelFiles"]),
        .testTarget(name: "KeelMetricsTests", dependencies: ["KeelMetrics", "KeelTesting", .product(name: "Prometheus", package: "swift-prometheus")]),
        .testTarget(name: "KeelSidecarTests", dependencies: [
            "KeelSidecar", "KeelTesting", "KeelClient", "KeelFiles",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .testTarget(name: "KeelP2PTests", dependencies: [
            "KeelP2P", "KeelCore", "KeelChain", "KeelStorage", "KeelTesting",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], exclude: ["Fixtures"]),
        .testTarget(name: "KeelAPITests", dependencies: [
            "KeelAPI", "KeelAPIModels", "KeelChain", "KeelCore", "KeelTesting", "KeelMining", "KeelNode", "KeelStorage",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)

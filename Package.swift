// swift-tools-version:6.0
import PackageDescription

// No package dependencies by design: Foundation, Dispatch and system C libraries only.
let package = Package(
    name: "Sportello",
    products: [
        .executable(name: "sportello", targets: ["sportello"]),
        .executable(name: "sportello-bench", targets: ["sportello-bench"]),
        .executable(name: "sportello-fuzz", targets: ["sportello-fuzz"]),
        .library(name: "SportelloCore", targets: ["SportelloCore"]),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CEpoll"),

        .target(name: "SportelloCore"),
        .target(name: "SportelloStore", dependencies: ["SportelloCore", "CSQLite", "CCrypt"]),
        .target(name: "SportelloSite", dependencies: ["SportelloCore", "CZlib"]),
        .target(name: "SportelloNotify", dependencies: ["SportelloCore", "SportelloStore", "SportelloSite"]),
        .target(name: "SportelloHTTP", dependencies: ["SportelloCore", "CEpoll"]),
        .target(
            name: "SportelloApp",
            dependencies: ["SportelloCore", "SportelloStore", "SportelloSite", "SportelloNotify", "SportelloHTTP"]),

        // Fixtures, fuzz targets and mutators, the synthetic comune: for the tests, the bench and the fuzzer only,
        // never linked into `sportello` (docs/ARCHITECTURE.md §1).
        .target(
            name: "SportelloTesting",
            dependencies: ["SportelloCore", "SportelloSite", "SportelloStore", "SportelloHTTP", "SportelloApp"]),

        .executableTarget(name: "sportello", dependencies: ["SportelloApp"]),
        .executableTarget(name: "sportello-bench", dependencies: ["SportelloApp", "SportelloTesting"]),
        .executableTarget(name: "sportello-fuzz", dependencies: ["SportelloApp", "SportelloTesting"]),

        .testTarget(name: "SportelloCoreTests", dependencies: ["SportelloCore", "SportelloTesting"]),
        .testTarget(name: "SportelloStoreTests", dependencies: ["SportelloStore", "SportelloTesting"]),
        .testTarget(name: "SportelloSiteTests", dependencies: ["SportelloSite", "SportelloTesting"]),
        .testTarget(
            name: "SportelloNotifyTests", dependencies: ["SportelloNotify", "SportelloTesting"],
            exclude: ["check_messages.py", "channel_standin.py"]),
        .testTarget(name: "SportelloHTTPTests", dependencies: ["SportelloHTTP", "SportelloTesting"]),
        .testTarget(name: "SportelloAppTests", dependencies: ["SportelloApp", "SportelloTesting"]),
    ]
)

// swift-tools-version:6.0
import PackageDescription

/// Release builds leave out the run-time exclusivity checks of the engine and the
/// language (a call into the runtime on every access to a class's stored property, 9 %
/// of the instructions of a long script); debug builds, which the tests run, keep them.
let release: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "graphrepl",
    products: [
        .executable(name: "graphrepl", targets: ["graphrepl"])
    ],
    targets: [
        .systemLibrary(
            name: "CEdit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        .target(name: "GraphLang", swiftSettings: release),
        .target(name: "CSystem", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Engine", dependencies: ["GraphLang", "CSystem"], swiftSettings: release),
        .executableTarget(
            name: "graphrepl",
            dependencies: [
                "CEdit", "CSystem", "GraphLang", "Engine",
            ]
        ),
        .executableTarget(name: "graphrepl-bench", dependencies: ["CSystem", "GraphLang", "Engine"]),
        .testTarget(name: "GraphLangTests", dependencies: ["GraphLang"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "GraphLang"]),
        .testTarget(
            name: "graphreplTests", dependencies: ["graphrepl", "Engine", "GraphLang"], exclude: ["Regressions"]),
    ]
)

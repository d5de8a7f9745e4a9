// swift-tools-version:6.0
import PackageDescription

/// Release builds leave out the run-time exclusivity checks of the engine and the
/// language (a call into the runtime on every access to a class's stored property, 9 %
/// of the instructions of a long script); debug builds, which the tests run, keep them.
let release: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

/// The release program is linked at a fixed address (not position-independent): the
/// loader then has no 72 000 pointers to relocate at start-up, nor the pages they lie in
/// to copy, which was a fifth of starting (docs/BENCHMARKS.md).
let fixedAddress: [LinkerSetting] = [.unsafeFlags(["-Xclang-linker", "-no-pie"], .when(configuration: .release))]

let package = Package(
    name: "graphrepl",
    products: [
        .executable(name: "graphrepl", targets: ["graphrepl"])
    ],
    targets: [
        // libedit, opened when an interactive session starts (Sources/CEdit/edit.c).
        .target(name: "CEdit", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "GraphLang", swiftSettings: release),
        .target(name: "CSystem", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Engine", dependencies: ["GraphLang", "CSystem"], swiftSettings: release),
        .executableTarget(
            name: "graphrepl",
            dependencies: [
                "CEdit", "CSystem", "GraphLang", "Engine",
            ],
            linkerSettings: fixedAddress
        ),
        .executableTarget(name: "graphrepl-bench", dependencies: ["CSystem", "GraphLang", "Engine"]),
        .testTarget(name: "GraphLangTests", dependencies: ["GraphLang"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "GraphLang"]),
        .testTarget(
            name: "graphreplTests", dependencies: ["graphrepl", "Engine", "GraphLang"], exclude: ["Regressions"]),
    ]
)

// swift-tools-version:6.0
import PackageDescription

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
        .target(name: "GraphLang"),
        .target(name: "CSystem", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Engine", dependencies: ["GraphLang", "CSystem"]),
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

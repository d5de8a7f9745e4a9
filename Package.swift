// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "graphrepl",
    products: [
        .executable(name: "graphrepl", targets: ["graphrepl"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2")
    ],
    targets: [
        .systemLibrary(
            name: "CEdit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        .target(name: "GraphLang"),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "Engine", dependencies: ["GraphLang", "CBLAS"]),
        .executableTarget(
            name: "graphrepl",
            dependencies: [
                "CEdit", "GraphLang", "Engine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "graphrepl-bench", dependencies: ["GraphLang", "Engine"]),
        .testTarget(name: "GraphLangTests", dependencies: ["GraphLang"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "GraphLang"]),
        .testTarget(
            name: "graphreplTests", dependencies: ["graphrepl", "Engine", "GraphLang"], exclude: ["Regressions"]),
    ]
)

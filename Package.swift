// swift-tools-version: 6.1
// The danmaku package: see ../shared/DESIGN.md for the layout and the module rules.
// Only a wrapper module imports its C module: Media → CFFmpeg, Comments → CMeCab,
// Render → CFreeType, Tensor → CBLAS, Features → CHDF5.
import PackageDescription

// Numeric code is compiled for the machine that builds it (like `-march=native`): AVX2 and
// FMA vectorise the attention, softmax, Winograd and compositing loops 8 wide instead of 4.
// The floating-point results are the same: no contraction into FMA, no reassociation.
let native: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]

let package = Package(
    name: "danmaku",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "danmaku", targets: ["danmaku"]),
        .executable(name: "danmaku-bench", targets: ["danmaku-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries: a module map and one shim header each.
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),
        .systemLibrary(name: "CMeCab", providers: [.apt(["libmecab-dev"])]),
        .systemLibrary(name: "CFreeType", pkgConfig: "freetype2", providers: [.apt(["libfreetype-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-serial", providers: [.apt(["libhdf5-dev"])]),

        // Wrappers.
        .target(name: "Tensor", dependencies: ["CBLAS"], swiftSettings: native),
        .target(name: "Media", dependencies: ["CFFmpeg", .product(name: "Logging", package: "swift-log")], swiftSettings: native),
        .target(name: "Comments", dependencies: ["CMeCab", "Tensor", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Render", dependencies: ["CFreeType", "Comments", "Media", .product(name: "Logging", package: "swift-log")], swiftSettings: native),

        // Models.
        .target(name: "Features", dependencies: ["Tensor", "CHDF5", .product(name: "Logging", package: "swift-log")], swiftSettings: native),
        .target(name: "Captioner", dependencies: ["Tensor", .product(name: "Logging", package: "swift-log")], swiftSettings: native),

        // The only module that knows every stage.
        .target(name: "Pipeline", dependencies: [
            "Tensor", "Media", "Comments", "Features", "Captioner", "Render",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),

        // The command line: parses arguments, calls Pipeline, shows progress, maps errors to exit codes.
        .executableTarget(name: "danmaku", dependencies: [
            "Pipeline", "Comments", "Media",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "danmaku-bench", dependencies: ["Tensor", "Pipeline", "Comments", "Media", "Features", "Captioner", "Render"]),

        // Tests: one target per library, a shared support target, and the CLI end to end.
        .target(name: "TestSupport", dependencies: ["Tensor"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "MediaTests", dependencies: ["Media", "Tensor", "TestSupport"]),
        .testTarget(name: "CommentsTests", dependencies: ["Comments", "TestSupport"]),
        .testTarget(name: "FeaturesTests", dependencies: ["Features", "TestSupport"], exclude: ["Resources"]),
        .testTarget(name: "CaptionerTests", dependencies: ["Captioner", "TestSupport"]),
        .testTarget(name: "RenderTests", dependencies: ["Render", "Comments", "Media", "Tensor", "TestSupport", .product(name: "Logging", package: "swift-log")],
                    exclude: ["Resources"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "TestSupport", "Media", "Render"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "Tensor", "Media", "Comments", "Pipeline"]),
        // The real-file suite: third-party files of ../shared/fixtures, run only where they are.
        .testTarget(name: "RealFileTests", dependencies: ["Comments", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

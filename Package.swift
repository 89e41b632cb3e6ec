// swift-tools-version:6.0
// QuantBench: a benchmark and validation suite for quantized neural networks.
import PackageDescription

let package = Package(
    name: "QuantBench",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "quantbench", targets: ["quantbench"]),
        .library(name: "QBIngest", targets: ["QBIngest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // System C libraries (Debian: libjpeg-dev / libjpeg62-turbo-dev, libpng-dev, zlib1g-dev).
        .systemLibrary(
            name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // The C shim: setjmp/longjmp error handling stays inside C, macros become functions.
        .target(name: "CImageShim", dependencies: ["CJPEG", "CPNG", "CZlib"], path: "Sources/CImageShim"),
        // Tensors (shape + Float32 storage); the engine and kernels build on it.
        .target(name: "QBTensor"),
        // Evaluation-set ingestion: image/IDX/text decoding, preprocessing, datasets, tokenizers, fingerprints.
        .target(
            name: "QBIngest",
            dependencies: [
                "QBTensor", "CImageShim",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .executableTarget(
            name: "quantbench",
            dependencies: [
                "QBIngest", "QBTensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "QBTestSupport", path: "Tests/QBTestSupport"),
        .testTarget(name: "QBIngestTests", dependencies: ["QBIngest", "QBTestSupport"]),
    ]
)

// swift-tools-version:6.0
// QuantBench: a benchmark and validation suite for quantized neural networks.
import PackageDescription

/// The modules whose Swift loops run whole models in the tests are optimized in debug builds too (the tests
/// evaluate real models; unoptimized Swift is 10-50x slower there). Release builds are unaffected.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "QuantBench",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "quantbench", targets: ["quantbench"]),
        .library(name: "QBIngest", targets: ["QBIngest"]),
        .library(name: "QBEngine", targets: ["QBEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
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
        .target(name: "QBTensor", dependencies: ["CKernels"]),
        // FP32 kernels in C: AVX2/FMA micro-kernels chosen at run time, portable fallbacks.
        // Optimized in debug builds too: the tests run whole models through these kernels.
        // -ffp-contract=off: no implicit fused multiply-adds, so every path computes the same bits (qb_epilogue.h).
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(["-O2", "-ffp-contract=off"])]),
        // Swift code generated from onnx.proto (scripts/gen_onnx_proto.sh).
        .target(
            name: "ONNXProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // The reference engine: ONNX import, graph checks, shape inference, executor, FP32 operators.
        .target(
            name: "QBEngine", dependencies: ["QBTensor", "ONNXProto", "CKernels"], swiftSettings: optimizedInDebug),
        // Quantization: the methods (int8, FGQ ternary, power-of-two), calibration, integer kernels' Swift side,
        // the serialized weight formats.
        .target(
            name: "QBQuant",
            dependencies: ["QBEngine", "QBTensor", "CKernels", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: optimizedInDebug),
        // Metrics: model evaluation with the engine (accuracy, perplexity), model cards.
        .target(
            name: "QBMetrics", dependencies: ["QBEngine", "QBIngest", "QBTensor"], swiftSettings: optimizedInDebug),
        // The harness: suites, the variant table, results, baselines and gating, reports.
        .target(name: "QBHarness", dependencies: ["QBMetrics", "QBQuant", "QBEngine", "QBIngest", "QBTensor"]),
        // Evaluation-set ingestion: image/IDX/text decoding, preprocessing, datasets, tokenizers, fingerprints.
        .target(
            name: "QBIngest",
            dependencies: [
                "QBTensor", "CImageShim",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: optimizedInDebug),
        .executableTarget(
            name: "quantbench",
            dependencies: [
                "QBIngest", "QBTensor", "QBEngine", "QBMetrics", "QBQuant", "QBHarness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Fuzzing (scripts/fuzz.py; not in CI's default path): the readers of untrusted files as targets, a
        // seeded mutator, and the `qbfuzz` driver.
        .target(name: "QBFuzz", dependencies: ["QBIngest", "QBEngine", "QBHarness"]),
        .executableTarget(name: "qbfuzz", dependencies: ["QBFuzz"]),
        .target(name: "QBTestSupport", path: "Tests/QBTestSupport"),
        // Builds small ONNX models in memory for the engine's and the quantizer's tests.
        .target(name: "QBModelBuilder", dependencies: ["QBEngine", "ONNXProto"], path: "Tests/QBModelBuilder"),
        .testTarget(name: "QBIngestTests", dependencies: ["QBIngest", "QBTestSupport"]),
        .testTarget(
            name: "QBEngineTests",
            dependencies: ["QBEngine", "QBTensor", "CKernels", "ONNXProto", "QBTestSupport", "QBModelBuilder"]),
        .testTarget(
            name: "QBQuantTests",
            dependencies: [
                "QBQuant", "QBEngine", "QBMetrics", "QBTensor", "CKernels", "QBTestSupport", "QBModelBuilder",
            ]),
        .testTarget(name: "QBMetricsTests", dependencies: ["QBMetrics", "QBEngine", "QBIngest", "QBTestSupport"]),
        // End-to-end tests of the `quantbench` binary (run as a child process; `swift test` builds it).
        .testTarget(name: "QuantbenchCLITests", dependencies: ["QBTestSupport"]),
        .testTarget(
            name: "QBHarnessTests",
            dependencies: ["QBHarness", "QBIngest", "QBMetrics", "QBQuant", "QBTensor", "QBFuzz", "QBTestSupport"]),
    ]
)

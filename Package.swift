// swift-tools-version:6.0
import PackageDescription

// MARK: - Build settings

/// Hot numeric code (device loads, sparse LU glue, int8 dot products) drops bounds checks in
/// release builds; `make test` runs the suite on a release build so goldens and fuzzing stay quick.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "Miller",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "miller", targets: ["miller"]),
        .library(name: "Spice", targets: ["Spice"]),
        .library(name: "GGUF", targets: ["GGUF"]),
        .library(name: "Infer", targets: ["Infer"]),
        .library(name: "Agents", targets: ["Agents"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - C shims (one Swift wrapper file each)
        // SuiteSparse (KLU, UMFPACK) and OpenBLAS are opened with dlopen on first use, never linked: linked
        // eagerly they cost every `miller` process ~4.5 ms of loading (see BENCHMARKS.md, small decks).
        .target(name: "CKLU", path: "Sources/CKLU"),
        .target(name: "CBLAS", path: "Sources/CBLAS"),
        // snprintf of one double, so listings avoid Swift's CVarArg casts (start-up cost, see the header).
        .target(name: "CFormat", path: "Sources/CFormat"),
        // AVX2 int8/fp16 kernels for Infer (per-function target attributes; portable Swift fallback).
        .target(name: "CKernels", path: "Sources/CKernels"),

        // MARK: - Libraries
        // What the modules took from Foundation (printf formatting, trimming, locks, threads, standard
        // streams), on libc: nothing links Foundation, whose start-up (CoreFoundation's constructor, ICU)
        // cost every `miller` process about 2 ms; FoundationEssentials (JSON, Data, URL) stays.
        .target(name: "Platform", dependencies: ["CFormat"]),
        .target(name: "Spice", dependencies: ["CKLU", "CFormat", "Platform"], swiftSettings: fast),
        .target(name: "GGUF", swiftSettings: fast),
        .target(name: "Infer", dependencies: ["GGUF", "CBLAS", "CKernels", "Platform"], swiftSettings: fast),
        .target(name: "Agents", dependencies: ["Spice", "Infer", "Platform"], swiftSettings: fast),

        // MARK: - The executable (argument parsing and printing only)
        .executableTarget(
            name: "miller",
            dependencies: [
                "Spice", "GGUF", "Infer", "Agents", "Platform",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // A position-dependent executable needs no start-up relocation of its ~76 000 pointers.
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-no-pie"], .when(platforms: [.linux]))]),

        // MARK: - Tests
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SpiceTests", dependencies: ["Spice", "TestSupport"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "TestSupport"],
                    exclude: ["make-fixtures.py"], resources: [.copy("Fixtures")]),
        .testTarget(name: "InferTests", dependencies: ["Infer", "GGUF", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PlatformTests", dependencies: ["Platform"]),
        .testTarget(name: "AgentsTests", dependencies: ["Agents", "TestSupport"], exclude: ["Fixtures"]),
    ]
)

// swift-tools-version: 6.2
//
// SDSCM: sequence-driven structural causal models on a pure-Swift language-model runtime.
// Layers (dependencies point down only):
//   GGUF (file format) → Tensors (tensor formats, dequantization, kernels) → … → SDSCM (causal core)
//   → SDSCMCommandLine (the `sdscm` commands) → sdscm (executable).
// See Documentation/Architecture.md.

import PackageDescription

let package = Package(
    name: "SDSCM",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SDSCM", targets: ["SDSCM"]),
        .library(name: "GGUF", targets: ["GGUF"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .executable(name: "sdscm", targets: ["sdscm"]),
    ],
    targets: [
        // Layer 1: the GGUF container format (memory-mapped, validated before any pointer is formed).
        .target(name: "GGUF"),
        // Layer 2: ggml tensor formats: block layouts, dequantization, later the matmul kernels.
        .target(name: "Tensors", dependencies: ["GGUF"]),
        // Layer 3: tokenizers identical to llama.cpp's (SentencePiece and byte-level BPE), built from GGUF metadata.
        .target(name: "Tokenizers", dependencies: ["GGUF"]),
        // The public umbrella module users import.
        .target(name: "SDSCM", dependencies: ["GGUF", "Tensors", "Tokenizers"]),
        // The `sdscm` commands, as a library so tests can run them in-process.
        .target(name: "SDSCMCommandLine", dependencies: ["SDSCM"]),
        .executableTarget(name: "sdscm", dependencies: ["SDSCMCommandLine"]),

        // Examples are built with the package so they never rot.
        .executableTarget(name: "ReadGGUF", dependencies: ["SDSCM"], path: "Examples/ReadGGUF"),

        // Shared test helpers: fixture paths, fetched-model lookup, byte builders.
        .target(name: "TestSupport", dependencies: ["SDSCM"], path: "Tests/TestSupport"),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "Tensors", "TestSupport"]),
        .testTarget(name: "TensorsTests", dependencies: ["GGUF", "Tensors", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["GGUF", "Tokenizers", "TestSupport"]),
        .testTarget(name: "CommandLineTests", dependencies: ["SDSCMCommandLine", "TestSupport"]),
    ]
)

// swift-tools-version: 6.2
//
// SDSCM: sequence-driven structural causal models on a pure-Swift language-model runtime.
// Layers (dependencies point down only):
//   GGUF (file format) → Tensors (tensor formats, kernels) → Tokenizers → Transformer (architectures, KV cache)
//   → SDSCM (umbrella, causal core) → SDSCMCommandLine (the `sdscm` commands) → sdscm (executable).
// See Documentation/Architecture.md.

import PackageDescription

// Compute settings for the modules with hot loops. Swift has no per-function target attributes or runtime
// dispatch, and a default x86_64 build targets SSE2, where kernels run at a third of the FMA peak and
// `addingProduct` becomes a libm call. So on x86_64 we compile for Haswell-class CPUs (AVX2, FMA, F16C; every
// x86_64 server since 2013) and define SDSCM_FMA so kernels use fused multiply-add. `SDSCM_PORTABLE=1` builds for
// the baseline instead (slower; kernels then use separate multiply and add). arm64 has FMA in its baseline.
// See Documentation/Performance.md, "Build flags".
let portable = Context.environment["SDSCM_PORTABLE"].map { !$0.isEmpty && $0 != "0" } ?? false
var computeSettings: [SwiftSetting] = []
#if arch(x86_64)
if !portable {
    computeSettings = [.unsafeFlags(["-target-cpu", "haswell"]), .define("SDSCM_FMA")]
}
#elseif arch(arm64)
computeSettings = [.define("SDSCM_FMA")]
#endif

let package = Package(
    name: "SDSCM",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SDSCM", targets: ["SDSCM"]),
        .library(name: "GGUF", targets: ["GGUF"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .library(name: "Transformer", targets: ["Transformer"]),
        .library(name: "Randomness", targets: ["Randomness"]),
        .library(name: "LanguageModels", targets: ["LanguageModels"]),
        .library(name: "BundledModels", targets: ["BundledModels"]),
        .library(name: "Benchmarks", targets: ["Benchmarks"]),
        .library(name: "Estimators", targets: ["Estimators"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Audit", targets: ["Audit"]),
        .executable(name: "sdscm", targets: ["sdscm"]),
    ],
    targets: [
        // Counter-based random numbers (Philox) and platform-independent math for noise: no dependencies.
        .target(name: "Randomness"),
        // Layer 1: the GGUF container format (memory-mapped, validated before any pointer is formed).
        .target(name: "GGUF"),
        // Layer 2: ggml tensor formats: block layouts, dequantization, matmul and elementwise kernels.
        .target(name: "Tensors", dependencies: ["GGUF"], swiftSettings: computeSettings),
        // Layer 3: tokenizers identical to llama.cpp's (SentencePiece and byte-level BPE), built from GGUF metadata.
        .target(name: "Tokenizers", dependencies: ["GGUF"]),
        // Layer 4: architectures (llama, qwen2, qwen3, gpt2), forkable KV cache, batched evaluation.
        .target(name: "Transformer", dependencies: ["GGUF", "Tensors", "Tokenizers", "Randomness"], swiftSettings: computeSettings),
        // Layer 5: the `LanguageModel` protocol the causal core needs, the transformer behind it, and a mock.
        .target(name: "LanguageModels", dependencies: ["Tensors", "Tokenizers", "Transformer", "Randomness"]),
        // Layer 6, the umbrella module users import: the causal core (graph, mechanisms, noise, samplers, exact
        // queries, configuration files) and re-exports of every layer below.
        .target(name: "SDSCM", dependencies: ["GGUF", "Tensors", "Tokenizers", "Transformer", "Randomness", "LanguageModels"]),
        // Layer 7: treatment-effect benchmarks (datasets, ground truth, manifests) above the causal core.
        .target(name: "Benchmarks", dependencies: ["SDSCM"]),
        // The tiny model trained on a known causal world (Tools/tiny-model), shipped as a resource.
        .target(name: "BundledModels", dependencies: ["SDSCM"], resources: [.copy("Resources")]),
        // The `sdscm` commands, as a library so tests can run them in-process.
        .target(name: "SDSCMCommandLine", dependencies: ["SDSCM", "Benchmarks", "BundledModels", "Estimators", "Evaluation", "Audit"]),
        .executableTarget(name: "sdscm", dependencies: ["SDSCMCommandLine"]),

        // Examples are built with the package so they never rot.
        .executableTarget(name: "ReadGGUF", dependencies: ["SDSCM"], path: "Examples/ReadGGUF"),
        .executableTarget(name: "ClinicCounterfactuals", dependencies: ["SDSCM"], path: "Examples/ClinicCounterfactuals"),
        .executableTarget(name: "ConfounderCollider", dependencies: ["SDSCM", "BundledModels"], path: "Examples/ConfounderCollider"),
        .executableTarget(name: "ModelAudit", dependencies: ["Audit", "SDSCM", "BundledModels"], path: "Examples/Audit"),
        .executableTarget(name: "CounterfactualText", dependencies: ["SDSCM", "BundledModels"], path: "Examples/CounterfactualText"),
        .executableTarget(name: "OncologyBenchmark", dependencies: ["SDSCM", "Benchmarks", "BundledModels"], path: "Examples/OncologyBenchmark"),

        // Shared test helpers: fixture paths, fetched-model lookup, byte builders.
        .target(name: "TestSupport", dependencies: ["SDSCM"], path: "Tests/TestSupport"),
        // Treatment-effect estimators and metrics (linear models with scikit-learn semantics, logistic propensities).
        .target(name: "Estimators"),
        // Benchmark tables read back, estimators run over datasets, reports (markdown, CSV, SVG).
        .target(name: "Evaluation", dependencies: ["Estimators"]),
        // Counterfactual audits of a language model: does an attribute change a downstream outcome?
        .target(name: "Audit", dependencies: ["SDSCM"]),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "Tensors", "TestSupport"]),
        .testTarget(name: "TensorsTests", dependencies: ["GGUF", "Tensors", "TestSupport"], swiftSettings: computeSettings),
        .testTarget(name: "TokenizersTests", dependencies: ["GGUF", "Tokenizers", "TestSupport"]),
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "TestSupport"], swiftSettings: computeSettings),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "CausalTests", dependencies: ["SDSCM", "TestSupport"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "BundledModels", "SDSCM", "TestSupport"]),
        .testTarget(name: "EstimatorsTests", dependencies: ["Estimators", "Evaluation", "TestSupport"]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "BundledModels", "SDSCM", "TestSupport"]),
        .testTarget(name: "BundledModelsTests", dependencies: ["BundledModels", "SDSCM", "TestSupport"]),
        .testTarget(name: "CommandLineTests", dependencies: ["SDSCMCommandLine", "TestSupport"]),
    ]
)

// swift-tools-version: 6.2
//
// SDSCM: sequence-driven structural causal models on a pure-Swift language-model runtime.
//
// Two halves, dependencies pointing down only (Documentation/Architecture.md):
//   core:   SDSCMRandomness → SDSCM (graph, mechanisms, the `LanguageModel` protocol, samplers, exact queries)
//           → SDSCMBenchmarks, SDSCMAudit, SDSCMEvaluation (→ SDSCMEstimators)
//   engine: SDSCMGGUF → SDSCMTensors → SDSCMTokenizers → SDSCMTransformer → SDSCMEngine (conforms to `LanguageModel`)
// A package that implements its own `LanguageModel` depends on the `SDSCM` product and builds none of the engine.
// Every target is prefixed SDSCM so that no module name collides with another package's (`Tokenizers`, …).

import PackageDescription
import Foundation

// Compute settings for the modules with hot loops. Swift has no per-function target attributes or runtime
// dispatch, and a default x86_64 build targets SSE2, where kernels run at a third of the FMA peak and
// `addingProduct` becomes a libm call. SwiftPM compiles from source on the machine that runs the build, so, as
// llama.cpp's GGML_NATIVE does, we compile for what that host has: on x86_64 for AVX-512 servers (`skylake-avx512`:
// AVX-512 F/CD/BW/DQ/VL, every Intel server since 2017 and AMD since Zen 4) when /proc/cpuinfo lists avx512f and
// avx512vl, with SDSCM_AVX512 defined (kernels then use register tiles that need AVX-512's 32 vector registers),
// and otherwise for Haswell-class CPUs (AVX2, FMA, F16C; every x86_64 server since 2013). SDSCM_FMA makes kernels
// use fused multiply-add; SDSCM_AVX2 (any non-portable x86_64 build) lets the 8-bit integer kernels use
// `vpmaddubsw`, and SDSCM_VNNI (AVX-512 VNNI on the host or in the named CPU) `vpdpbusd`, with the same integer
// results. Either way every output keeps the same summation order, so these builds write the same bytes.
// Environment switches: `SDSCM_TARGET_CPU=<LLVM CPU name>` (e.g. `haswell` for a binary that must run on older
// machines, `native`, `znver4`; SDSCM_AVX512 is defined when the name is an AVX-512 CPU or `native` on an
// AVX-512 host), `SDSCM_PORTABLE=1` builds for the baseline instead (slower; separate multiply and add). arm64 has
// FMA in its baseline. See Documentation/Performance.md, "Build flags".
let environment = Context.environment
let portable = environment["SDSCM_PORTABLE"].map { !$0.isEmpty && $0 != "0" } ?? false
var computeSettings: [SwiftSetting] = []
#if arch(x86_64)
/// The building host's CPU flags (Linux; elsewhere none are assumed).
func hostCPUFlags() -> Set<String> {
    #if os(Linux)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    return Set(flags.split(separator: " ").map(String.init))
    #else
    return []
    #endif
}
let hostFlags = hostCPUFlags()
/// Whether the building host has AVX-512 F and VL.
func hostHasAVX512() -> Bool { hostFlags.contains("avx512f") && hostFlags.contains("avx512vl") }
/// LLVM CPU names with AVX-512 VNNI (the 8-bit dot-product instruction `vpdpbusd`).
let vnniCPUs: Set<String> = ["cascadelake", "cooperlake", "icelake-client", "icelake-server", "tigerlake", "rocketlake",
                             "sapphirerapids", "emeraldrapids", "graniterapids", "znver4", "znver5"]
/// LLVM CPU names with AVX-512 F and VL.
let avx512CPUs: Set<String> = ["skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "icelake-client",
                                "icelake-server", "tigerlake", "rocketlake", "sapphirerapids", "emeraldrapids",
                                "graniterapids", "znver4", "znver5"]
if !portable {
    let cpu: String
    let avx512: Bool
    if let requested = environment["SDSCM_TARGET_CPU"], !requested.isEmpty {
        cpu = requested
        avx512 = avx512CPUs.contains(requested) || (requested == "native" && hostHasAVX512())
    } else {
        avx512 = hostHasAVX512()
        cpu = avx512 ? "skylake-avx512" : "haswell"
    }
    // VNNI: named by the CPU, or found on the host when the CPU was chosen for it (`skylake-avx512` lacks it, so
    // it is enabled through the C target options, which Swift's code generator shares).
    let vnni: Bool
    if let requested = environment["SDSCM_TARGET_CPU"], !requested.isEmpty {
        vnni = vnniCPUs.contains(requested) || (requested == "native" && hostFlags.contains("avx512_vnni"))
    } else {
        vnni = avx512 && hostFlags.contains("avx512_vnni")
    }
    computeSettings = [.unsafeFlags(["-target-cpu", cpu]), .define("SDSCM_FMA"), .define("SDSCM_AVX2")]
    if avx512 { computeSettings.append(.define("SDSCM_AVX512")) }
    if vnni { computeSettings += [.unsafeFlags(["-Xcc", "-mavx512vnni"]), .define("SDSCM_VNNI")] }
}
#elseif arch(arm64)
computeSettings = [.define("SDSCM_FMA")]
#endif

let package = Package(
    name: "SDSCM",
    platforms: [.macOS(.v15)],
    products: [
        // The causal core and the `LanguageModel` protocol: no engine inside.
        .library(name: "SDSCM", targets: ["SDSCM", "SDSCMRandomness"]),
        // The pure-Swift engine behind `LanguageModel`: GGUF reader, kernels, tokenizers, transformer.
        .library(name: "SDSCMEngine", targets: ["SDSCMEngine", "SDSCMTransformer", "SDSCMTokenizers", "SDSCMTensors", "SDSCMVectorIntrinsics", "SDSCMGGUF"]),
        // Language models behind OpenAI-compatible completions servers (vLLM, SGLang, llama-cpp-python).
        .library(name: "SDSCMServer", targets: ["SDSCMServer"]),
        .library(name: "SDSCMBundledModels", targets: ["SDSCMBundledModels"]),
        .library(name: "SDSCMBenchmarks", targets: ["SDSCMBenchmarks"]),
        .library(name: "SDSCMEstimators", targets: ["SDSCMEstimators"]),
        .library(name: "SDSCMEvaluation", targets: ["SDSCMEvaluation"]),
        .library(name: "SDSCMAudit", targets: ["SDSCMAudit"]),
        .executable(name: "sdscm", targets: ["sdscm"]),
    ],
    targets: [
        // Counter-based random numbers (Philox), Gumbel-max, platform-independent math and hashing: no dependencies.
        .target(name: "SDSCMRandomness"),

        // The causal core users import: graph, mechanisms, the `LanguageModel` protocol, noise, samplers, exact
        // queries, configurations, tables.
        .target(name: "SDSCM", dependencies: ["SDSCMRandomness"]),
        // Above the core: treatment-effect benchmarks, counterfactual audits, estimators and their evaluation.
        .target(name: "SDSCMBenchmarks", dependencies: ["SDSCM"]),
        .target(name: "SDSCMAudit", dependencies: ["SDSCM"]),
        .target(name: "SDSCMEstimators", dependencies: ["SDSCMRandomness"], swiftSettings: computeSettings),
        .target(name: "SDSCMEvaluation", dependencies: ["SDSCMEstimators", "SDSCMBenchmarks", "SDSCM"]),

        // A `LanguageModel` behind an inference server, over FoundationNetworking (no engine).
        .target(name: "SDSCMServer", dependencies: ["SDSCM", "SDSCMRandomness"]),

        // The engine. Layer 1: the GGUF container format (memory-mapped, validated before any pointer is formed).
        .target(name: "SDSCMGGUF"),
        // Layer 2: ggml tensor formats: block layouts, dequantization, matmul and elementwise kernels. The 8-bit
        // dot-product instructions Swift's SIMD types cannot express live in their own module, which sees LLVM's
        // intrinsics through the compiler's `Builtin` module (-parse-stdlib); nothing else is built that way.
        .target(name: "SDSCMVectorIntrinsics", swiftSettings: computeSettings + [.unsafeFlags(["-parse-stdlib"])]),
        .target(name: "SDSCMTensors", dependencies: ["SDSCMGGUF", "SDSCMVectorIntrinsics"], swiftSettings: computeSettings),
        // Layer 3: tokenizers identical to llama.cpp's (SentencePiece and byte-level BPE), built from GGUF metadata.
        .target(name: "SDSCMTokenizers", dependencies: ["SDSCMGGUF", "SDSCMRandomness"]),
        // Layer 4: architectures (llama, qwen2, qwen3, gpt2, gemma3), forkable KV cache, batched evaluation.
        .target(name: "SDSCMTransformer", dependencies: ["SDSCMGGUF", "SDSCMTensors", "SDSCMTokenizers", "SDSCMRandomness"],
                swiftSettings: computeSettings),
        // Layer 5: the transformer as a `LanguageModel`.
        .target(name: "SDSCMEngine", dependencies: ["SDSCM", "SDSCMTransformer", "SDSCMTokenizers", "SDSCMTensors", "SDSCMGGUF"]),
        // The tiny model trained on a known causal world (Tests/Tools/tiny-model), shipped as a resource.
        .target(name: "SDSCMBundledModels", dependencies: ["SDSCM", "SDSCMEngine"], resources: [.copy("Resources")]),

        // The `sdscm` commands, as a library so tests can run them in-process.
        .target(name: "SDSCMCommandLine", dependencies: ["SDSCM", "SDSCMRandomness", "SDSCMEngine", "SDSCMServer", "SDSCMBenchmarks", "SDSCMBundledModels",
                                                          "SDSCMEstimators", "SDSCMEvaluation", "SDSCMAudit"]),
        .executableTarget(name: "sdscm", dependencies: ["SDSCMCommandLine"]),

        // Shared test helpers: fixture paths, fetched-model lookup, byte builders.
        .target(name: "SDSCMTestSupport", path: "Tests/SDSCMTestSupport"),
        .testTarget(name: "SDSCMGGUFTests", dependencies: ["SDSCMGGUF", "SDSCMTensors", "SDSCMTestSupport"]),
        .testTarget(name: "SDSCMTensorsTests", dependencies: ["SDSCMGGUF", "SDSCMTensors", "SDSCMTestSupport"],
                    swiftSettings: computeSettings),
        .testTarget(name: "SDSCMTokenizersTests", dependencies: ["SDSCMGGUF", "SDSCMTokenizers", "SDSCMTestSupport"]),
        .testTarget(name: "SDSCMTransformerTests", dependencies: ["SDSCMTransformer", "SDSCMGGUF", "SDSCMTensors", "SDSCMTokenizers", "SDSCMRandomness", "SDSCMEngine", "SDSCMTestSupport"],
                    swiftSettings: computeSettings),
        .testTarget(name: "SDSCMRandomnessTests", dependencies: ["SDSCMRandomness"]),
        .testTarget(name: "SDSCMCoreTests", dependencies: ["SDSCM", "SDSCMRandomness", "SDSCMTestSupport"]),
        .testTarget(name: "SDSCMBenchmarksTests", dependencies: ["SDSCMBenchmarks", "SDSCMBundledModels", "SDSCM", "SDSCMTestSupport"]),
        .testTarget(name: "SDSCMEstimatorsTests", dependencies: ["SDSCMEstimators", "SDSCMEvaluation", "SDSCMBenchmarks", "SDSCM", "SDSCMTestSupport"]),
        .testTarget(name: "SDSCMAuditTests", dependencies: ["SDSCMAudit", "SDSCMBundledModels", "SDSCM", "SDSCMTestSupport"]),
        .testTarget(name: "SDSCMBundledModelsTests", dependencies: ["SDSCMBundledModels", "SDSCMEngine", "SDSCMTransformer", "SDSCM", "SDSCMTestSupport"]),
        .testTarget(name: "SDSCMServerTests", dependencies: ["SDSCMServer", "SDSCM", "SDSCMEngine", "SDSCMCommandLine", "SDSCMTestSupport"]),
        .testTarget(name: "SDSCMCommandLineTests", dependencies: ["SDSCMCommandLine", "SDSCM", "SDSCMTransformer", "SDSCMTestSupport"]),
    ]
)

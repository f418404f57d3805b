// swift-tools-version: 6.2
//
// SDSCM's examples, as a package that depends on SDSCM the way yours would (here by path; from a clone, by URL).
//
//   cd Examples && swift run -c release ClinicCounterfactuals path/to/model.gguf
//
// Targets that import only `SDSCM` build none of the engine (GGUF reader, kernels, tokenizers, transformer); those
// that run GGUF models import `SDSCMEngine` as well. `NameCollisions` also depends on a stand-in package whose
// targets reuse common module names (`Tokenizers`, `Transformer`, …) to prove that SDSCM's names never collide.

import PackageDescription

let sdscm = Target.Dependency.product(name: "SDSCM", package: "SDSCM")
let engine = Target.Dependency.product(name: "SDSCMEngine", package: "SDSCM")
let bundled = Target.Dependency.product(name: "SDSCMBundledModels", package: "SDSCM")
let standIns = ["Tokenizers", "Transformer", "GGUF", "Tensors", "LanguageModels", "Estimators", "Evaluation", "Audit",
                "Benchmarks", "Randomness"].map { Target.Dependency.product(name: $0, package: "NameCollisionStandIn") }

let package = Package(
    name: "SDSCMExamples",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "SDSCM", path: ".."),
        .package(path: "../Tests/NameCollisionStandIn"),
    ],
    targets: [
        .executableTarget(name: "OwnLanguageModel", dependencies: [sdscm]),
        .executableTarget(name: "NameCollisions", dependencies: [sdscm] + standIns),
        .executableTarget(name: "QuickStart", dependencies: [sdscm, engine]),
        .executableTarget(name: "ReadGGUF", dependencies: [engine]),
        .executableTarget(name: "ClinicCounterfactuals", dependencies: [sdscm, engine]),
        .executableTarget(name: "ConfounderCollider", dependencies: [sdscm, engine, bundled]),
        .executableTarget(name: "NotebookConfounderCollider", dependencies: [sdscm, engine]),
        .executableTarget(name: "CounterfactualText", dependencies: [sdscm, engine, bundled]),
        .executableTarget(name: "ModelAudit", dependencies: [sdscm, engine, bundled, .product(name: "SDSCMAudit", package: "SDSCM")]),
        .executableTarget(name: "OncologyBenchmark", dependencies: [sdscm, engine, .product(name: "SDSCMBenchmarks", package: "SDSCM")]),
    ]
)

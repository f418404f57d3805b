// swift-tools-version: 6.2
//
// A stand-in for other packages a user of SDSCM may also depend on (huggingface/swift-transformers declares a
// `Tokenizers` target, for instance): one target for each module name SDSCM used before it prefixed its own.
// Examples/Package.swift depends on both; if SDSCM ever declares one of these names again, SwiftPM refuses to
// resolve that package ("multiple packages declare targets with a conflicting name") and CI fails.

import PackageDescription

let names = ["Tokenizers", "Transformer", "GGUF", "Tensors", "LanguageModels", "Estimators", "Evaluation", "Audit", "Benchmarks", "Randomness"]

let package = Package(
    name: "NameCollisionStandIn",
    products: names.map { .library(name: $0, targets: [$0]) },
    targets: names.map { .target(name: $0) }
)

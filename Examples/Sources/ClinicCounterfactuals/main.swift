// Builds a small SD-SCM in code, mixing language-model mechanisms with a user-defined one, then samples units,
// asks counterfactual questions and computes exact ground truth.
//
//   swift run -c release ClinicCounterfactuals [path/to/model.gguf]
//
// Fetch SmolLM2 with Tests/Scripts/fetch-models.sh (into .models/ at the package root).
import Foundation
import SDSCM
import SDSCMEngine

guard let path = CommandLine.arguments.dropFirst().first else {
    print("usage: ClinicCounterfactuals <model.gguf>   (or fetch SmolLM2 with Tests/Scripts/fetch-models.sh)")
    exit(2)
}

do {
    let graph = try Graph([
        .categorical("age", ["young", "elderly"], prefix: "The patient is ", suffix: ".", exogenous: true),
        .categorical("tumor", ["small", "large"], prefix: "The tumor is ", suffix: ".", parents: ["age"]),
        // A randomized trial: treatment does not depend on anything (a user-defined mechanism).
        .categorical("treatment", ["surgery", "chemotherapy"], prefix: "The patient receives ", suffix: "."),
        .categorical("outcome", ["recovered", "relapsed"], prefix: "After treatment, the patient ", suffix: ".",
                     parents: ["tumor", "treatment"]),
    ])
    let model = try CausalModel(graph: graph, languageModel: try TransformerLanguageModel(path: path),
                                equations: ["treatment": UniformEquation()])
    let sampler = Sampler(model: model, seed: 42)

    print("Five units and their counterfactuals under the other treatment (shared noise):")
    for unit in try await sampler.sample(units: 0..<5) {
        let other = unit["treatment"] == "surgery" ? "chemotherapy" : "surgery"
        let counterfactual = try await sampler.counterfactual(of: unit, interventions: ["treatment": .value(other)])
        print("  \(unit.document)")
        print("    had it been \(other): \(counterfactual["outcome"]!)")
    }

    let exact = ExactInference(model: model)
    let ate = try await exact.averageTreatmentEffect(treatment: "treatment", outcome: "outcome", value: "recovered",
                                               treated: "surgery", control: "chemotherapy")
    print(String(format: "Exact ATE on P(recovered), surgery vs chemotherapy: %+.4f", ate))
    let outcomes = try await exact.potentialOutcomes(treatment: "treatment", outcome: "outcome",
                                                     unitValues: ["age": "elderly", "tumor": "large"])
    for (treatment, distribution) in outcomes.sorted(by: { $0.key < $1.key }) {
        print("  elderly, large tumor, do(\(treatment)): " + String(format: "P(recovered) = %.4f", distribution["recovered"]!))
    }
    let counters = model.counters
    print("contexts scored \(counters.contextsScored), tokens evaluated \(counters.tokensEvaluated), cache hits \(counters.cacheHits)")
} catch {
    print("error: \(error)")
    exit(1)
}

// Builds with SDSCM and, in the same program, modules named like the ones other packages declare (`Tokenizers`,
// `Transformer`, `GGUF`, …, from Tests/NameCollisionStandIn). It compiles only because SDSCM's modules are all
// prefixed; it then runs a small causal model, which needs nothing but the SDSCM product.
import Audit
import Benchmarks
import Estimators
import Evaluation
import GGUF
import LanguageModels
import Randomness
import SDSCM
import Tensors
import Tokenizers
import Transformer

let standIns = [Tokenizers.moduleName, Transformer.moduleName, GGUF.moduleName, Tensors.moduleName,
                LanguageModels.moduleName, Estimators.moduleName, Evaluation.moduleName, Audit.moduleName,
                Benchmarks.moduleName, Randomness.moduleName]
print("stand-in modules linked beside SDSCM: \(standIns.joined(separator: ", "))")

do {
    let graph = try Graph([
        .categorical("weather", ["sunny", "rainy"]),
        .categorical("umbrella", ["yes", "no"], parents: ["weather"]),
    ])
    let model = try CausalModel(graph: graph, languageModel: nil, equations: [
        "weather": ProbabilityTable(probabilities: ["sunny": 0.7, "rainy": 0.3]),
        "umbrella": ProbabilityTable(rows: [.init(when: ["weather": "rainy"], probabilities: ["yes": 0.9, "no": 0.1]),
                                            .init(probabilities: ["yes": 0.1, "no": 0.9])]),
    ])
    let marginals = try await ExactInference(model: model).marginals()
    print("P(umbrella = yes) = \(marginals["umbrella"]!["yes"]!)")
} catch {
    print("error: \(error)")
}

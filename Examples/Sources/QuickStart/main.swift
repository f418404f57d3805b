// The program of the README's "Use SDSCM in your package", with the model's path as its argument.
//
//   swift run -c release QuickStart path/to/SmolLM2-135M-Instruct.Q4_1.gguf
import SDSCM
import SDSCMEngine

let path = CommandLine.arguments.dropFirst().first ?? "SmolLM2-135M-Instruct.Q4_1.gguf"
let graph = try Graph([
    .categorical("age", ["young", "elderly"], prefix: "The patient is ", suffix: "."),
    .categorical("treatment", ["surgery", "chemotherapy"], prefix: "The doctor recommends ", suffix: ".", parents: ["age"]),
    .categorical("outcome", ["recovered", "relapsed"], prefix: "After treatment, the patient ", suffix: ".",
                 parents: ["age", "treatment"]),
])
let model = try CausalModel(graph: graph, languageModel: try TransformerLanguageModel(path: path))
let sampler = Sampler(model: model, seed: 1)
for unit in try await sampler.sample(units: 0..<5) {                      // requests of all units batched
    let other = try await sampler.counterfactual(of: unit, interventions: ["treatment": .value("surgery")])
    print(unit["treatment"]!, unit["outcome"]!, "→ had it been surgery:", other["outcome"]!)
}
let p = try await ExactInference(model: model).distribution(of: "outcome", given: ["age": "elderly"],
                                                            interventions: ["treatment": .value("surgery")])
print(p)                                                                  // P(outcome | do(surgery), age = elderly)
print(try graph.minimalAdjustmentSets(treatment: "treatment", outcome: "outcome"))   // [["age"]]

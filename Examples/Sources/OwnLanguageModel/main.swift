// A causal model on your own language model: anything that can score a variable's candidate phrasings after a
// context can drive an SD-SCM. This target imports only `SDSCM`, so building it compiles none of SDSCM's engine.
//
//   cd Examples && swift run OwnLanguageModel
import Foundation
import SDSCM

/// A stand-in for a model you call yourself (an API, another runtime): it prefers surgery for small tumors and
/// recovery after surgery, and is indifferent otherwise.
struct RuleModel: LanguageModel {
    let identifier = "rule-model-v1"

    func scoreCandidates(_ requests: [CandidateScoringRequest]) async throws -> [CandidateScores] {
        requests.map { request in
            CandidateScores(logWeights: request.continuations.map { candidate in
                switch (candidate, request.context) {
                case ("surgery", let context) where context.contains("small"): return -0.2
                case ("recovered", let context) where context.contains("surgery"): return -0.1
                case ("relapsed", let context) where context.contains("surgery"): return -2.3
                default: return -0.7
                }
            })
        }
    }
}

do {
    let graph = try Graph([
        .categorical("tumor", ["small", "large"], prefix: "The tumor is ", suffix: "."),
        .categorical("treatment", ["surgery", "chemotherapy"], prefix: "The doctor recommends ", suffix: ".", parents: ["tumor"]),
        .categorical("outcome", ["recovered", "relapsed"], prefix: "The patient ", suffix: ".", parents: ["treatment"]),
    ])
    let model = try CausalModel(graph: graph, languageModel: RuleModel())
    let sampler = Sampler(model: model, seed: 7)
    for unit in try await sampler.sample(units: 0..<3) {
        let other = unit["treatment"] == "surgery" ? "chemotherapy" : "surgery"
        let counterfactual = try await sampler.counterfactual(of: unit, interventions: ["treatment": .value(other)])
        print("\(unit.document)  Had it been \(other): \(counterfactual["outcome"]!).")
    }
    let exact = ExactInference(model: model)
    let recovered = try await exact.distribution(of: "outcome", interventions: ["treatment": .value("surgery")])["recovered"]!
    // The outcome's only parent is the treatment, so this is the mechanism itself: softmax(-0.1, -2.3)[0].
    print(String(format: "P(recovered | do(surgery)) = %.4f (by hand: %.4f)", recovered, 1 / (1 + exp(-2.2))))
} catch {
    print("error: \(error)")
    exit(1)
}

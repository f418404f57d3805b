// The same three variables under two DAGs (the paper's Figure 1 idea): when severity confounds treatment and
// recovery, the observed association between treatment and recovery is not the causal effect; when checkup is a
// collider of treatment and recovery, looking only at patients with a checkup creates an association of its own.
//
//   swift run -c release ConfounderCollider [--model path/to/model.gguf] [--units N]
//
// Without --model it uses the tiny model bundled with SDSCM, which was trained on exactly these variables.
import SDSCMBundledModels
import Foundation
import SDSCM
import SDSCMEngine

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
let units = Int(option("--units") ?? "") ?? 4000

do {
    let languageModel = try option("--model").map { try TransformerLanguageModel(path: $0) } ?? BundledModels.tinyWorld()
    let world = try BundledModels.tinyWorldConfiguration().variables
    func variable(_ name: String, parents: [String]) -> Variable {
        var variable = world.first { $0.name == name }!
        variable.parents = parents
        variable.exogenous = false
        return variable
    }
    let confounded = try Graph([
        variable("severity", parents: []),
        variable("treatment", parents: ["severity"]),
        variable("recovery", parents: ["severity", "treatment"]),
    ])
    let collider = try Graph([
        variable("treatment", parents: []),
        variable("recovery", parents: []),
        variable("checkup", parents: ["treatment", "recovery"]),
    ])

    /// P(recovered | drug) − P(recovered | rest) among `units` sampled units (optionally only those passing `keep`).
    func association(_ graph: Graph, keep: (SampledUnit) -> Bool = { _ in true }) async throws -> (Double, Int) {
        let model = try CausalModel(graph: graph, languageModel: languageModel)
        let sampler = Sampler(model: model, seed: 1)
        var counts = (drug: 0, drugRecovered: 0, rest: 0, restRecovered: 0)
        var kept = 0
        for unit in try await sampler.sample(units: 0..<units) where keep(unit) {
            kept += 1
            let recovered = unit["recovery"] == "recovered"
            if unit["treatment"] == "drug" { counts.drug += 1; if recovered { counts.drugRecovered += 1 } }
            else { counts.rest += 1; if recovered { counts.restRecovered += 1 } }
        }
        return (Double(counts.drugRecovered) / Double(max(counts.drug, 1)) - Double(counts.restRecovered) / Double(max(counts.rest, 1)), kept)
    }
    func effect(_ graph: Graph) async throws -> Double {
        try await ExactInference(model: CausalModel(graph: graph, languageModel: languageModel))
            .averageTreatmentEffect(treatment: "treatment", outcome: "recovery", value: "recovered", treated: "drug", control: "rest")
    }

    print("Confounder: severity → treatment, severity → recovery, treatment → recovery")
    let (confoundedAssociation, _) = try await association(confounded)
    print(String(format: "  observed difference P(recovered | drug) − P(recovered | rest): %+.3f", confoundedAssociation))
    print(String(format: "  causal effect (exact, do(treatment)):                         %+.3f", try await effect(confounded)))
    print("")
    print("Collider: treatment → checkup ← recovery (treatment does not cause recovery here)")
    let (all, _) = try await association(collider)
    let (selected, kept) = try await association(collider) { $0["checkup"] == "visit" }
    print(String(format: "  difference over all units:                 %+.3f", all))
    print(String(format: "  difference among the %5d with a checkup: %+.3f   (selection on a collider)", kept, selected))
    print(String(format: "  causal effect (exact):                     %+.3f", try await effect(collider)))
} catch {
    print("error: \(error)")
    exit(1)
}

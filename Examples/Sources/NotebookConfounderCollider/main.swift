// The paper's toy experiment (its `confounder_collider.ipynb`, Fig. 2 of v2): five variables — two names, weather,
// a marathon outcome and a gym-or-run treatment — under a confounder DAG (weather → gym, weather → marathon) and a
// collider DAG (gym → weather ← marathon). Marathon is never a descendant of the treatment, so the true effect is 0;
// the question is which adjustment sets recover it. The configurations are Examples/configs/toy-*.json, in the
// reference's format with the notebook's exact phrasings; counterfactual arms use the paper's semantics with the
// notebook's evidence lists ([weather] for the confounder, [] for the collider).
//
//   swift run -c release NotebookConfounderCollider --model path/to/model.gguf [--units 1000] [--seed 1]
//
// All numbers are in units of the outcome's standard deviation, as the notebook reports them; the outcome is the
// model's probability of "worsen", P(marathon=1). The notebook fits scikit-learn's RandomForestRegressor as an
// S-learner; with these categorical covariates we use the saturated S-learner it approximates (cell means of
// every covariate combination), and next to the sampled numbers print the population values by exact enumeration.
import Foundation
import SDSCM
import SDSCMEngine

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
let units = Int(option("--units") ?? "") ?? 1000
let seed = UInt64(option("--seed") ?? "") ?? 1
let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("configs")

/// The notebook's printed GPT-2 numbers: observational ATE, RF with [weather, gym], RF with [gym].
let published: [String: (observational: Double, both: Double, gymOnly: Double)] = [
    "confounder": (0.059301763397664756, 0.006365544610891114, 0.05820306306684344),
    "collider": (-0.0798349106581584, -0.1088164574996781, -0.08853910887163972),
]

/// Mean over rows of the saturated S-learner's prediction difference: for each row, the outcome mean of the cell
/// (covariates, treatment = 1) minus that of (covariates, treatment = 0); a row whose other cell is empty is skipped.
func saturatedSLearner(covariates: [[String]], treated: [Bool], outcome: [Double]) -> Double {
    var cells: [[String]: (sum: Double, count: Int)] = [:]
    for row in covariates.indices {
        let key = covariates[row] + [treated[row] ? "1" : "0"]
        cells[key, default: (0, 0)].sum += outcome[row]
        cells[key, default: (0, 0)].count += 1
    }
    func mean(_ key: [String]) -> Double? { cells[key].map { $0.sum / Double($0.count) } }
    var total = 0.0, rows = 0
    for row in covariates.indices {
        guard let one = mean(covariates[row] + ["1"]), let zero = mean(covariates[row] + ["0"]) else { continue }
        total += one - zero
        rows += 1
    }
    return total / Double(max(rows, 1))
}

func standardDeviation(_ values: [Double]) -> Double {
    let mean = values.reduce(0, +) / Double(values.count)
    return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
}

do {
    guard let modelPath = option("--model") else {
        print("usage: NotebookConfounderCollider --model path/to/model.gguf [--units N] [--seed S]")
        exit(2)
    }
    let languageModel = try TransformerLanguageModel(path: modelPath)
    print("Model \(languageModel.identifier); \(units) units, seed \(seed); effects in outcome standard deviations.")
    for (dag, evidence) in [("confounder", ["weather"]), ("collider", [String]())] {
        let model = try CausalModelConfiguration(path: configs.appendingPathComponent("toy-\(dag).json").path)
            .makeModel(languageModel: languageModel)
        let graph = model.graph
        let gym = try graph.index(of: "gymOrNot"), marathon = try graph.index(of: "marathon"), weather = try graph.index(of: "weather")
        let gymValues = graph.variables[gym].values!
        let sampler = Sampler(model: model, seed: seed)
        // Each unit with its two paper-semantics arms (the notebook's do(gymOrNot=0) and do(gymOrNot=1) passes).
        let rows = try await model.mapUnits(Array(0..<units)) { index in
            let unit = try await sampler.sample(unit: index)
            let arms = try await gymValues.asyncMap { value in
                try await sampler.counterfactual(of: unit, interventions: ["gymOrNot": .value(value)], semantics: .paper, evidence: evidence)
            }
            // P(marathon = worsen): the probability the model gave the outcome given the unit's parents.
            let p = { (unit: SampledUnit) in Foundation.exp(unit.logProbabilities[marathon]![1]) }
            return (unit.values[weather], unit.values[gym] == gymValues[1], p(unit), p(arms[1]) - p(arms[0]))
        }
        let outcome = rows.map(\.2), treated = rows.map(\.1)
        let sd = standardDeviation(outcome)
        let sate = rows.map(\.3).reduce(0, +) / Double(units) / sd
        let observational = saturatedSLearner(covariates: rows.map { _ in [] }, treated: treated, outcome: outcome) / sd
        let both = saturatedSLearner(covariates: rows.map { [$0.0] }, treated: treated, outcome: outcome) / sd
        // Population values by enumeration. The outcome is P(marathon = worsen | its parents), so its conditional
        // mean is Σ over marathon's parents of P(parents | given) · P(worsen | parents); in the collider that is not
        // P(marathon = worsen | given), because weather, a child of marathon, tells about marathon's own draw.
        let exact = ExactInference(model: model)
        let parents = graph.variables[marathon].parents
        func expected(_ given: [String: String]) async throws -> Double {
            if parents.contains("weather") && given["weather"] == nil {
                let weather = try await exact.distribution(of: "weather", given: given)
                var total = 0.0
                for (value, probability) in zip(weather.values, weather.probabilities) where probability > 0 {
                    total += probability * (try await expected(given.merging(["weather": value]) { $1 }))
                }
                return total
            }
            let name2 = try await exact.distribution(of: "name2", given: given)
            var total = 0.0
            for (value, probability) in zip(name2.values, name2.probabilities) where probability > 0 {
                var inputs = ["name2": value]
                if parents.contains("weather") { inputs["weather"] = given["weather"] }
                total += probability * (try await model.distribution(of: "marathon", given: inputs).probabilities[1])
            }
            return total
        }
        let exactObservational = try await expected(["gymOrNot": gymValues[1]]) - expected(["gymOrNot": gymValues[0]])
        let weatherMarginal = try await exact.distribution(of: "weather")
        var exactAdjusted = 0.0
        for (value, probability) in zip(weatherMarginal.values, weatherMarginal.probabilities) where probability > 0 {
            exactAdjusted += probability * (try await expected(["gymOrNot": gymValues[1], "weather": value])
                                            - expected(["gymOrNot": gymValues[0], "weather": value]))
        }
        let paper = published[dag]!
        print("\n\(dag == "confounder" ? "Confounder: weather → gym, weather → marathon" : "Collider: gym → weather ← marathon")"
              + "  (paper-semantics arms, evidence [\(evidence.joined(separator: ", "))])")
        print("                                  ours (sampled)   ours (exact, population)   paper (GPT-2)")
        func line(_ label: String, _ ours: Double, _ population: Double?, _ theirs: Double) {
            let exactText = population.map { String(format: "%+.4f", $0 / sd) } ?? "      —"
            print(label.padding(toLength: 34, withPad: " ", startingAt: 0)
                  + String(format: "%+.4f", ours).padding(toLength: 17, withPad: " ", startingAt: 0)
                  + exactText.padding(toLength: 27, withPad: " ", startingAt: 0) + String(format: "%+.4f", theirs))
        }
        line("true SATE (arms)", sate, 0, 0)
        line("observational ATE", observational, exactObservational, paper.observational)
        line("S-learner with [weather, gym]", both, exactAdjusted, paper.both)
        line("S-learner with [gym]", observational, exactObservational, paper.gymOnly)
    }
} catch {
    print("error: \(error)")
    exit(1)
}

extension Array {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

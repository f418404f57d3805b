import Foundation
import SDSCM
import Testing

/// Sampled frequencies against exact enumeration (chi-square at p = 0.001), on the mock chain A → B → C → D with
/// (A, B) → C.
@Suite struct SamplingTests {
    static let units = 20_000

    static func counts(_ units: [SampledUnit], _ model: CausalModel) -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for (index, variable) in model.graph.variables.enumerated() {
            let domain = variable.values!
            var counts = [Int](repeating: 0, count: domain.count)
            for unit in units { counts[domain.firstIndex(of: unit.values[index])!] += 1 }
            result[variable.name] = counts
        }
        return result
    }

    static func check(_ units: [SampledUnit], against marginals: [String: [Double]], model: CausalModel, skip: Set<String> = []) {
        for (name, counts) in counts(units, model) where !skip.contains(name) {
            let (statistic, degrees) = chiSquare(counts, marginals[name]!)
            #expect(statistic < chiSquareCritical(degrees), "\(name): χ² = \(statistic) with \(degrees) df; counts \(counts), exact \(marginals[name]!)")
        }
    }

    @Test func observationalMatchesEnumeration() throws {
        let model = try MockModels.chain()
        let units = try Sampler(model: model, seed: 11).sample(units: 0..<Self.units)
        let exact = try ExactInference(model: model).marginals()
        #expect(abs(exact["D"]!.reduce(0, +) - 1) < 1e-12)
        Self.check(units, against: exact, model: model)
    }

    @Test func interventionalMatchesEnumeration() throws {
        let model = try MockModels.chain()
        let interventions: [String: Intervention] = ["B": .value("high")]
        let units = try Sampler(model: model, seed: 12).sample(units: 0..<Self.units, interventions: interventions)
        let exact = try ExactInference(model: model).marginals(interventions: interventions)
        #expect(exact["B"]![0] == 0 && exact["B"]![1] == 0 && abs(exact["B"]![2] - 1) < 1e-12)
        Self.check(units, against: exact, model: model, skip: ["B"])
        #expect(units.allSatisfy { $0.values[1] == "high" })
    }

    /// Conditional-interventional (the paper's Algorithm 3 with evidence): conditioned variables are held at
    /// their evidence values and the treatment is set; the rest is sampled.
    @Test func conditionalInterventionalMatchesEnumeration() throws {
        let model = try MockModels.chain()
        let interventions: [String: Intervention] = ["A": .value("old"), "C": .value("no")]
        let units = try Sampler(model: model, seed: 13).sample(units: 0..<Self.units, interventions: interventions)
        let exact = try ExactInference(model: model).marginals(interventions: interventions)
        Self.check(units, against: exact, model: model, skip: ["A", "C"])
    }

    @Test func randomInterventionsMatchTheirDistributions() throws {
        let model = try MockModels.chain()
        for intervention in [Intervention.uniform, .distribution(["low": 0.6, "high": 0.4])] {
            let interventions = ["B": intervention]
            let units = try Sampler(model: model, seed: 14).sample(units: 0..<Self.units, interventions: interventions)
            let exact = try ExactInference(model: model).marginals(interventions: interventions)
            Self.check(units, against: exact, model: model)
        }
    }

    /// Reference scoring defines a different (valid) SCM; sampling must still match its exact marginals.
    @Test func referenceScoringSamplesItsOwnMechanisms() throws {
        let model = try MockModels.chain(scoring: .reference)
        let units = try Sampler(model: model, seed: 15).sample(units: 0..<Self.units)
        Self.check(units, against: try ExactInference(model: model).marginals(), model: model)
    }

    @Test func sameSeedSameUnitsWhateverTheOrder() throws {
        let model = try MockModels.chain()
        let sampler = Sampler(model: model, seed: 99)
        let forward = try sampler.sample(units: 0..<50)
        let backward = try (0..<50).reversed().map { try sampler.sample(unit: $0) }.reversed()
        #expect(forward == Array(backward))
        let other = try Sampler(model: try MockModels.chain(), seed: 99).sample(units: 0..<50)
        #expect(other == forward)
        #expect(try Sampler(model: model, seed: 100).sample(units: 0..<50) != forward)
    }

    @Test func badQueriesAreTypedErrors() throws {
        let model = try MockModels.chain()
        let sampler = Sampler(model: model, seed: 1)
        #expect(throws: CausalModelError.unknownVariable("Z")) { try sampler.sample(unit: 0, interventions: ["Z": .value("x")]) }
        #expect(throws: CausalModelError.valueOutsideDomain(variable: "B", value: "huge")) {
            try sampler.sample(unit: 0, interventions: ["B": .value("huge")])
        }
        #expect(throws: CausalModelError.enumerationTooLarge(size: 36, limit: 10)) {
            try ExactInference(model: model, limit: 10).marginals()
        }
    }
}

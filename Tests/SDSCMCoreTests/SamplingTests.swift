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

    static func check(_ units: [SampledUnit], against marginals: Marginals, model: CausalModel, skip: Set<String> = []) {
        var checked = 0
        for (name, counts) in counts(units, model) where !skip.contains(name) {
            let exact = marginals[name]!.probabilities
            let (statistic, degrees) = chiSquare(counts, exact)
            #expect(statistic < chiSquareCritical(degrees), "\(name): χ² = \(statistic) with \(degrees) df; counts \(counts), exact \(exact)")
            checked += 1
        }
        #expect(checked == model.graph.variables.count - skip.count)
    }

    @Test func observationalMatchesEnumeration() async throws {
        let model = try MockModels.chain()
        let units = try await Sampler(model: model, seed: 11).sample(units: 0..<Self.units)
        let exact = try await ExactInference(model: model).marginals()
        #expect(abs(exact["D"]!.probabilities.reduce(0, +) - 1) < 1e-12)
        Self.check(units, against: exact, model: model)
    }

    @Test func interventionalMatchesEnumeration() async throws {
        let model = try MockModels.chain()
        let interventions: [String: Intervention] = ["B": .value("high")]
        let units = try await Sampler(model: model, seed: 12).sample(units: 0..<Self.units, interventions: interventions)
        let exact = try await ExactInference(model: model).marginals(interventions: interventions)
        #expect(exact["B"]!["low"] == 0 && exact["B"]!["mid"] == 0 && abs(exact["B"]!["high"]! - 1) < 1e-12)
        Self.check(units, against: exact, model: model, skip: ["B"])
        #expect(units.allSatisfy { $0["B"] == "high" })
    }

    /// Conditional-interventional (the paper's Algorithm 3 with evidence): conditioned variables are held at
    /// their evidence values and the treatment is set; the rest is sampled.
    @Test func conditionalInterventionalMatchesEnumeration() async throws {
        let model = try MockModels.chain()
        let interventions: [String: Intervention] = ["A": .value("old"), "C": .value("no")]
        let units = try await Sampler(model: model, seed: 13).sample(units: 0..<Self.units, interventions: interventions)
        let exact = try await ExactInference(model: model).marginals(interventions: interventions)
        Self.check(units, against: exact, model: model, skip: ["A", "C"])
    }

    @Test func randomInterventionsMatchTheirDistributions() async throws {
        let model = try MockModels.chain()
        for intervention in [Intervention.uniform, .distribution(["low": 0.6, "high": 0.4])] {
            let interventions = ["B": intervention]
            let units = try await Sampler(model: model, seed: 14).sample(units: 0..<Self.units, interventions: interventions)
            let exact = try await ExactInference(model: model).marginals(interventions: interventions)
            Self.check(units, against: exact, model: model)
        }
    }

    /// Reference scoring defines a different (valid) SCM; sampling must still match its exact marginals.
    @Test func referenceScoringSamplesItsOwnMechanisms() async throws {
        let model = try MockModels.chain(scoring: .reference)
        let units = try await Sampler(model: model, seed: 15).sample(units: 0..<Self.units)
        Self.check(units, against: try await ExactInference(model: model).marginals(), model: model)
    }

    @Test func sameSeedSameUnitsWhateverTheOrder() async throws {
        let model = try MockModels.chain()
        let sampler = Sampler(model: model, seed: 99)
        let forward = try await sampler.sample(units: 0..<50)
        var backward: [SampledUnit] = []
        for unit in (0..<50).reversed() { backward.insert(try await sampler.sample(unit: unit), at: 0) }
        #expect(forward == backward)
        let other = try await Sampler(model: try MockModels.chain(), seed: 99).sample(units: 0..<50)
        #expect(other == forward)
        // Another seed draws other values for most units (not only another provenance).
        let reseeded = try await Sampler(model: model, seed: 100).sample(units: 0..<50)
        let differing = zip(reseeded, forward).filter { $0.values != $1.values }.count
        #expect(differing >= 20, "only \(differing) of 50 units differ under another seed")
    }

    @Test func badQueriesAreTypedErrors() async throws {
        let model = try MockModels.chain()
        let sampler = Sampler(model: model, seed: 1)
        await #expect(throws: CausalModelError.unknownVariable("Z")) { try await sampler.sample(unit: 0, interventions: ["Z": .value("x")]) }
        await #expect(throws: CausalModelError.valueOutsideDomain(variable: "B", value: "huge")) {
            try await sampler.sample(unit: 0, interventions: ["B": .value("huge")])
        }
        await #expect(throws: CausalModelError.enumerationTooLarge(size: 36, limit: 10)) {
            try await ExactInference(model: model, limit: 10).marginals()
        }
    }
}

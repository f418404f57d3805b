import Foundation
import SDSCM
import SDSCMRandomness
import Testing

@Suite struct CounterfactualTests {
    /// The numerical check of counterfactuals-and-peers.md §3.7: p = (.5, .3, .15, .05) observed k = 1, intervened
    /// p' = (.1, .2, .3, .4); rejection sampling gives (0, .540, .141, .319). Also with logits shifted by +7.3.
    @Test(arguments: [0.0, 7.3])
    func posteriorGumbelMatchesThePublishedCheck(shift: Double) {
        let prior = [0.5, 0.3, 0.15, 0.05].map { log($0) + shift }
        let intervened = [0.1, 0.2, 0.3, 0.4].map { log($0) }
        let noise = NoiseSource(seed: 3)
        let draws = 200_000
        var counts = [0, 0, 0, 0]
        for draw in 0..<draws {
            let g = GumbelMax.posterior(prior, observed: 1) {
                noise.uniform(.posterior, unit: draw, variable: 0, position: 0, index: UInt64($0))
            }
            #expect(GumbelMax.sample(prior) { g[$0] } == 1)
            counts[GumbelMax.sample(intervened) { g[$0] }!] += 1
        }
        let frequencies = counts.map { Double($0) / Double(draws) }
        for (frequency, expected) in zip(frequencies, [0, 0.540, 0.141, 0.319]) {
            #expect(abs(frequency - expected) < 0.006, "\(frequencies)")
        }
        #expect(counts[0] == 0)  // counterfactual stability: p'_0/p_0 < p'_1/p_1
    }

    /// Impossible entries keep prior noise and never win; no NaN appears.
    @Test func posteriorHandlesImpossibleEntries() {
        let noise = NoiseSource(seed: 4)
        let weights = [-Double.infinity, log(0.7), log(0.3), -.infinity]
        for draw in 0..<1000 {
            let g = GumbelMax.posterior(weights, observed: 2) {
                noise.uniform(.posterior, unit: draw, variable: 0, position: 0, index: UInt64($0))
            }
            #expect(g.allSatisfy { $0.isFinite })
            #expect(GumbelMax.sample(weights) { g[$0] } == 2)
        }
    }

    /// do(factual value) reproduces the factual unit, and non-descendants of the intervention never change.
    @Test func replayIsConsistent() async throws {
        let model = try MockModels.chain()
        let sampler = Sampler(model: model, seed: 21)
        for unit in try await sampler.sample(units: 0..<300) {
            // Same values, texts and document (the intervened variable's recorded distribution is the
            // intervention's, one-hot, rather than its mechanism's).
            let same = try await sampler.counterfactual(of: unit, interventions: ["B": .value(unit.values[1])])
            #expect(same.values == unit.values && same.texts == unit.texts && same.document == unit.document)
            #expect(same.logProbabilities[2...] == unit.logProbabilities[2...])
            for value in ["low", "mid", "high"] {
                for semantics in CounterfactualSemantics.allCases {
                    let counterfactual = try await sampler.counterfactual(of: unit, interventions: ["B": .value(value)], semantics: semantics)
                    #expect(counterfactual.values[0] == unit.values[0])
                    #expect(counterfactual.values[1] == value)
                }
            }
            // Intervening on a leaf changes nothing else.
            let leaf = try await sampler.counterfactual(of: unit, interventions: ["D": .value("red")])
            #expect(Array(leaf.values.prefix(3)) == Array(unit.values.prefix(3)))
        }
    }

    /// A factual intervention holds in every counterfactual arm. Under shared noise, the arm do(B=b) of a unit
    /// drawn under do(C=c) is the same unit drawn under do(B=b, C=c) (same noise, same mechanisms), and an arm
    /// on C itself wins over the factual do(C).
    @Test func factualInterventionsHoldInArms() async throws {
        let model = try MockModels.chain()
        let sampler = Sampler(model: model, seed: 22)
        var dChanged = 0
        for unit in try await sampler.sample(units: 0..<200, interventions: ["C": .value("no")]) {
            #expect(unit.interventions == ["C": .value("no")])
            for value in ["low", "mid", "high"] {
                let arm = try await sampler.counterfactual(of: unit, interventions: ["B": .value(value)])
                let joint = try await sampler.sample(unit: unit.index, interventions: ["B": .value(value), "C": .value("no")])
                #expect(arm.values == joint.values)
                #expect(arm["C"] == "no")
                #expect(arm.interventions == ["B": .value(value), "C": .value("no")])
                let paper = try await sampler.counterfactual(of: unit, interventions: ["B": .value(value)], semantics: .paper)
                #expect(paper["C"] == "no" && paper["A"] == unit["A"])
            }
            let overridden = try await sampler.counterfactual(of: unit, interventions: ["C": .value("yes")])
            let joint = try await sampler.sample(unit: unit.index, interventions: ["C": .value("yes")])
            #expect(overridden.values == joint.values)
            if overridden["D"] != unit["D"] { dChanged += 1 }
        }
        #expect(dChanged > 0)  // the override really changes C's descendant for some units
    }

    /// Counterfactual stability on a binary outcome: if do(T) raises the probability of the factual value, the
    /// counterfactual keeps it.
    @Test func stability() async throws {
        let graph = try Graph([.categorical("T", ["a", "b"]), .categorical("Y", ["yes", "no"], parents: ["T"])])
        let model = try CausalModel(graph: graph, languageModel: nil, equations: [
            "T": UniformEquation(),
            "Y": ProbabilityTable(rows: [.init(when: ["T": "a"], probabilities: ["yes": 0.3, "no": 0.7]),
                                         .init(when: ["T": "b"], probabilities: ["yes": 0.6, "no": 0.4])]),
        ])
        let sampler = Sampler(model: model, seed: 5)
        var checked = 0
        for unit in try await sampler.sample(units: 0..<2000) where unit.values == ["a", "yes"] {
            #expect(try await sampler.counterfactual(of: unit, interventions: ["T": .value("b")])["Y"] == "yes")
            checked += 1
        }
        // P(T = a, Y = yes) = 0.15: about 300 of 2,000 units.
        #expect(checked > 200)
    }

    /// Posterior abduction for a supplied observation against rejection sampling: prior units whose factual
    /// values equal the observation carry noise drawn from its posterior, so their replayed counterfactuals are
    /// draws of the counterfactual distribution.
    @Test func abductionMatchesRejectionSampling() async throws {
        let model = try MockModels.chain()
        let sampler = Sampler(model: model, seed: 31)
        let observation = ["A": "young", "B": "mid", "C": "yes", "D": "good"]
        let interventions: [String: Intervention] = ["B": .value("high")]
        var rejection: [[String]] = []
        var unit = 0
        while rejection.count < 3000 && unit < 600_000 {
            let factual = try await sampler.sample(unit: unit)
            if factual.values == ["young", "mid", "yes", "good"] {
                rejection.append(try await sampler.counterfactual(of: factual, interventions: interventions).values)
            }
            unit += 1
        }
        #expect(rejection.count >= 1000, "only \(rejection.count) accepted")
        let posterior = try await sampler.counterfactuals(of: observation, unit: 0, interventions: interventions, draws: 6000).map(\.values)
        for posteriorDraw in posterior.prefix(50) {
            #expect(posteriorDraw[0] == "young" && posteriorDraw[1] == "high")
        }
        for (index, name) in [(2, "C"), (3, "D")] {
            let domain = model.graph.variables[index].values!
            for value in domain {
                let p1 = Double(rejection.filter { $0[index] == value }.count) / Double(rejection.count)
                let p2 = Double(posterior.filter { $0[index] == value }.count) / Double(posterior.count)
                let error = 4 * ((p1 * (1 - p1) + p2 * (1 - p2) + 0.001) * (1 / Double(rejection.count) + 1 / Double(posterior.count))).squareRoot()
                #expect(abs(p1 - p2) <= error, "\(name)=\(value): rejection \(p1), posterior \(p2)")
            }
        }
        // do(factual) from the posterior reproduces the observation in every draw.
        let same = try await sampler.counterfactuals(of: observation, unit: 1, interventions: ["B": .value("mid")], draws: 200)
        #expect(same.allSatisfy { $0.values == ["young", "mid", "yes", "good"] })
    }

    /// Paper semantics: descendants are fresh draws given the unit's non-descendants, so over units the
    /// counterfactual leaf follows the exact conditional distribution.
    @Test func paperSemanticsRedrawsDescendants() async throws {
        let model = try MockModels.chain()
        let sampler = Sampler(model: model, seed: 41)
        let units = try await sampler.sample(units: 0..<20_000)
        var counts = [0, 0, 0]
        var changedUnderFactual = 0
        for unit in units {
            let counterfactual = try await sampler.counterfactual(of: unit, interventions: ["C": .value("yes")], semantics: .paper)
            counts[["good", "bad", "red"].firstIndex(of: counterfactual.values[3])!] += 1
            if unit.values[2] == "yes" && counterfactual.values[3] != unit.values[3] { changedUnderFactual += 1 }
        }
        let exact = try await model.distribution(of: "D", given: ["C": "yes"]).probabilities
        let (statistic, degrees) = chiSquare(counts, exact)
        #expect(counts.reduce(0, +) == 20_000)
        #expect(statistic < chiSquareCritical(degrees))
        // Unlike shared noise, the paper's counterfactual under the factual treatment often differs.
        #expect(changedUnderFactual > 100)
    }

    /// Exact per-unit potential outcomes against interventional sampling with the unit's non-descendants fixed.
    @Test func potentialOutcomesMatchSampling() async throws {
        let model = try MockModels.chain()
        let exact = ExactInference(model: model)
        let outcomes = try await exact.potentialOutcomes(treatment: "B", outcome: "D", unitValues: ["A": "old"])
        #expect(Set(outcomes.keys) == ["low", "mid", "high"])
        let sampler = Sampler(model: model, seed: 51)
        for treatment in ["low", "high"] {
            let units = try await sampler.sample(units: 0..<20_000, interventions: ["A": .value("old"), "B": .value(treatment)])
            let counts = ["good", "bad", "red"].map { value in units.filter { $0.values[3] == value }.count }
            let (statistic, degrees) = chiSquare(counts, outcomes[treatment]!.probabilities)
            #expect(statistic < chiSquareCritical(degrees), "\(treatment): \(counts) vs \(outcomes[treatment]!)")
        }
        // On the log scale with no mediator (D's only parent is C), the log-probabilities are the mechanism's.
        let direct = try await exact.potentialOutcomes(treatment: "C", outcome: "D", unitValues: ["A": "old", "B": "low"])
        let mechanism = try await model.distribution(of: "D", given: ["C": "yes"]).logProbabilities
        for (a, b) in zip(direct["yes"]!.logProbabilities, mechanism) { #expect(abs(a - b) < 1e-12) }
        // The ATE equals the difference of the interventional marginals.
        let ate = try await exact.averageTreatmentEffect(treatment: "B", outcome: "D", value: "good", treated: "high", control: "low")
        let high = try await exact.marginals(interventions: ["B": .value("high")])["D"]!["good"]!
        let low = try await exact.marginals(interventions: ["B": .value("low")])["D"]!["good"]!
        #expect(abs(ate - (high - low)) < 1e-12)
    }

    /// The worked example of Documentation/Concepts.md: P(yes | a) = 0.3, P(yes | b) = 0.6. A unit observed with
    /// T = a, Y = no has, under do(T = b), Y = yes with probability (0.6 − 0.3) / 0.7 = 3/7 (shared noise), and a
    /// unit with Y = yes keeps it. Under paper semantics the counterfactual is a fresh draw: 0.6 whatever was seen.
    @Test func conceptsWorkedExample() async throws {
        let graph = try Graph([.categorical("T", ["a", "b"]), .categorical("Y", ["yes", "no"], parents: ["T"])])
        let model = try CausalModel(graph: graph, languageModel: nil, equations: [
            "T": UniformEquation(),
            "Y": ProbabilityTable(rows: [.init(when: ["T": "a"], probabilities: ["yes": 0.3, "no": 0.7]),
                                         .init(when: ["T": "b"], probabilities: ["yes": 0.6, "no": 0.4])]),
        ])
        let sampler = Sampler(model: model, seed: 8)
        let draws = 40_000
        let fromNo = try await sampler.counterfactuals(of: ["T": "a", "Y": "no"], unit: 0, interventions: ["T": .value("b")], draws: draws)
        let yes = Double(fromNo.filter { $0.values[1] == "yes" }.count) / Double(draws)
        #expect(abs(yes - 3.0 / 7.0) < 0.01)
        let fromYes = try await sampler.counterfactuals(of: ["T": "a", "Y": "yes"], unit: 1, interventions: ["T": .value("b")], draws: 2000)
        #expect(fromYes.allSatisfy { $0.values[1] == "yes" })
        var paperYes = 0
        for unit in 0..<draws {
            let factual = try await sampler.sample(unit: unit, interventions: ["T": .value("a")])
            if try await sampler.counterfactual(of: factual, interventions: ["T": .value("b")], semantics: .paper).values[1] == "yes" { paperYes += 1 }
        }
        #expect(abs(Double(paperYes) / Double(draws) - 0.6) < 0.01)
    }
}

/// Paper-semantics counterfactuals with an evidence list (the reference's `evidence_indices`).
@Suite struct EvidenceListTests {
    /// A → B, (A, B) → C, C → D; arm do(C = yes). With evidence [B], B keeps its value while A (a non-descendant not
    /// listed, not exogenous) is redrawn from its prior, as the reference redraws `marathon` in its collider toy:
    /// A's counterfactual values pass a chi-square test against P(A). Without a list every non-descendant is kept.
    @Test func unlistedNonDescendantsAreRedrawn() async throws {
        let model = try MockModels.chain()
        let sampler = Sampler(model: model, seed: 8)
        let units = try await sampler.sample(units: 0..<3000)
        let exact = try await ExactInference(model: model).marginals()
        var counts = [0, 0], changed = 0
        for unit in units {
            let arm = try await sampler.counterfactual(of: unit, interventions: ["C": .value("yes")], semantics: .paper, evidence: ["B"])
            #expect(arm.values[1] == unit.values[1])
            #expect(arm.values[2] == "yes")
            counts[arm.values[0] == "young" ? 0 : 1] += 1
            if arm.values[0] != unit.values[0] { changed += 1 }
            let plain = try await sampler.counterfactual(of: unit, interventions: ["C": .value("yes")], semantics: .paper)
            #expect(plain.values[0] == unit.values[0] && plain.values[1] == unit.values[1])
        }
        let (statistic, degrees) = chiSquare(counts, exact["A"]!.probabilities)
        #expect(statistic < chiSquareCritical(degrees), "\(counts) vs \(exact["A"]!.probabilities)")
        // Fresh noise: A changes in about 2 p (1 − p) of the units.
        let p = exact["A"]!.probabilities[0]
        #expect(abs(Double(changed) / 3000 - 2 * p * (1 - p)) < 0.04)
    }

    /// A descendant of the arm cannot be evidence; shared-noise semantics takes no list; unknown names are errors.
    @Test func badEvidenceListsAreTypedErrors() async throws {
        let sampler = Sampler(model: try MockModels.chain(), seed: 8)
        let unit = try await sampler.sample(unit: 0)
        await #expect(throws: CausalModelError.self) { try await sampler.counterfactual(of: unit, interventions: ["C": .value("yes")], semantics: .paper, evidence: ["D"]) }
        await #expect(throws: CausalModelError.self) { try await sampler.counterfactual(of: unit, interventions: ["C": .value("yes")], semantics: .sharedNoise, evidence: ["B"]) }
        await #expect(throws: CausalModelError.self) { try await sampler.counterfactual(of: unit, interventions: ["C": .value("yes")], semantics: .paper, evidence: ["Q"]) }
    }
}

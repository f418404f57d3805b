import Foundation
import SDSCM
import Testing

/// Results by name, units that know where they came from, stored rows replayed, one distribution shape, and the
/// public pieces a user tests their own equations with.
@Suite struct ResultsTests {
    @Test func unitsAnswerByName() async throws {
        let model = try MockModels.chain()
        let unit = try await Sampler(model: model, seed: 3).sample(unit: 7)
        #expect(unit.variables == ["A", "B", "C", "D"])
        for (index, name) in unit.variables.enumerated() {
            #expect(unit[name] == unit.values[index] && unit[name] == unit[index])
            #expect(unit.text(of: name) == unit.texts[index])
        }
        #expect(unit["Z"] == nil && unit.text(of: "Z") == nil)
        #expect(unit.valuesByName == ["A": unit.values[0], "B": unit.values[1], "C": unit.values[2], "D": unit.values[3]])
        // The distribution D was drawn from is its mechanism given C.
        let drawnFrom = try #require(unit.distribution(of: "D", domain: ["good", "bad", "red"]))
        let mechanism = try await model.distribution(of: "D", given: ["C": unit["C"]!])
        #expect(drawnFrom == mechanism)
        #expect(unit.provenance == Provenance(kind: .sampled, seed: 3, model: model.fingerprint, interventions: "do()"))
    }

    /// A unit drawn with another seed or by another model cannot be replayed: its noise is not this sampler's.
    /// Replayed anyway it would silently be another unit's counterfactual, so the query is refused.
    @Test func counterfactualsRefuseForeignUnits() async throws {
        let model = try MockModels.chain()
        let mine = Sampler(model: model, seed: 1), other = Sampler(model: model, seed: 2)
        let unit = try await other.sample(unit: 4)
        await #expect(throws: CausalModelError.foreignUnit(unit: 4, reason: "it was drawn with seed 2, not this sampler's seed 1")) {
            try await mine.counterfactual(of: unit, interventions: ["B": .value("high")])
        }
        // Another causal model: the same graph scored by another mock.
        let otherModel = try CausalModel(graph: model.graph, languageModel: MockModels.hashed(seed: 8))
        #expect(otherModel.fingerprint != model.fingerprint)
        let foreign = try await Sampler(model: otherModel, seed: 1).sample(unit: 4)
        await #expect(throws: CausalModelError.self) {
            try await mine.counterfactual(of: foreign, interventions: ["B": .value("high")])
        }
        do {
            _ = try await mine.counterfactual(of: foreign, interventions: ["B": .value("high")])
        } catch let CausalModelError.foreignUnit(unit, reason) {
            #expect(unit == 4 && reason.contains(otherModel.fingerprint) && reason.contains(model.fingerprint))
        }
        // Abducted units carry posterior noise, not the seed's: replaying them is refused too.
        let abducted = try await mine.counterfactuals(of: ["A": "old", "B": "low", "C": "yes", "D": "good"], unit: 0,
                                                      interventions: ["B": .value("mid")], draws: 1)[0]
        #expect(abducted.provenance.kind == .abducted)
        await #expect(throws: CausalModelError.self) { try await mine.counterfactual(of: abducted, interventions: [:]) }
        // What is allowed: the sampler's own units and their shared-noise counterfactuals.
        let own = try await mine.sample(unit: 4)
        let arm = try await mine.counterfactual(of: own, interventions: ["B": .value("high")])
        #expect(arm.provenance.kind == .counterfactual)
        #expect(try await mine.counterfactual(of: arm, interventions: ["B": .value(own["B"]!)]).values == own.values)
    }

    /// Rows written as `sdscm sample` writes them come back as the same units (noise, provenance and all), whose
    /// counterfactuals are the originals'; a tampered row is refused, naming the variable.
    @Test func storedRowsReplay() async throws {
        let model = try MockModels.chain()
        let sampler = Sampler(model: model, seed: 12)
        let units = try await sampler.sample(units: 0..<120)
        var table = DataTable(header: ["unit"] + model.graph.variables.map(\.name) + ["text"])
        for unit in units { try table.append([String(unit.index)] + unit.values + [unit.document]) }
        let read = try DataTable(csv: table.csv)
        let restored = try await sampler.units(from: read)
        #expect(restored == units)
        for (unit, back) in zip(units.prefix(20), restored) {
            let a = try await sampler.counterfactual(of: unit, interventions: ["C": .value("no")])
            let b = try await sampler.counterfactual(of: back, interventions: ["C": .value("no")])
            #expect(a == b)
        }
        var rows = read.rows
        let column = try read.columnIndex("D")
        let original = rows[5][column]
        rows[5][column] = original == "good" ? "bad" : "good"
        let tampered = try DataTable(header: read.header, rows: rows)
        await #expect(throws: CausalModelError.foreignUnit(
            unit: 5, reason: "the stored value of 'D' is '\(rows[5][column])', but this sampler (seed 12, model \(model.fingerprint)) draws '\(original)'")) {
            try await sampler.units(from: tampered)
        }
    }

    @Test func distributionsHaveOneShape() async throws {
        let d = Distribution(variable: "x", values: ["a", "b", "c"], probabilities: [0.5, 0.5, 0])
        #expect(d["a"] == 0.5 && d["z"] == nil && d.logProbability(of: "c") == -.infinity)
        #expect(abs(d.logProbabilities[0] - log(0.5)) < 1e-15 && d.mostLikely == "a")
        let e = Distribution(variable: "x", values: ["a", "b"], logProbabilities: [log(0.25), log(0.75)])
        #expect(abs(e["b"]! - 0.75) < 1e-15 && e.mostLikely == "b")
        let marginals = try await ExactInference(model: MockModels.chain()).marginals()
        #expect(marginals.variables == ["A", "B", "C", "D"])
        #expect(marginals["B"]!.values == ["low", "mid", "high"] && marginals["nope"] == nil)
        #expect(abs(marginals["C"]!.probabilities.reduce(0, +) - 1) < 1e-12)
    }

    /// An equation can be checked on its own: build its input by hand.
    @Test func equationsCanBeTestedAlone() async throws {
        let variable = Variable.categorical("Y", ["yes", "no"], parents: ["T"])
        let table = ProbabilityTable(rows: [.init(when: ["T": "a"], probabilities: ["yes": 0.3, "no": 0.7]),
                                            .init(probabilities: ["yes": 0.9, "no": 0.1])])
        let model = try CausalModel(graph: Graph([.categorical("T", ["a", "b"]), variable]), languageModel: nil,
                                    equations: ["T": UniformEquation(), "Y": table])
        let a = try await table.logWeights(EquationInput(variable: variable, parentValues: ["T": "a"]), model: model)
        let b = try await table.logWeights(EquationInput(variable: variable, parentValues: ["T": "b"]), model: model)
        // (tables take logs with PortableMath, the same bits on every platform: within an ulp of the C library's)
        for (got, want) in zip(a + b, [log(0.3), log(0.7), log(0.9), log(0.1)]) { #expect(abs(got - want) < 1e-15) }
        let closure = ClosureEquation(name: "twice") { parents in ["yes": parents["T"] == "a" ? 2 : 1, "no": 1] }
        let c = try await closure.logWeights(EquationInput(variable: variable, parentValues: ["T": "a"]), model: model)
        #expect(abs(c[0] - log(2)) < 1e-15 && c[1] == 0)
    }

    /// Candidate scoring is public at the string level and right where the context ends in a space (the tokenizer
    /// merges the space into the candidate, as the chain rule over the whole string requires).
    @Test func candidateScoringIsPublic() async throws {
        let scores = try await ScoringTests.mock.scoreCandidates([
            CandidateScoringRequest(context: "The pet is ", continuations: ["cat", "dog"]),
            CandidateScoringRequest(context: "The pet is", continuations: [" cat", " dog"]),
        ])
        let cat = ScoringTests.logP(6, after: 3), dog = ScoringTests.logP(8, after: 3)
        for answer in scores {
            #expect(abs(answer.logWeights[0] - cat) < 1e-12 && abs(answer.logWeights[1] - dog) < 1e-12)
        }
    }

    /// Every public error reads the same through `localizedDescription` as in the command line's message.
    @Test func errorsAreLocalized() {
        let errors: [any Error & CustomStringConvertible] = [
            CausalModelError.cycle(["A", "B", "A"]), CausalModelError.foreignUnit(unit: 3, reason: "seed"),
            ConfigurationError(path: "$.variables[0]", message: "bad"), LanguageModelError.emptyContext,
            DataTableError.raggedRow(line: 3, fields: 2, columns: 4),
        ]
        for error in errors {
            #expect(error.localizedDescription == error.description)
            #expect(!error.localizedDescription.contains("error 0") && !error.localizedDescription.contains("operation could"))
        }
    }
}

import Foundation
import SDSCM
import Testing

/// Free-text variables on the mock: generation limits, replayed and abducted counterfactuals.
@Suite struct TextVariableTests {
    static func model(temperature: Double = 1, topK: Int = 0, topP: Double = 1) throws -> CausalModel {
        let graph = try Graph([
            .categorical("pet", ["cat", "dog"], prefix: "The pet is ", suffix: "."),
            .text("note", .init(maxTokens: 6, stop: ["."], temperature: temperature, topK: topK, topP: topP),
                  prefix: "The note: ", parents: ["pet"]),
            .categorical("color", ["red", "blue"], prefix: "The color is ", parents: ["note"]),
        ])
        return try CausalModel(graph: graph, languageModel: MockModels.hashed(seed: 3, spread: 6))
    }

    @Test func generationRespectsLimitsAndStops() async throws {
        let model = try Self.model()
        let sampler = Sampler(model: model, seed: 1)
        var stopped = 0
        for unit in try await sampler.sample(units: 0..<300) {
            let tokens = try #require(unit.tokens[1])
            #expect(tokens.count <= 6)
            #expect(!unit.values[1].contains("."))
            #expect(unit.texts[1] == "The note: " + unit.values[1])
            // The value is the generated text, less the space the prompt's trailing space stands for.
            let generated = try await model.languageModel!.text(of: unit.tokens[1]!)
            #expect(generated.hasPrefix(" " + unit.values[1]) || generated.hasPrefix(unit.values[1]))
            if tokens.count < 6 { stopped += 1 }

        }
        #expect(stopped > 0)
    }

    @Test func replayAndAbductionReproduceTheFactualText() async throws {
        let model = try Self.model()
        let sampler = Sampler(model: model, seed: 2)
        var changed = 0, abducted = 0
        for unit in try await sampler.sample(units: 0..<40) {
            let same = try await sampler.counterfactual(of: unit, interventions: ["pet": .value(unit.values[0])])
            #expect(same.values == unit.values && same.tokens[1] == unit.tokens[1])
            let other = unit.values[0] == "cat" ? "dog" : "cat"
            let flipped = try await sampler.counterfactual(of: unit, interventions: ["pet": .value(other)])
            if flipped.values[1] != unit.values[1] { changed += 1 }
            // Abduction from the text alone (no token ids) reproduces it under the factual value. The prompt ends
            // before the prefix's trailing space, so an observed value is read as following that space; check the
            // units whose generation did start with it (the mock's random pieces often do not).
            guard try await model.languageModel!.text(of: unit.tokens[1]!).hasPrefix(" ") else { continue }
            abducted += 1
            let observation = Dictionary(uniqueKeysWithValues: zip(model.graph.variables.map(\.name), unit.values))
            let draws = try await sampler.counterfactuals(of: observation, unit: unit.index,
                                                    interventions: ["pet": .value(unit.values[0])], draws: 3)
            #expect(draws.count == 3)
            for draw in draws { #expect(draw.values == unit.values) }
        }
        #expect(changed > 10)
        #expect(abducted > 5, "only \(abducted) of 40 units were abducted")
    }

    /// Posterior draws that generate past the observed text use their own noise there: among the draws whose
    /// counterfactual matches on the observed positions, the next token is distributed as the model says
    /// (chi-square), rather than being one token shared by every draw.
    @Test func posteriorDrawsDoNotShareNoiseBeyondTheObservedText() async throws {
        let model = try Self.model()
        let sampler = Sampler(model: model, seed: 6)
        let mock = MockModels.hashed(seed: 3, spread: 6)
        let observation = ["pet": "cat", "note": "red", "color": "red"]
        let observed = try mock.tokenize(" red.", addSpecial: false).count
        let draws = try await sampler.counterfactuals(of: observation, unit: 0, interventions: ["pet": .value("dog")], draws: 3000)
        // Group the draws that continue past the observed positions by the tokens they share there.
        var groups: [[Int]: [Int]] = [:]
        for draw in draws {
            let tokens = draw.tokens[1]!
            if tokens.count > observed { groups[Array(tokens.prefix(observed)), default: []].append(tokens[observed]) }
        }
        let (prefix, next) = try #require(groups.max { $0.value.count < $1.value.count })
        #expect(next.count >= 100, "largest group: \(next.count) draws")
        let prompt = try mock.tokenize("The pet is dog. The note:", addSpecial: true)
        let probabilities = try mock.distribution(after: prompt + prefix).map { exp($0) }
        var counts = [Int](repeating: 0, count: probabilities.count)
        for token in next { counts[token] += 1 }
        // Cells of tokens in order of probability, each expected at least 10 times (the last one pooled with
        // whatever remains).
        var cells: [(count: Int, probability: Double)] = [(0, 0)]
        for token in probabilities.indices.sorted(by: { probabilities[$0] > probabilities[$1] }) {
            if cells[cells.count - 1].probability * Double(next.count) >= 10 { cells.append((0, 0)) }
            cells[cells.count - 1].count += counts[token]
            cells[cells.count - 1].probability += probabilities[token]
        }
        let test = chiSquare(cells.map(\.count), cells.map(\.probability))
        #expect(Set(next).count > 1)
        #expect(test.degrees >= 3)
        #expect(test.statistic < chiSquareCritical(test.degrees), "\(test) over \(next.count) draws")
    }

    @Test func greedyTextIsDeterministic() async throws {
        let base = try Self.model(temperature: 0)
        let model = try CausalModel(graph: base.graph, languageModel: MockModels.hashed(seed: 3, spread: 6), unitsInFlight: 1)
        let sampler = Sampler(model: model, seed: 3)
        let units = try await sampler.sample(units: 0..<20)
        // Generated once per prompt (two pets), not once per unit: at most 6 next-token calls per prompt, plus the
        // categorical mechanisms (pet once, color once per note), whereas 20 units one by one would need ~100.
        #expect(model.counters.modelCalls <= 2 * 6 + 3, "\(model.counters.modelCalls) model calls")
        // Greedy text depends only on the prompt: every unit with the same pet has the same note.
        for pet in ["cat", "dog"] {
            let notes = units.filter { $0["pet"] == pet }.map { $0["note"]! }
            #expect(notes.count >= 3, "only \(notes.count) units with pet = \(pet)")
            #expect(Set(notes).count == 1, "\(pet): \(Set(notes))")
        }
    }

    /// top-k keeps the k most likely tokens: every generated token is among them.
    @Test func topKRestrictsTokens() async throws {
        let model = try Self.model(topK: 3)
        let sampler = Sampler(model: model, seed: 4)
        let mock = MockModels.hashed(seed: 3, spread: 6)
        var checked = 0
        for unit in try await sampler.sample(units: 0..<30) {
            let prompt = try mock.tokenize("The pet is \(unit.values[0]). The note:", addSpecial: true)
            var context = prompt
            for token in unit.tokens[1]! {
                let distribution = try mock.distribution(after: context)
                let rank = distribution.filter { $0 > distribution[token] }.count
                #expect(rank < 3)
                context.append(token)
                checked += 1
            }
        }
        #expect(checked > 30)
    }

    @Test func exactQueriesRefuseTextAncestors() async throws {
        let model = try Self.model()
        await #expect(throws: CausalModelError.needsCategorical(variable: "note", query: "exact marginals")) {
            try await ExactInference(model: model).marginals()
        }
    }
}

import Foundation
import SDSCM
import Testing

/// Candidate scoring against hand-derived expectations on a mock whose next-token distribution depends only on
/// the last token, given as a table.
@Suite struct ScoringTests {
    // Pieces: 0 <s>, 1 "The", 2 " pet", 3 " is", 4 " ", 5 "cat", 6 " cat", 7 "dog", 8 " dog", 9 ".", 10 "a".
    static let pieces = ["<s>", "The", " pet", " is", " ", "cat", " cat", "dog", " dog", ".", "a"]

    /// Next-token weights (log scale) after each last token; unlisted pairs get weight 0.
    static let table: [Int: [Int: Double]] = [
        3: [6: 2.0, 8: 1.0, 4: 0.5],     // after " is": " cat" likelier than " dog"
        6: [9: 3.0],                      // after " cat": "."
        8: [9: 1.0, 10: 2.0],             // after " dog": "a" likelier than "."
        5: [5: 1.5, 9: 0.2],              // after "cat" (reference mode scores here)
        7: [7: 0.7, 9: 0.1],
        4: [5: 1.0, 7: 2.0],              // after " " (trailing-space prefix)
    ]

    static let mock = MockLanguageModel(pieces: pieces, bos: 0) { context in
        let row = table[context.last!] ?? [:]
        return pieces.indices.map { row[$0] ?? 0 }
    }

    /// log softmax of the table row after `last`, entry `token`.
    static func logP(_ token: Int, after last: Int) -> Double {
        let row = pieces.indices.map { table[last]?[$0] ?? 0 }
        let normalizer = log(row.map { exp($0) }.reduce(0, +))
        return row[token] - normalizer
    }

    static func model(_ mode: ScoringMode, prefix: String = "The pet is ", suffix: String = "", scoresSuffix: Bool = false) throws -> CausalModel {
        let graph = try Graph([.categorical("pet", ["cat", "dog"], prefix: prefix, suffix: suffix)])
        return try CausalModel(graph: graph, languageModel: mock, scoring: mode, scoresSuffix: scoresSuffix)
    }

    static func probabilities(_ model: CausalModel) async throws -> [Double] {
        try await model.distribution(of: "pet", given: [:]).probabilities
    }

    /// "The pet is cat" tokenizes as [<s>, The, " pet", " is", " cat"]: the space merges into the candidate, and
    /// scoring starts after the shared [<s>, The, " pet", " is"]. P(cat) ∝ P(" cat" | " is").
    @Test func sumScoresTheCandidateWithItsMergedSpace() async throws {
        let p = try await Self.probabilities(Self.model(.sum))
        let cat = Self.logP(6, after: 3), dog = Self.logP(8, after: 3)
        let expectedCat = exp(cat) / (exp(cat) + exp(dog))
        #expect(abs(p[0] - expectedCat) < 1e-12)
        #expect(abs(p[0] + p[1] - 1) < 1e-12)
    }

    /// With the suffix scored: P(cat) ∝ P(" cat" | " is")·P("." | " cat").
    @Test func sumWithSuffix() async throws {
        let p = try await Self.probabilities(Self.model(.sum, suffix: ".", scoresSuffix: true))
        let cat = Self.logP(6, after: 3) + Self.logP(9, after: 6)
        let dog = Self.logP(8, after: 3) + Self.logP(9, after: 8)
        #expect(abs(p[0] - exp(cat) / (exp(cat) + exp(dog))) < 1e-12)
    }

    /// Two-token candidates under `mean`: the average of the chain-rule terms.
    @Test func meanAveragesPerToken() async throws {
        let graph = try Graph([.categorical("pet", ["cat.", "doga"], prefix: "The pet is ")])
        let model = try CausalModel(graph: graph, languageModel: Self.mock, scoring: .mean)
        let p = try await model.distribution(of: "pet", given: [:]).probabilities
        let cat = (Self.logP(6, after: 3) + Self.logP(9, after: 6)) / 2
        let dog = (Self.logP(8, after: 3) + Self.logP(10, after: 8)) / 2
        #expect(abs(p[0] - exp(cat) / (exp(cat) + exp(dog))) < 1e-12)
    }

    /// Candidates that share their first token (" cat" in "cat." and "cata") are still averaged over all their own
    /// tokens: the shared token's term is in both means, so the mechanism does not depend on the overlap.
    @Test func meanAveragesOverEachCandidatesOwnTokens() async throws {
        let graph = try Graph([.categorical("pet", ["cat.", "cata"], prefix: "The pet is ")])
        let model = try CausalModel(graph: graph, languageModel: Self.mock, scoring: .mean)
        let p = try await model.distribution(of: "pet", given: [:]).probabilities
        let first = (Self.logP(6, after: 3) + Self.logP(9, after: 6)) / 2
        let second = (Self.logP(6, after: 3) + Self.logP(10, after: 6)) / 2
        #expect(abs(p[0] - exp(first) / (exp(first) + exp(second))) < 1e-12)
    }

    /// The `sdscm.py` rule, worked by hand: context " " + "The pet is " = [<s>, " ", "The", " pet", " is", " "];
    /// each candidate is tokenized alone with BOS, [<s>, "cat"]; both candidate tokens are scored by the
    /// distribution after the whole candidate (last token "cat"), averaged; softmax over candidates.
    @Test func referenceReproducesChunkContinuation() async throws {
        #expect(try Self.mock.tokenize(" The pet is ", addSpecial: true) == [0, 4, 1, 2, 3, 4])
        #expect(try Self.mock.tokenize("cat", addSpecial: true) == [0, 5])
        let p = try await Self.probabilities(Self.model(.reference))
        let cat = (Self.logP(0, after: 5) + Self.logP(5, after: 5)) / 2
        let dog = (Self.logP(0, after: 7) + Self.logP(7, after: 7)) / 2
        // Next-token distributions are Float, as the transformer returns them.
        #expect(abs(p[0] - exp(cat) / (exp(cat) + exp(dog))) < 1e-6)
    }

    @Test func contextsListParentsInTauOrder() {
        #expect(TextRendering.context(parentTexts: ["A.", "B."], prefix: "C is ", mode: .sum) == "A. B. C is ")
        #expect(TextRendering.context(parentTexts: [], prefix: "C is ", mode: .sum) == "C is ")
        #expect(TextRendering.context(parentTexts: ["A.", "B."], prefix: "C is ", mode: .reference) == " A. B. C is ")
        #expect(TextRendering.context(parentTexts: [], prefix: "A ", mode: .reference) == " A ")
    }

    /// Each distinct context is scored once; repeated queries are cache hits.
    @Test func mechanismsAreMemoized() async throws {
        let model = try MockModels.chain()
        let sampler = Sampler(model: model, seed: 1)
        _ = try await sampler.sample(units: 0..<200)
        let counters = model.counters
        // A: 1 context, B: 2, C: 6, D: 2.
        #expect(counters.contextsScored == 11)
        #expect(counters.cacheHits == 200 * 4 - 11)
        #expect(counters.tokensScored > 0)
    }
}

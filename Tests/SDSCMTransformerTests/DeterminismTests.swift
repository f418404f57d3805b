import Foundation
import Testing
import SDSCMTestSupport
import SDSCMTensors
import SDSCMTransformer
import SDSCMEngine

/// Outputs must not depend on how work was batched, forked or threaded: the causal layer's noise replay and
/// "same seed, same bytes" rest on it.
@Suite struct DeterminismTests {
    /// Q4_1, Q5_0, Q8_0, Q4_K and Q6_K decode through fused kernels and batch through dequantized panels; F32
    /// uses panels for both.
    static let fixtures = TinyModelTests.fixtures.filter { ["F32", "Q4_1", "Q4_K", "Q5_0", "Q6_K", "Q8_0"].contains($0.type) }

    @Test(arguments: fixtures)
    func tokenByTokenEqualsBatchedPrefill(_ fixture: TinyModelTests.Fixture) throws {
        try Self.expectBatchIndependent(TinyModelTests.model(fixture), fixture.sequences[0].ids, chunks: [3, 10])
    }

    /// Logits of `ids` token by token and in uneven chunks (split at `chunks`) equal the batched prefill's, bit
    /// for bit; returns the batched logits.
    @discardableResult
    static func expectBatchIndependent(_ model: TransformerModel, _ ids: [Int], chunks: [Int]) throws -> [Float] {
        let batched = try TinyModelTests.allLogits(model, ids)
        var cache = model.makeCache()
        var stepwise: [Float] = []
        for id in ids {
            stepwise += try model.evaluate([id], cache: &cache, outputs: [OutputRequest(position: 0, kind: .logits)])[0]
        }
        #expect(stepwise.map(\.bitPattern) == batched.map(\.bitPattern))
        var chunked = model.makeCache()
        var pieces: [Float] = []
        let bounds = [0] + chunks + [ids.count]
        for (start, end) in zip(bounds, bounds.dropFirst()) {
            let chunk = ids[start..<end]
            pieces += try model.evaluate(Array(chunk), cache: &chunked,
                                         outputs: chunk.indices.map { OutputRequest(position: $0 - chunk.startIndex, kind: .logits) })
                .flatMap { $0 }
        }
        #expect(pieces.map(\.bitPattern) == batched.map(\.bitPattern))
        return batched
    }

    /// Rows without an output skip all of the last layer but its key and value projections. The outputs a batch
    /// asks for, and every token evaluated after it (which attends to all of its keys and values), must be those
    /// of the same batch with outputs at every position, bit for bit, in both numerics modes.
    @Test(arguments: fixtures + Gemma3Tests.fixtures)
    func rowsWithoutOutputsChangeNothing(_ fixture: TinyModelTests.Fixture) throws {
        for numerics in [NumericsMode.exact, .llamaCpp] {
            let model = try TransformerModel(path: Fixtures.path("tiny-models/" + fixture.file), threads: 2,
                                             numerics: numerics)
            let first = Array(fixture.sequences[0].ids.prefix(12)), second = Array(fixture.sequences[1].ids.prefix(7))
            let next = [fixture.sequences[0].ids[12], fixture.sequences[1].ids[7]]
            // Reference: every position of both sequences has an output.
            var full = [model.makeCache(), model.makeCache()]
            let everywhere = try model.evaluate(
                [EvaluationRequest(cache: 0, tokens: first, outputs: first.indices.map { OutputRequest(position: $0, kind: .logits) }),
                 EvaluationRequest(cache: 1, tokens: second, outputs: second.indices.map { OutputRequest(position: $0, kind: .logits) })],
                caches: &full)
            let afterFull = try model.evaluate(
                [EvaluationRequest(cache: 0, tokens: [next[0]], outputs: [OutputRequest(position: 0, kind: .logits)]),
                 EvaluationRequest(cache: 1, tokens: [next[1]], outputs: [OutputRequest(position: 0, kind: .logits)])],
                caches: &full)
            // Outputs at a few positions (one asked twice, one with a vocabulary subset), then none at all.
            for picks in [[[11, 3, 3], [0]], [[], [6]], [[], []]] {
                var caches = [model.makeCache(), model.makeCache()]
                let outputs = picks.map { positions in
                    positions.enumerated().map { index, position in
                        OutputRequest(position: position, kind: .logits, vocabulary: index == 1 ? [5, 2, 9] : nil)
                    }
                }
                let some = try model.evaluate([EvaluationRequest(cache: 0, tokens: first, outputs: outputs[0]),
                                               EvaluationRequest(cache: 1, tokens: second, outputs: outputs[1])],
                                              caches: &caches)
                for sequence in 0..<2 {
                    for (output, request) in zip(some[sequence], outputs[sequence]) {
                        let reference = everywhere[sequence][request.position]
                        let expected = request.vocabulary.map { ids in ids.map { reference[$0] } } ?? reference
                        #expect(output.map(\.bitPattern) == expected.map(\.bitPattern),
                                "\(numerics) outputs \(picks), sequence \(sequence), position \(request.position)")
                    }
                }
                let after = try model.evaluate(
                    [EvaluationRequest(cache: 0, tokens: [next[0]], outputs: [OutputRequest(position: 0, kind: .logits)]),
                     EvaluationRequest(cache: 1, tokens: [next[1]], outputs: [OutputRequest(position: 0, kind: .logits)])],
                    caches: &caches)
                #expect(after.flatMap { $0 }.flatMap { $0 }.map(\.bitPattern) == afterFull.flatMap { $0 }.flatMap { $0 }.map(\.bitPattern),
                        "\(numerics) outputs \(picks): the next token")
            }
        }
    }

    @Test(arguments: fixtures)
    func threadCountDoesNotChangeABit(_ fixture: TinyModelTests.Fixture) throws {
        let ids = fixture.sequences[1].ids
        let one = try TinyModelTests.allLogits(TinyModelTests.model(fixture, threads: 1), ids)
        for threads in [2, 3, 5] {
            let many = try TinyModelTests.allLogits(TinyModelTests.model(fixture, threads: threads), ids)
            #expect(many.map(\.bitPattern) == one.map(\.bitPattern), "\(threads) threads")
        }
    }

    /// Acceptance: forking a cache and scoring 4 candidates from it gives the same log-probabilities as scoring
    /// each from scratch.
    @Test(arguments: fixtures)
    func forkedCandidatesEqualScoringFromScratch(_ fixture: TinyModelTests.Fixture) throws {
        let model = try TinyModelTests.model(fixture)
        let context = Array(fixture.sequences[0].ids.prefix(9))
        let candidates = [[12, 40, 7], [3], [100, 100, 5, 9, 1], [60, 2]]
        var cache = model.makeCache()
        _ = try model.evaluate(context, cache: &cache, outputs: [])
        let before = cache.tokens
        let forked = try model.logProbabilities(of: candidates, after: cache)
        #expect(cache.tokens == before)
        for (candidate, scores) in zip(candidates, forked) {
            let scratch = try model.logProbabilities(of: candidate, after: context)
            #expect(scores.map(\.bitPattern) == scratch.map(\.bitPattern))
            // And against an explicit full-vocabulary log-softmax of each step, computed without forks.
            var fresh = model.makeCache()
            var expected: [Float] = []
            var prefix = context
            for token in candidate {
                fresh = model.makeCache()
                let all = try model.nextTokenLogProbabilities(after: prefix, cache: &fresh)
                expected.append(all[token])
                prefix.append(token)
            }
            #expect(scores.map(\.bitPattern) == expected.map(\.bitPattern))
        }
    }

    /// Contexts of one batch that continue the same retained prefix with the same tokens (reference scoring's
    /// candidates after a context) evaluate each shared run once, as a token tree, and every distribution is
    /// bit-identical to the context's own evaluated from scratch. The token count must be the trie's size.
    @Test(arguments: fixtures)
    func sharedRunsOfABatchAreEvaluatedOnce(_ fixture: TinyModelTests.Fixture) throws {
        let model = try TinyModelTests.model(fixture)
        let ids = fixture.sequences[0].ids
        let prefix = Array(ids.prefix(6))
        // Branching at several depths, a context ending where others go on, one alone, and a duplicate.
        let tails = [[1, 12, 40, 7], [1, 12, 40], [1, 12, 41, 9, 9], [1, 3], [2, 3], [1, 12, 40, 7, 8], [5], [1, 3]]
        // One more leaves the retained prefix early: it starts from the prefix's first four tokens.
        let early = Array(ids.prefix(4)) + [9, 9]
        let contexts = tails.map { prefix + $0 } + [early]
        var trie = Set<[Int]>()
        for tail in tails { for k in 1...tail.count { trie.insert(Array(tail.prefix(k))) } }
        for retaining in [false, true] {
            let engine = TransformerLanguageModel(model: model)
            _ = try engine.nextTokenLogProbabilities(after: [prefix])
            let before = engine.tokensEvaluated
            let shared = try engine.nextTokenLogProbabilities(after: contexts, retaining: retaining)
            #expect(engine.tokensEvaluated - before == trie.count + 2, "\(trie.count + 2) trie tokens")
            for (context, distribution) in zip(contexts, shared) {
                let alone = try TransformerLanguageModel(model: model).nextTokenLogProbabilities(after: [context])[0]
                #expect(distribution.map(\.bitPattern) == alone.map(\.bitPattern), "\(context)")
            }
        }
    }

    /// The `llama.cpp` numerics keep the same guarantees: integer kernels (Q4_0, Q4_1, Q5_0, Q6_K, Q8_0), the float
    /// path with rounded activations (Q4_K) and llama.cpp's attention order (16-cell groups aligned to cache cells,
    /// so also for Gemma's sliding-window rows that start mid-group) give a token the same logits whether it is
    /// decoded alone, in an uneven chunk, or in the batched prefill, on any thread count.
    static let llamaCppFixtures = (TinyModelTests.fixtures + Gemma3Tests.fixtures).filter {
        ["Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q6_K", "Q8_0"].contains($0.type)
    }

    @Test(arguments: llamaCppFixtures)
    func llamaCppNumericsAreBatchAndThreadIndependent(_ fixture: TinyModelTests.Fixture) throws {
        let path = Fixtures.path("tiny-models/" + fixture.file)
        let ids = fixture.sequences[0].ids
        let batched = try Self.expectBatchIndependent(TransformerModel(path: path, threads: 2, numerics: .llamaCpp), ids,
                                                      chunks: [5, 7])
        for threads in [1, 3] {
            let other = try TinyModelTests.allLogits(TransformerModel(path: path, threads: threads, numerics: .llamaCpp), ids)
            #expect(other.map(\.bitPattern) == batched.map(\.bitPattern), "\(threads) threads")
        }
    }

    @Test func batchingSequencesTogetherEqualsSeparately() throws {
        let fixture = try #require(Self.fixtures.first { $0.architecture == "qwen3" })
        let model = try TinyModelTests.model(fixture)
        let a = fixture.sequences[0].ids, b = fixture.sequences[1].ids
        var caches = [model.makeCache(), model.makeCache()]
        let together = try model.evaluate([
            EvaluationRequest(cache: 0, tokens: a, outputs: [OutputRequest(position: a.count - 1, kind: .logits)]),
            EvaluationRequest(cache: 1, tokens: b, outputs: [OutputRequest(position: 5, kind: .logProbabilities, vocabulary: [3, 7])]),
        ], caches: &caches)
        var cacheA = model.makeCache(), cacheB = model.makeCache()
        let aliceAlone = try model.evaluate(a, cache: &cacheA, outputs: [OutputRequest(position: a.count - 1, kind: .logits)])
        let bobAlone = try model.evaluate(b, cache: &cacheB, outputs: [OutputRequest(position: 5, kind: .logProbabilities, vocabulary: [3, 7])])
        #expect(together[0] == aliceAlone)
        #expect(together[1] == bobAlone)
        #expect(caches[0].tokens == a && caches[1].tokens == b)
    }

    @Test func selectedRowsEqualTheFullMatrix() throws {
        let fixture = try #require(Self.fixtures.first { $0.architecture == "llama" && $0.type == "Q4_1" })
        let model = try TinyModelTests.model(fixture)
        let ids = fixture.sequences[0].ids
        var full = model.makeCache(), partial = model.makeCache()
        let all = try model.evaluate(ids, cache: &full, outputs: [OutputRequest(position: 4, kind: .logits)])[0]
        let rows = [9, 2, 50, 2]
        let some = try model.evaluate(ids, cache: &partial, outputs: [OutputRequest(position: 4, kind: .logits, vocabulary: rows)])[0]
        #expect(some == rows.map { all[$0] })
        // Log-probabilities normalize over the whole vocabulary even when only a few are returned.
        var again = model.makeCache()
        let logProbabilities = try model.evaluate(ids, cache: &again, outputs: [OutputRequest(position: 4, kind: .logProbabilities, vocabulary: rows)])[0]
        let total = all.map { Foundation.exp(Double($0)) }.reduce(0, +)
        for (value, row) in zip(logProbabilities, rows) {
            #expect(abs(Double(value) - (Double(all[row]) - Foundation.log(total))) < 1e-5)
        }
    }

    @Test func badRequestsAreTypedErrors() throws {
        let fixture = try #require(Self.fixtures.first)
        let model = try TinyModelTests.model(fixture)
        var cache = model.makeCache()
        #expect(throws: TransformerError.tokenOutOfRange(10_000, vocabularySize: model.vocabularySize)) {
            try model.evaluate([1, 10_000], cache: &cache, outputs: [])
        }
        #expect(cache.count == 0)
        let tooLong = [Int](repeating: 1, count: model.configuration.contextLength + 1)
        #expect(throws: TransformerError.contextOverflow(needed: tooLong.count, limit: model.configuration.contextLength)) {
            try model.evaluate(tooLong, cache: &cache, outputs: [])
        }
        #expect(throws: TransformerError.self) {
            try model.evaluate([1, 2], cache: &cache, outputs: [OutputRequest(position: 2, kind: .logits)])
        }
        #expect(throws: TransformerError.self) { try model.logProbabilities(of: [1], after: model.makeCache()) }
        let message = String(describing: TransformerError.contextOverflow(needed: 65, limit: 64))
        #expect(message.contains("65") && message.contains("64"))
    }

    @Test func trimmingAndForkingShareStorage() throws {
        let fixture = try #require(Self.fixtures.first)
        let model = try TinyModelTests.model(fixture)
        var cache = model.makeCache()
        let ids = fixture.sequences[0].ids
        _ = try model.evaluate(ids, cache: &cache, outputs: [])
        var fork = cache
        fork.trim(to: 5)
        #expect(fork.count == 5 && cache.count == ids.count)
        // Re-evaluating the trimmed tail on the fork reproduces the original's last logits exactly.
        let again = try model.evaluate(Array(ids[5...]), cache: &fork, outputs: [OutputRequest(position: ids.count - 6, kind: .logits)])
        var fresh = model.makeCache()
        let original = try model.evaluate(ids, cache: &fresh, outputs: [OutputRequest(position: ids.count - 1, kind: .logits)])
        #expect(again == original)
    }
}

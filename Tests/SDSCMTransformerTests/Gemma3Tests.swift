import Foundation
import SDSCMGGUF
import Testing
import SDSCMTestSupport
import SDSCMTransformer

/// The gemma3 architecture: tiny random-weight models (Tests/Tools/tiny-models/make_tiny_models.py --only gemma3)
/// against the float64 NumPy reference and llama.cpp, with sequences longer than the sliding window; the traits
/// read from metadata; and Gemma-3-270M Q4_K_M against llama.cpp (Tests/Tools/real-model/make_gemma_goldens.py).
@Suite struct Gemma3Tests {
    typealias Fixture = TinyModelTests.Fixture

    static func document() -> [String: Any]? {
        try? Fixtures.json("tiny-models/gemma3-expected.json") as? [String: Any]
    }
    static let vocabularySize = document()?["vocabulary_size"] as? Int ?? 0

    static let fixtures: [Fixture] = {
        guard let entries = document()?["fixtures"] as? [[String: Any]] else { return [] }
        return entries.map { entry in
            let sequences = (entry["sequences"] as? [[String: Any]] ?? []).map { sequence in
                TinyModelTests.Sequence(
                    ids: sequence["ids"] as? [Int] ?? [],
                    reference: TinyModelTests.floats(sequence["reference_logits"]),
                    llamaCpp: TinyModelTests.floats(sequence["llamacpp_logits"]),
                    llamaCppSpread: sequence["llamacpp_spread"] as? Double ?? 0,
                    referenceVersusLlamaCpp: sequence["reference_vs_llamacpp"] as? Double ?? 0,
                    llamaCppUntiled: sequence["llamacpp_untiled_logits"].map { TinyModelTests.floats($0) })
            }
            return Fixture(file: entry["file"] as? String ?? "", architecture: entry["architecture"] as? String ?? "",
                           type: entry["type"] as? String ?? "", sequences: sequences)
        }
    }()

    static func model(_ file: String) throws -> TransformerModel {
        try TransformerModel(path: Fixtures.path("tiny-models/" + file), threads: 2)
    }

    @Test func fixturesCoverBothLayerKindsBeyondTheWindow() throws {
        #expect(Set(Self.fixtures.map(\.type)) == ["F32", "Q8_0", "Q5_0", "Q4_K", "Q6_K"])
        for fixture in Self.fixtures {
            let configuration = try Self.model(fixture.file).configuration
            let window = try #require(configuration.slidingWindow)
            #expect(configuration.slidingLayers.contains(true) && configuration.slidingLayers.contains(false))
            #expect(fixture.sequences.allSatisfy { $0.ids.count > 2 * window }, "\(fixture.file)")
        }
    }

    /// The traits the fixtures were written with: llama.cpp's default pattern, window and local RoPE base on the
    /// block-32 models (as Gemma-3-270M), and every optional key on the K-quant ones.
    @Test func metadataMapsToTraits() throws {
        let plain = try Self.model("tiny-gemma3-f32.gguf").configuration
        #expect(plain.architecture.name == "gemma3")
        #expect(plain.slidingLayers == [true, true, true, true, true, false])
        #expect(plain.slidingWindow == 8)
        #expect(plain.ropeBase == 1_000_000 && plain.localRopeBase == 10_000 && plain.ropePositionScale == 1)
        #expect(plain.headDimension == 32 && plain.queryWidth == 128 && plain.keyValueHeadCount == 1)
        #expect(plain.attentionScale == 1 / Float(32).squareRoot())
        #expect(plain.logitSoftcap == nil)

        let options = try Self.model("tiny-gemma3-q4_k.gguf").configuration
        #expect(options.slidingLayers == [true, false])
        #expect(options.slidingWindow == 5)
        #expect(options.localRopeBase == 5_000 && options.ropePositionScale == 0.5)
        #expect(options.logitSoftcap == 30)
    }

    /// As for the other architectures: max |Δ| ≤ 1e-4 · max(1, max |reference|) over every position and logit.
    @Test(arguments: fixtures)
    func matchesFloat64Reference(_ fixture: Fixture) throws {
        let model = try Self.model(fixture.file)
        for sequence in fixture.sequences {
            try TinyModelTests.expectMatchesFloat64Reference(model, sequence, label: fixture.testDescription)
        }
    }

    /// The tolerance of TinyModelTests.staysWithinLlamaCppsOwnSpread. On F32 weights llama.cpp differs from the
    /// exact evaluation by about 3e-3 here (not 1e-5 as for qwen3): ggml evaluates GELU from a half-precision
    /// table, and six layers of it add up.
    @Test(arguments: fixtures)
    func staysWithinLlamaCppsOwnSpread(_ fixture: Fixture) throws {
        let model = try Self.model(fixture.file)
        for sequence in fixture.sequences {
            try TinyModelTests.expectWithinLlamaCppsSpread(model, sequence, vocabulary: Self.vocabularySize,
                                                           label: fixture.testDescription)
        }
    }

    /// Token-by-token decoding through the cache masks the same old positions as one batch does: identical logits.
    @Test(arguments: ["tiny-gemma3-f32.gguf", "tiny-gemma3-q4_k.gguf"])
    func decodingPastTheWindowMatchesTheBatch(_ file: String) throws {
        let model = try Self.model(file)
        let ids = try #require(Self.fixtures.first { $0.file == file }?.sequences.first?.ids)
        let batch = try TinyModelTests.allLogits(model, ids)
        var cache = model.makeCache()
        var stepped: [Float] = []
        for id in ids {
            stepped += try model.evaluate([id], cache: &cache, outputs: [OutputRequest(position: 0, kind: .logits)])[0]
        }
        #expect(stepped == batch)
    }

    // MARK: Typed errors

    static func metadata(_ architecture: String, extra: (inout GGUFBuilder) -> Void = { _ in }) throws -> GGUFMetadata {
        var builder = GGUFBuilder()
        builder.add("general.architecture", string: architecture)
        builder.add("\(architecture).embedding_length", uint32: 8)
        builder.add("\(architecture).block_count", uint32: 3)
        builder.add("\(architecture).feed_forward_length", uint32: 16)
        builder.add("\(architecture).attention.head_count", uint32: 2)
        builder.add("\(architecture).context_length", uint32: 64)
        extra(&builder)
        return try GGUFFile(bytes: builder.bytes()).metadata
    }

    @Test func unsupportedArchitectureIsATypedError() throws {
        #expect(throws: TransformerError.unsupportedArchitecture("gemma9")) {
            _ = try ModelConfiguration(metadata: Self.metadata("gemma9"))
        }
        #expect(TransformerError.unsupportedArchitecture("gemma9").description.contains("gemma3"))
    }

    @Test func unsupportedRopeScalingIsRefused() throws {
        let metadata = try Self.metadata("gemma3") { builder in
            builder.add("gemma3.rope.scaling.type", string: "yarn")
            builder.add("gemma3.rope.scaling.factor", typeID: 6, payload: GGUFBuilder.le(Float(4).bitPattern))
        }
        #expect {
            _ = try ModelConfiguration(metadata: metadata)
        } throws: { error in
            guard case TransformerError.invalidHyperparameter(let key, _) = error else { return false }
            return key == "gemma3.rope.scaling.type"
        }
    }

    @Test func slidingWindowPatternArrayMustCoverEveryLayer() throws {
        func metadata(_ flags: [Bool]) throws -> GGUFMetadata {
            try Self.metadata("gemma3") { builder in
                builder.add("gemma3.attention.sliding_window", uint32: 4)
                let payload = GGUFBuilder.le(UInt32(7)) + GGUFBuilder.le(UInt64(flags.count)) + flags.map { $0 ? 1 : 0 }
                builder.add("gemma3.attention.sliding_window_pattern", typeID: 9, payload: payload)
            }
        }
        #expect(try ModelConfiguration(metadata: metadata([false, true, false])).slidingLayers == [false, true, false])
        #expect {
            _ = try ModelConfiguration(metadata: metadata([true, false]))
        } throws: { error in
            guard case TransformerError.invalidHyperparameter(let key, _) = error else { return false }
            return key == "gemma3.attention.sliding_window_pattern"
        }
    }

    // MARK: Gemma-3-270M

    static let gate = RealModelGate(.gemma3, filter: "Gemma3")
    static let path = gate.path
    static let enabled = gate.enabled
    static let reason = gate.reason

    static func goldens() throws -> LlamaCppGoldens { try .load("gemma3-llamacpp-logprobs.json") }

    /// The real file's hyper-parameters (cheap: metadata only, so it runs in debug builds too).
    @Test(.enabled(if: path != nil, Comment(rawValue: Fixtures.missingReason(.gemma3))))
    func gemma270MConfiguration() throws {
        let c = try ModelConfiguration(metadata: GGUFFile(path: try #require(Self.path)).metadata)
        #expect(c.layerCount == 18 && c.embeddingLength == 640 && c.headCount == 4 && c.keyValueHeadCount == 1)
        #expect(c.headDimension == 256 && c.feedForwardLength == 2048 && c.normEpsilon == 1e-6)
        #expect(c.slidingWindow == 512)
        #expect(c.slidingLayers == (0..<18).map { $0 % 6 != 5 })
        #expect(c.ropeBase == 1_000_000 && c.localRopeBase == 10_000 && c.ropePositionScale == 1)
        #expect(c.attentionScale == 1 / 16 && c.logitSoftcap == nil)
    }

    /// Top-5 log-probabilities of every golden prompt under `model`: (worst |Δ| on `entries`' top 5, prompts whose
    /// most likely token differs).
    static func compare(_ model: TransformerModel, _ entries: (LlamaCppGoldens.Case) -> [LlamaCppGoldens.Entry]) throws
        -> (worst: Double, topOneMisses: [String]) {
        var worst = 0.0
        var misses: [String] = []
        for testCase in try goldens().cases {
            var cache = model.makeCache()
            let values = try model.nextTokenLogProbabilities(after: testCase.ids, cache: &cache)
            let expected = entries(testCase)
            if values.indices.max(by: { values[$0] < values[$1] }) != expected[0].id {
                misses.append(String(testCase.prompt.suffix(40)))
            }
            for entry in expected.prefix(5) {
                worst = max(worst, abs(Double(values[entry.id]) - entry.logprob))
            }
        }
        return (worst, misses)
    }

    /// Like for like: llama.cpp evaluating the same weight values in float (a copy of the file dequantized to
    /// F32, F32 KV cache, flash attention off) against our exact evaluation. What remains is llama.cpp's
    /// half-precision GELU table and float summation order.
    @Test(.enabled(if: enabled, reason))
    func gemma270MMatchesLlamaCppOnTheSameFloatWeights() throws {
        let model = try TransformerModel(path: try #require(Self.path))
        let cases = try Self.goldens().cases
        #expect(cases.filter { $0.ids.count > 512 }.count == 3)
        for testCase in cases {
            #expect(model.tokenizer.encode(testCase.prompt, addSpecial: true, parseSpecial: true) == testCase.ids)
        }
        let (worst, misses) = try Self.compare(model) { $0.dequantized_f32_top }
        #expect(misses.isEmpty, "top-1 differs on \(misses)")
        #expect(worst <= 0.1)  // measured 0.012
        print("Gemma-3-270M vs llama.cpp on dequantized F32 weights: worst |Δ logprob| on the top 5 = \(worst)")
    }

    /// Against llama.cpp's native Q4_K_M execution (pinned: F32 KV cache, flash attention off), which rounds
    /// every activation to 8 bits before each matmul and so sits as far from the exact result as from llama.cpp
    /// on the same weights in float: on these prompts llama.cpp's own native-vs-float distance reaches 0.62 on the
    /// top 5, and its F16 KV cache alone moves them by up to 0.34. So the bound is llama.cpp's own native-vs-float
    /// distance plus 0.05 (the like-for-like test above holds to 0.1), and top-1 must agree wherever llama.cpp's
    /// three configurations agree among themselves (9 of 10 prompts: on "Once upon a time, there was a" the
    /// native top three lie within 0.14 and llama.cpp's float and F16-cache runs pick another token).
    @Test(.enabled(if: enabled, reason))
    func gemma270MStaysWithinLlamaCppsQuantizationNoise() throws {
        let model = try TransformerModel(path: try #require(Self.path))
        var worst = 0.0, llamaCppOwn = 0.0
        for testCase in try Self.goldens().cases {
            var cache = model.makeCache()
            let values = try model.nextTokenLogProbabilities(after: testCase.ids, cache: &cache)
            let float = Dictionary(uniqueKeysWithValues: testCase.dequantized_f32_top.map { ($0.id, $0.logprob) })
            for entry in testCase.top.prefix(5) {
                worst = max(worst, abs(Double(values[entry.id]) - entry.logprob))
                if let other = float[entry.id] { llamaCppOwn = max(llamaCppOwn, abs(other - entry.logprob)) }
            }
            let topOnes = Set([testCase.top[0].id, testCase.default_config_top[0].id, testCase.dequantized_f32_top[0].id])
            if topOnes.count == 1 {
                #expect(values.indices.max { values[$0] < values[$1] } == testCase.top[0].id, "\(testCase.prompt.suffix(40))")
            }
        }
        #expect(worst <= llamaCppOwn + 0.05)
        print("Gemma-3-270M vs llama.cpp Q4_K_M: worst |Δ logprob| on the top 5 = \(worst) "
              + "(llama.cpp's own native vs float weights: \(llamaCppOwn))")
    }
}

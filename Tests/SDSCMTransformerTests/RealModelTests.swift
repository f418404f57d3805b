import Foundation
import Testing
import SDSCMTestSupport
import SDSCMTransformer

/// SmolLM2-135M-Instruct Q4_1 against llama.cpp (Tests/Tools/real-model/make_goldens.py). A full forward of a 30-layer
/// model takes minutes in a debug build, so these run in release builds (`swift test -c release`, as CI does).
@Suite struct RealModelTests {
    static let gate = RealModelGate(.smolLM2, filter: "TransformerTests")
    static let path = gate.path
    static let enabled = gate.enabled
    static let reason = gate.reason

    static func goldens() throws -> LlamaCppGoldens { try .load("smollm2-llamacpp-logprobs.json") }

    static func logProbabilities(_ model: TransformerModel, _ ids: [Int]) throws -> [Float] {
        var cache = model.makeCache()
        return try model.nextTokenLogProbabilities(after: ids, cache: &cache)
    }

    /// Like for like: llama.cpp evaluating the same weight values in float (a copy of the file dequantized to
    /// F32, F32 KV cache, flash attention off). Top 10 of 12 prompts, identical top-1, |Δ| ≤ 1e-3.
    @Test(.enabled(if: enabled, reason))
    func matchesLlamaCppOnTheSameFloatWeights() throws {
        let model = try TransformerModel(path: try #require(Self.path))
        var worst = 0.0
        for testCase in try Self.goldens().cases {
            #expect(model.tokenizer.encode(testCase.prompt, addSpecial: true, parseSpecial: true) == testCase.ids)
            let values = try Self.logProbabilities(model, testCase.ids)
            #expect(values.indices.max { values[$0] < values[$1] } == testCase.dequantized_f32_top[0].id)
            for entry in testCase.dequantized_f32_top {
                worst = max(worst, abs(Double(values[entry.id]) - entry.logprob))
            }
        }
        #expect(worst <= 1e-3)
        print("SmolLM2 vs llama.cpp on dequantized F32 weights: worst |Δ logprob| on the top 10 = \(worst)")
    }

    /// Against llama.cpp's native Q4_1 execution, which rounds every activation to 8 bits before each matmul:
    /// identical top-1 on all prompts, and the top 5 within llama.cpp's quantization noise. That noise, measured
    /// on these prompts, reaches 0.39: reproducing llama.cpp's rounding exactly (`NumericsMode.llamaCpp`) and
    /// changing nothing but fused versus separate multiply-add moves the top 5 by up to 0.39, and llama.cpp's
    /// own switch from an F32 to an F16 KV cache moves them by up to 0.30. So the bound is 0.45, not 0.3; the
    /// like-for-like test above holds to 1e-3.
    @Test(.enabled(if: enabled, reason))
    func staysWithinLlamaCppsQuantizationNoise() throws {
        let model = try TransformerModel(path: try #require(Self.path))
        var worst = 0.0
        for testCase in try Self.goldens().cases {
            let values = try Self.logProbabilities(model, testCase.ids)
            #expect(values.indices.max { values[$0] < values[$1] } == testCase.top[0].id, "\(testCase.prompt)")
            for entry in testCase.top.prefix(5) {
                worst = max(worst, abs(Double(values[entry.id]) - entry.logprob))
            }
        }
        #expect(worst <= 0.45)
        print("SmolLM2 vs llama.cpp Q4_1: worst |Δ logprob| on the top 5 = \(worst)")
    }

    /// `NumericsMode.llamaCpp` on the same file, where the Q4_1 and Q8_0 products go through the integer kernels
    /// that follow ggml's x86 dot products and everything else follows llama.cpp's own rounding order: llama.cpp's
    /// log-probabilities to float precision on every prompt (measured 2026-12-07: 2.3e-7 on the top 10; the goldens
    /// are llama.cpp's logits put through a Double log-softmax, ours come back as Float). Before attention, RoPE,
    /// norms and SiLU followed llama.cpp (the same day), one 8-bit activation rounding the other way moved them by
    /// up to 0.27.
    @Test(.enabled(if: enabled, reason))
    func llamaCppNumericsReproduceLlamaCpp() throws {
        let model = try TransformerModel(path: try #require(Self.path), numerics: .llamaCpp)
        var worst = 0.0, fromExact = 0.0
        for testCase in try Self.goldens().cases {
            let values = try Self.logProbabilities(model, testCase.ids)
            #expect(values.indices.max { values[$0] < values[$1] } == testCase.top[0].id, "\(testCase.prompt)")
            for entry in testCase.top {
                worst = max(worst, abs(Double(values[entry.id]) - entry.logprob))
            }
            for entry in testCase.dequantized_f32_top {
                fromExact = max(fromExact, abs(Double(values[entry.id]) - entry.logprob))
            }
        }
        // The accuracy cost of the mode, reported: its distance from the float evaluation of the same weights.
        print("SmolLM2, numerics llama.cpp, vs llama.cpp Q4_1: worst |Δ logprob| on the top 10 = \(worst); "
              + "vs the same weights in float (llama.cpp on a dequantized copy): \(fromExact)")
        #expect(worst <= 1e-6)
    }

    /// Acceptance: ' Paris' first, within 0.3 of llama.cpp's −0.259.
    @Test(.enabled(if: enabled, reason))
    func parisIsTheCapitalOfFrance() throws {
        let model = try TransformerModel(path: try #require(Self.path))
        let ids = model.tokenizer.encode("The capital of France is")
        #expect(ids == [504, 3575, 282, 4649, 314])
        let values = try Self.logProbabilities(model, ids)
        let paris = try #require(model.tokenizer.vocabulary.id(of: "ĠParis"))
        #expect(paris == 7042)
        #expect(values.indices.max { values[$0] < values[$1] } == paris)
        #expect(abs(Double(values[paris]) - -0.259) <= 0.3)
    }
}

import Foundation
import SDSCMGGUF
import Testing
import SDSCMTestSupport
import SDSCMTransformer

/// Tiny random-weight models of every architecture and weight format (Tests/Tools/tiny-models/make_tiny_models.py)
/// against an independent float64 NumPy forward pass and against llama.cpp.
@Suite struct TinyModelTests {
    struct Fixture: Sendable, CustomTestStringConvertible {
        let file: String
        let architecture: String
        let type: String
        let sequences: [Sequence]
        var testDescription: String { "\(architecture) \(type)" }
    }

    struct Sequence: Sendable {
        let ids: [Int]
        let reference: [Float]
        let llamaCpp: [Float]
        let llamaCppSpread: Double
        let referenceVersusLlamaCpp: Double
        /// llama.cpp with its tiled K-quant kernels off (`GGML_CPU_TILED_MM=0`; K-quant models only).
        var llamaCppUntiled: [Float]? = nil
    }

    static let vocabularySize: Int = (try? document()["vocabulary_size"] as? Int) ?? 0

    static func document() throws -> [String: Any] {
        try #require(try Fixtures.json("tiny-models/expected.json") as? [String: Any])
    }

    static let fixtures: [Fixture] = {
        guard let document = try? document(), let entries = document["fixtures"] as? [[String: Any]] else { return [] }
        return entries.map { entry in
            let sequences = (entry["sequences"] as? [[String: Any]] ?? []).map { sequence in
                Sequence(ids: sequence["ids"] as? [Int] ?? [],
                         reference: floats(sequence["reference_logits"]),
                         llamaCpp: floats(sequence["llamacpp_logits"]),
                         llamaCppSpread: sequence["llamacpp_spread"] as? Double ?? 0,
                         referenceVersusLlamaCpp: sequence["reference_vs_llamacpp"] as? Double ?? 0,
                         llamaCppUntiled: sequence["llamacpp_untiled_logits"].map { floats($0) })
            }
            return Fixture(file: entry["file"] as? String ?? "", architecture: entry["architecture"] as? String ?? "",
                           type: entry["type"] as? String ?? "", sequences: sequences)
        }
    }()

    static func floats(_ value: Any?) -> [Float] {
        guard let text = value as? String, let data = Data(base64Encoded: text) else { return [] }
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    static func model(_ fixture: Fixture, threads: Int = 2) throws -> TransformerModel {
        try TransformerModel(path: Fixtures.path("tiny-models/" + fixture.file), threads: threads)
    }

    /// Logits for every position of `ids`, evaluated as one batch.
    static func allLogits(_ model: TransformerModel, _ ids: [Int]) throws -> [Float] {
        var cache = model.makeCache()
        let outputs = ids.indices.map { OutputRequest(position: $0, kind: .logits) }
        return try model.evaluate(ids, cache: &cache, outputs: outputs).flatMap { $0 }
    }

    @Test func everyArchitectureAndFormatIsCovered() {
        let fixtures = Self.fixtures
        #expect(Set(fixtures.map(\.architecture)) == ["llama", "qwen2", "qwen3", "gpt2"])
        #expect(Set(fixtures.map(\.type)) == ["F32", "F16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q6_K"])
        #expect(fixtures.count == 32)
    }

    /// The float64 reference evaluates the same (dequantized) weights exactly; we must agree to 1e-4 relative:
    /// max |Δ| ≤ 1e-4 · max(1, max |reference|) over all positions and vocabulary entries.
    @Test(arguments: fixtures)
    func matchesFloat64Reference(_ fixture: Fixture) throws {
        let model = try Self.model(fixture)
        for sequence in fixture.sequences {
            try Self.expectMatchesFloat64Reference(model, sequence, label: fixture.testDescription)
        }
    }

    /// llama.cpp quantizes activations to 8 bits before every quantized matmul and keeps its KV cache in F16 by
    /// default; an exact evaluation of the same weights (the float64 reference) therefore differs from it by
    /// `referenceVersusLlamaCpp`, an amount of the same order as llama.cpp's own spread between its
    /// configurations (F32 vs F16 KV cache, flash attention on vs off). We evaluate exactly, so the tolerance is
    /// the larger of those two figures plus 10% and 1e-3 — and on F32 weights, where llama.cpp is exact too,
    /// that is about 1e-3.
    @Test(arguments: fixtures)
    func staysWithinLlamaCppsOwnSpread(_ fixture: Fixture) throws {
        let model = try Self.model(fixture)
        for sequence in fixture.sequences {
            try Self.expectWithinLlamaCppsSpread(model, sequence, vocabulary: Self.vocabularySize, label: fixture.testDescription)
        }
    }
}

import Foundation
import Testing
import SDSCMTestSupport
import SDSCMTransformer

/// llama.cpp's top next-token log-probabilities for prompts on a real model, as written by
/// Tests/Tools/real-model/make_goldens.py (SmolLM2) and make_gemma_goldens.py (Gemma-3).
struct LlamaCppGoldens: Decodable {
    struct Entry: Decodable { let id: Int; let logprob: Double }
    struct Case: Decodable {
        let prompt: String
        let ids: [Int]
        /// llama.cpp on the file as shipped (F32 KV cache, no flash attention).
        let top: [Entry]
        /// llama.cpp's default configuration (F16 KV cache).
        let default_config_top: [Entry]
        /// llama.cpp on a copy of the file with every weight dequantized to F32.
        let dequantized_f32_top: [Entry]
    }
    let cases: [Case]

    /// The goldens in `Tests/Fixtures/<fileName>`.
    static func load(_ fileName: String) throws -> LlamaCppGoldens {
        try JSONDecoder().decode(LlamaCppGoldens.self, from: Data(contentsOf: Fixtures.directory.appendingPathComponent(fileName)))
    }
}

/// Real-model forward passes take minutes in a debug build, so those tests run in release builds (as CI does) and
/// only where the model was fetched.
struct RealModelGate {
    let path: String?
    let enabled: Bool
    let reason: Comment

    init(_ file: FetchedModelFile, filter: String) {
        path = Fixtures.fetched(file)
        #if DEBUG
        enabled = false
        reason = Comment(rawValue: "runs in release builds only (swift test -c release --filter \(filter))")
        #else
        enabled = path != nil
        reason = Comment(rawValue: Fixtures.missingReason(file))
        #endif
    }
}

extension TinyModelTests {
    /// A tiny fixture's logits against the float64 NumPy reference on the same (dequantized) weights:
    /// max |Δ| ≤ 1e-4 · max(1, max |reference|) over every position and logit.
    static func expectMatchesFloat64Reference(_ model: TransformerModel, _ sequence: Sequence, label: String) throws {
        let logits = try allLogits(model, sequence.ids)
        #expect(logits.count == sequence.reference.count)
        let scale = max(1, sequence.reference.map { abs($0) }.max() ?? 0)
        let error = zip(logits, sequence.reference).map { abs($0 - $1) }.max() ?? .infinity
        #expect(error <= 1e-4 * scale, "\(label): max |Δ| \(error) vs reference (scale \(scale))")
        print("\(label), \(sequence.ids.count) tokens: max |Δ logit| vs float64 = \(error) (scale \(scale))")
    }

    /// A tiny fixture's logits against llama.cpp's: within 1.1 × the larger of llama.cpp's own spread (across its
    /// configurations) and our float64 reference's distance to it, and the same most likely next token wherever
    /// llama.cpp's own margin exceeds twice that tolerance.
    static func expectWithinLlamaCppsSpread(_ model: TransformerModel, _ sequence: Sequence, vocabulary: Int,
                                            label: String) throws {
        let logits = try allLogits(model, sequence.ids)
        let tolerance = 1.1 * max(sequence.llamaCppSpread, sequence.referenceVersusLlamaCpp) + 1e-3
        let error = zip(logits, sequence.llamaCpp).map { Double(abs($0 - $1)) }.max() ?? .infinity
        #expect(error <= tolerance, "\(label): max |Δ| \(error) vs llama.cpp, tolerance \(tolerance)")
        print("\(label): max |Δ logit| vs llama.cpp = \(error) (tolerance \(tolerance))")
        for position in sequence.ids.indices {
            let ours = Array(logits[(position * vocabulary)..<((position + 1) * vocabulary)])
            let theirs = Array(sequence.llamaCpp[(position * vocabulary)..<((position + 1) * vocabulary)])
            let sorted = theirs.sorted(by: >)
            guard Double(sorted[0] - sorted[1]) > 2 * tolerance else { continue }
            #expect(ours.firstIndex(of: ours.max()!) == theirs.firstIndex(of: sorted[0]), "\(label): position \(position)")
        }
    }
}

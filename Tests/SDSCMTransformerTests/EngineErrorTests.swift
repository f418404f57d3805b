import Foundation
import SDSCMGGUF
import SDSCMTensors
import SDSCMTokenizers
import SDSCMTransformer
import Testing
import SDSCMTestSupport

/// Every public error of the engine reads the same through `localizedDescription` as in the command line's message
/// (Foundation's default would print "The operation could not be completed").
@Suite struct EngineErrorTests {
    @Test func errorsAreLocalized() {
        let errors: [any Error & CustomStringConvertible] = [
            GGUFError.fileUnreadable(path: "/x.gguf", reason: "missing"),
            TensorError.rowOutOfRange(tensor: "t", row: 9, rowCount: 3),
            TokenizerError.unsupportedPreTokenizer("tekken"),
            TransformerError.missingTensor("output_norm.weight"),
        ]
        for error in errors {
            #expect(error.localizedDescription == error.description)
            #expect(!error.localizedDescription.contains("operation could"))
        }
    }
}

/// Corrupt hyperparameters are typed errors naming the key (an earlier release tried to allocate 2.6 TB for
/// `block_count` 0xFFFFFFFF and gave NaN log-probabilities for a negative RMS epsilon or a NaN RoPE base).
@Suite struct CorruptHyperparameterTests {
    static func metadata(blockCount: UInt32 = 2, epsilon: Float = 1e-5, ropeBase: Float = 10_000) throws -> GGUFMetadata {
        var builder = GGUFBuilder()
        builder.add("general.architecture", string: "llama")
        builder.add("llama.embedding_length", uint32: 8)
        builder.add("llama.block_count", uint32: blockCount)
        builder.add("llama.feed_forward_length", uint32: 16)
        builder.add("llama.attention.head_count", uint32: 2)
        builder.add("llama.context_length", uint32: 64)
        builder.add("llama.attention.layer_norm_rms_epsilon", typeID: 6, payload: GGUFBuilder.le(epsilon.bitPattern))
        builder.add("llama.rope.freq_base", typeID: 6, payload: GGUFBuilder.le(ropeBase.bitPattern))
        return try GGUFFile(bytes: builder.bytes()).metadata
    }

    @Test func sensibleValuesAreAccepted() throws {
        let configuration = try ModelConfiguration(metadata: Self.metadata())
        #expect(configuration.layerCount == 2 && configuration.normEpsilon == 1e-5)
    }

    @Test(arguments: [(UInt32(0xFFFF_FFFF), Float(1e-5), Float(10_000), "llama.block_count"),
                      (2, -1e-5, 10_000, "llama.attention.layer_norm_rms_epsilon"),
                      (2, 1e-5, Float.nan, "llama.rope.freq_base")])
    func corruptValuesAreNamed(blockCount: UInt32, epsilon: Float, ropeBase: Float, key: String) throws {
        #expect {
            _ = try ModelConfiguration(metadata: Self.metadata(blockCount: blockCount, epsilon: epsilon, ropeBase: ropeBase))
        } throws: { error in
            guard case TransformerError.invalidHyperparameter(let named, _) = error else { return false }
            return named == key
        }
    }
}

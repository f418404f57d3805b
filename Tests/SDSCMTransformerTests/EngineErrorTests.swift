import Foundation
import SDSCMGGUF
import SDSCMTensors
import SDSCMTokenizers
import SDSCMTransformer
import Testing

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

import SDSCMGGUF
import SDSCMTestSupport
import SDSCMTokenizers
import Testing

/// A GGUF whose vocabulary is empty is refused naming the key (an earlier release accepted it, and every prompt
/// then failed somewhere far from the cause).
@Suite struct VocabularyValidationTests {
    @Test func emptyVocabularyIsRefused() throws {
        var builder = GGUFBuilder()
        builder.add("general.architecture", string: "llama")
        builder.add("tokenizer.ggml.model", string: "gpt2")
        builder.add("tokenizer.ggml.tokens", typeID: 9, payload: GGUFBuilder.array(elementTypeID: 8, count: 0, elements: []))
        let file = try GGUFFile(bytes: builder.bytes())
        #expect(throws: TokenizerError.invalidMetadata(key: "tokenizer.ggml.tokens", reason: "the vocabulary is empty")) {
            try Vocabulary(metadata: file.metadata)
        }
    }
}

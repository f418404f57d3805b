import SDSCMGGUF

/// Builds the tokenizer a GGUF file describes.
public enum TokenizerFactory {
    /// The tokenizer for `metadata` (`tokenizer.ggml.*` keys): SentencePiece for `llama`, byte-pair encoding for
    /// `gpt2` and `gemma4`. Other tokenizer types (WordPiece `bert`, Unigram `t5`, `rwkv`, …) are rejected with
    /// `TokenizerError.unsupportedModel` naming them.
    public static func make(metadata: GGUFMetadata) throws -> any Tokenizer {
        let vocabulary = try Vocabulary(metadata: metadata)
        switch vocabulary.model {
        case .sentencePiece: return try SentencePieceTokenizer(vocabulary: vocabulary)
        case .bytePairEncoding: return try BytePairTokenizer(vocabulary: vocabulary, metadata: metadata)
        }
    }
}

extension GGUFFile {
    /// The tokenizer stored in this file's metadata.
    public func makeTokenizer() throws -> any Tokenizer {
        try TokenizerFactory.make(metadata: metadata)
    }
}

import Foundation

/// Why a tokenizer could not be built or asked to do something.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `tokenizer.ggml.model` names an algorithm this package does not implement.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer this package does not implement.
    case unsupportedPreTokenizer(String)
    /// A tokenizer key exists but its contents are unusable.
    case invalidMetadata(key: String, reason: String)
    /// Two vocabulary entries have the same text.
    case duplicateToken(text: String, first: Int, second: Int)
    /// A token id outside the vocabulary.
    case tokenOutOfRange(Int, vocabularySize: Int)

    /// The message, naming the metadata key or token at fault.
    public var description: String {
        switch self {
        case .unsupportedModel(let model):
            return "tokenizer.ggml.model '\(model)' is not supported (supported: 'llama' (SentencePiece), "
                + "'gpt2' (byte-level BPE), 'gemma4')"
        case .unsupportedPreTokenizer(let name):
            return "tokenizer.ggml.pre '\(name)' is not supported"
        case let .invalidMetadata(key, reason):
            return "metadata key '\(key)': \(reason)"
        case let .duplicateToken(text, first, second):
            return "vocabulary entries \(first) and \(second) are both \(String(reflecting: text))"
        case let .tokenOutOfRange(id, size):
            return "token id \(id) is outside the vocabulary (0..<\(size))"
        }
    }
}

extension TokenizerError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

/// What the causal core needs from a language model, and nothing more: tokenization, chain-rule scoring of
/// continuations, and next-token distributions for free-text generation.
///
/// Implemented by `TransformerLanguageModel` (the pure-Swift engine, any GGUF model it loads) and by
/// `MockLanguageModel` (table- or closure-driven, for tests and examples). Implementations are deterministic:
/// the same inputs give bit-identical outputs.
public protocol LanguageModel: Sendable {
    /// Number of token ids (`0..<vocabularySize`).
    var vocabularySize: Int { get }
    /// Tokens that end a generation (EOS, EOT, …).
    var endOfGeneration: Set<Int> { get }
    /// A token that may start a sequence when the text itself gives no first token to condition on (BOS, or the
    /// document separator of models without one).
    var startToken: Int? { get }

    /// Token ids of `text`; `addSpecial` adds BOS/EOS as the model's tokenizer says.
    func tokenize(_ text: String, addSpecial: Bool) -> [Int]
    /// The text of `tokens` (special tokens render as nothing).
    func detokenize(_ tokens: [Int]) throws -> String

    /// For each continuation, `log P(c_i | context, c_<i)` for every i (the chain rule; the first token is
    /// predicted from the context's last position). `context` must not be empty.
    func logProbabilities(of continuations: [[Int]], after context: [Int]) throws -> [[Double]]
    /// The next-token log-probabilities over the whole vocabulary after each context.
    func nextTokenLogProbabilities(after contexts: [[Int]]) throws -> [[Float]]
    /// `logProbabilities(of:after:)` for several independent contexts at once, so that an implementation can
    /// evaluate them together (many units' contexts in one matrix-matrix pass instead of one small pass each).
    func logProbabilities(_ requests: [ScoringRequest]) throws -> [[[Double]]]
    /// Tokens actually run through the model so far (prefix-cache hits excluded): the cost measure that work
    /// counters and benchmarks report. Models that compute nothing per token report 0.
    var tokensEvaluated: Int { get }
}

extension LanguageModel {
    public var tokensEvaluated: Int { 0 }

    public func logProbabilities(_ requests: [ScoringRequest]) throws -> [[[Double]]] {
        try requests.map { try logProbabilities(of: $0.continuations, after: $0.context) }
    }
}

/// Continuations to score after one context (see `LanguageModel.logProbabilities(_:)`).
public struct ScoringRequest: Sendable, Hashable {
    /// Token ids of the context (not empty).
    public var context: [Int]
    /// Token ids of each continuation, scored by the chain rule after `context`.
    public var continuations: [[Int]]

    public init(context: [Int], continuations: [[Int]]) {
        self.context = context
        self.continuations = continuations
    }
}

/// Why a language model could not answer.
public enum LanguageModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A context was empty where a prediction needs at least one token.
    case emptyContext
    /// A token id outside the vocabulary.
    case tokenOutOfRange(Int, vocabularySize: Int)
    /// The sequence is longer than the model's context window.
    case contextOverflow(needed: Int, limit: Int)
    /// A mock model was given text its vocabulary cannot tokenize.
    case untokenizable(String)

    public var description: String {
        switch self {
        case .emptyContext: return "a prediction needs at least one context token"
        case let .tokenOutOfRange(id, size): return "token id \(id) is outside the vocabulary (0..<\(size))"
        case let .contextOverflow(needed, limit):
            return "context overflow: \(needed) tokens needed, the model's context holds \(limit)"
        case .untokenizable(let text): return "the mock vocabulary cannot tokenize '\(text)'"
        }
    }
}

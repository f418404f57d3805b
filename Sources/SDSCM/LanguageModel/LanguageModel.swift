import Foundation

/// What the causal core needs from a language model: the probabilities of a variable's candidate phrasings after
/// a context, and next-token distributions for free-text variables.
///
/// Requests come in lists because the core gathers the pending requests of every unit it is evaluating (see
/// `CausalModel.mapUnits(_:width:_:)`) and asks for them in one call, so an implementation can evaluate them
/// together: one matrix pass over many contexts on a local engine, one HTTP request with many prompts on a
/// server. Answers must be deterministic (the same request gives the same bits), must not depend on which other
/// requests share the call, and must come back in request order.
///
/// A model that only scores candidates conforms in a few lines:
///
/// ```swift
/// struct KeywordModel: LanguageModel {
///     let identifier = "keyword-model-v1"
///     func scoreCandidates(_ requests: [CandidateScoringRequest]) async throws -> [CandidateScores] {
///         requests.map { request in
///             CandidateScores(logWeights: request.continuations.map { request.context.contains("old") && $0.contains("surgery") ? -0.2 : -1.6 })
///         }
///     }
/// }
/// ```
///
/// `TokenLevelLanguageModel` builds all of this from token-level primitives (tokenize, chain-rule log-probabilities,
/// next-token log-probabilities); the package's engine (`TransformerLanguageModel` in `SDSCMEngine`) and
/// `MockLanguageModel` conform that way.
public protocol LanguageModel: Sendable {
    /// Names the model and its weights (and anything else that changes its numbers, such as its numerics): two
    /// models with one identifier must answer every request identically. Sampled units record it, so that a
    /// unit is never replayed on a model that could not have produced it.
    var identifier: String { get }

    /// What this model can answer: which scoring modes, and whether (and how fully) it gives next-token
    /// distributions for free text.
    var capabilities: LanguageModelCapabilities { get }

    /// For each request, the raw score of every continuation after the context, as `request.mode` defines it
    /// (the chain-rule log-probability for `sum`; see `ScoringMode`). The core normalizes them over the candidates.
    func scoreCandidates(_ requests: [CandidateScoringRequest]) async throws -> [CandidateScores]

    /// For each request, the distribution of the token that follows `prompt` and then `continuation`.
    func nextTokenDistributions(_ requests: [NextTokenRequest]) async throws -> [NextTokenDistribution]

    /// The token ids of `text` on its own, without special tokens (used to abduct the noise of observed free text).
    func tokens(of text: String) async throws -> [Int]

    /// The text of token ids (special tokens render as nothing).
    func text(of tokens: [Int]) async throws -> String

    /// Tokens that end a generation (EOS, EOT, …).
    var endOfGeneration: Set<Int> { get }

    /// Tokens actually run through the model so far (cache hits excluded): the cost measure that the core's
    /// counters and benchmarks report. Models that compute nothing per token report 0.
    var tokensEvaluated: Int { get }
}

extension LanguageModel {
    /// Candidate scoring in every mode, no free text, unless the model says more.
    public var capabilities: LanguageModelCapabilities { .candidateScoringOnly }
    /// No end-of-generation tokens by default.
    public var endOfGeneration: Set<Int> { [] }
    /// 0: a model that reports no per-token cost.
    public var tokensEvaluated: Int { 0 }

    /// Throws `LanguageModelError.unsupported`: a candidate-scoring-only model cannot generate free text.
    public func nextTokenDistributions(_ requests: [NextTokenRequest]) async throws -> [NextTokenDistribution] {
        throw LanguageModelError.unsupported(model: identifier, "next-token distributions (free-text variables)")
    }

    /// Throws `LanguageModelError.unsupported`: observed free text cannot be abducted without a tokenizer.
    public func tokens(of text: String) async throws -> [Int] {
        throw LanguageModelError.unsupported(model: identifier, "tokenization (abduction of observed free text)")
    }

    /// Throws `LanguageModelError.unsupported`: free text cannot be generated without detokenization.
    public func text(of tokens: [Int]) async throws -> String {
        throw LanguageModelError.unsupported(model: identifier, "detokenization (free-text variables)")
    }
}

/// What a `LanguageModel` can answer.
public struct LanguageModelCapabilities: Sendable, Hashable {
    /// How much of the next-token distribution a model gives.
    public enum NextTokens: Sendable, Hashable {
        /// None: the model cannot generate free text.
        case none
        /// Only the k most likely tokens (servers that return top-k log-probabilities). Free text is then sampled
        /// from the top-k-truncated distribution, which differs from sampling the full vocabulary.
        case topK(Int)
        /// Every token of the vocabulary.
        case fullVocabulary
    }

    /// The scoring modes `scoreCandidates` implements.
    public var scoringModes: Set<ScoringMode>
    /// The next-token distributions `nextTokenDistributions` gives.
    public var nextTokens: NextTokens

    /// Capabilities with these scoring modes and next-token coverage.
    public init(scoringModes: Set<ScoringMode>, nextTokens: NextTokens) {
        self.scoringModes = scoringModes
        self.nextTokens = nextTokens
    }

    /// Every scoring mode and the full vocabulary (local engines).
    public static let full = LanguageModelCapabilities(scoringModes: Set(ScoringMode.allCases), nextTokens: .fullVocabulary)
    /// Candidate scoring in every mode, no free text (the default for a custom model).
    public static let candidateScoringOnly = LanguageModelCapabilities(scoringModes: Set(ScoringMode.allCases), nextTokens: .none)
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
    /// Candidates start the text and the model has no start token to condition the first of them on.
    case noStartToken(context: String)
    /// The model does not offer what was asked.
    case unsupported(model: String, String)
    /// A model returned the wrong number of answers or scores.
    case malformedAnswer(model: String, String)

    /// The message, naming the model or token at fault where there is one.
    public var description: String {
        switch self {
        case .emptyContext: return "a prediction needs at least one context token"
        case let .tokenOutOfRange(id, size): return "token id \(id) is outside the vocabulary (0..<\(size))"
        case let .contextOverflow(needed, limit):
            return "context overflow: \(needed) tokens needed, the model's context holds \(limit)"
        case .untokenizable(let text): return "the mock vocabulary cannot tokenize '\(text)'"
        case .noStartToken(let context):
            return "the candidates after \"\(context)\" start the text and the model has no start token; give the variable a prefix"
        case let .unsupported(model, what): return "language model '\(model)' does not offer \(what)"
        case let .malformedAnswer(model, what): return "language model '\(model)' answered wrongly: \(what)"
        }
    }
}

extension LanguageModelError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

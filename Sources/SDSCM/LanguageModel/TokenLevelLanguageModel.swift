/// A language model described by its tokens: tokenization, chain-rule log-probabilities of token continuations, and
/// next-token log-probabilities over the whole vocabulary.
///
/// Conforming gives the string-level `LanguageModel` for free: candidates are tokenized and scored exactly as
/// `ScoringMode` specifies (`CandidateTokenization`), and next-token requests tokenize their prompt with the
/// model's special tokens. The package's engine (`TransformerLanguageModel`) and `MockLanguageModel` conform.
public protocol TokenLevelLanguageModel: LanguageModel {
    /// Number of token ids (`0..<vocabularySize`).
    var vocabularySize: Int { get }
    /// A token that may start a sequence when the text itself gives no first token to condition on (BOS, or the
    /// document separator of models without one).
    var startToken: Int? { get }
    /// Token ids of `text`; `addSpecial` adds BOS/EOS as the model's tokenizer says.
    func tokenize(_ text: String, addSpecial: Bool) throws -> [Int]
    /// The text of `tokens` (special tokens render as nothing).
    func detokenize(_ tokens: [Int]) throws -> String
    /// For each request and continuation, `log P(c_i | context, c_<i)` for every i (the chain rule; the first
    /// token is predicted from the context's last position). Contexts must not be empty.
    func logProbabilities(_ requests: [TokenScoringRequest]) throws -> [[[Double]]]
    /// The next-token log-probabilities over the whole vocabulary after each context (not empty).
    func nextTokenLogProbabilities(after contexts: [[Int]]) throws -> [[Float]]
    /// The same, with a hint: `retaining: false` says no later request will extend these contexts, so a model
    /// that caches recent contexts need not keep them (the default ignores the hint).
    func nextTokenLogProbabilities(after contexts: [[Int]], retaining: Bool) throws -> [[Float]]
}

/// Token continuations to score after one token context (see `TokenLevelLanguageModel.logProbabilities(_:)`).
public struct TokenScoringRequest: Sendable, Hashable {
    /// Token ids of the context (not empty).
    public var context: [Int]
    /// Token ids of each continuation, scored by the chain rule after `context`.
    public var continuations: [[Int]]

    /// A request to score `continuations` after `context` (which must not be empty).
    public init(context: [Int], continuations: [[Int]]) {
        self.context = context
        self.continuations = continuations
    }
}

extension TokenLevelLanguageModel {
    /// Every scoring mode and the full vocabulary.
    public var capabilities: LanguageModelCapabilities { .full }

    /// Ignores the hint and calls `nextTokenLogProbabilities(after:)`.
    public func nextTokenLogProbabilities(after contexts: [[Int]], retaining: Bool) throws -> [[Float]] {
        try nextTokenLogProbabilities(after: contexts)
    }

    /// Tokenizes and scores the candidates as `ScoringMode` specifies (`CandidateTokenization`).
    public func scoreCandidates(_ requests: [CandidateScoringRequest]) async throws -> [CandidateScores] {
        try CandidateTokenization(model: self).score(requests)
    }

    /// Each prompt tokenized with special tokens (the start token if that gives none), then its continuation;
    /// the distributions cover the whole vocabulary.
    public func nextTokenDistributions(_ requests: [NextTokenRequest]) async throws -> [NextTokenDistribution] {
        var prompts: [String: [Int]] = [:]
        let contexts = try requests.map { request -> [Int] in
            if prompts[request.prompt] == nil {
                var tokens = try tokenize(request.prompt, addSpecial: true)
                if tokens.isEmpty, let start = startToken { tokens = [start] }
                guard !tokens.isEmpty else { throw LanguageModelError.emptyContext }
                prompts[request.prompt] = tokens
            }
            return prompts[request.prompt]! + request.continuation
        }
        return try nextTokenLogProbabilities(after: contexts).map(NextTokenDistribution.init(logProbabilities:))
    }

    /// `tokenize(_:addSpecial:)` without special tokens.
    public func tokens(of text: String) async throws -> [Int] {
        try tokenize(text, addSpecial: false)
    }

    /// `detokenize(_:)`.
    public func text(of tokens: [Int]) async throws -> String {
        try detokenize(tokens)
    }

    /// `logProbabilities(_:)` for one context.
    public func logProbabilities(of continuations: [[Int]], after context: [Int]) throws -> [[Double]] {
        try logProbabilities([TokenScoringRequest(context: context, continuations: continuations)])[0]
    }
}

/// Continuations to score after one context: a categorical variable's candidate phrasings given its parents.
public struct CandidateScoringRequest: Sendable, Hashable {
    /// The text before the candidates (parents' texts and the variable's prefix; see `TextRendering`).
    public var context: String
    /// The candidates' texts (each value, plus its suffix when the model scores suffixes).
    public var continuations: [String]
    /// How a candidate's score is computed.
    public var mode: ScoringMode

    /// A request to score `continuations` after `context` (chain-rule sums by default).
    public init(context: String, continuations: [String], mode: ScoringMode = .sum) {
        self.context = context
        self.continuations = continuations
        self.mode = mode
    }
}

/// The answer to a `CandidateScoringRequest`.
public struct CandidateScores: Sendable, Hashable {
    /// One raw score per continuation, in request order (`-infinity`: impossible). The core normalizes them.
    public var logWeights: [Double]
    /// Tokens of the context and continuations given to the model, cached or not (a cost measure; 0 if unknown).
    public var tokensScored: Int

    /// Scores with an optional token count (0: unknown).
    public init(logWeights: [Double], tokensScored: Int = 0) {
        self.logWeights = logWeights
        self.tokensScored = tokensScored
    }
}

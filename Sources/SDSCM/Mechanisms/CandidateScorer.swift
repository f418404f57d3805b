/// Scores a categorical variable's candidates with a language model, following a `ScoringMode`.
struct CandidateScorer {
    let model: any LanguageModel
    let mode: ScoringMode
    /// Whether `sum`/`mean` score the suffix after each candidate too (the paper's sample space holds whole
    /// phrases; `sdscm.py` does not score suffixes).
    let scoresSuffix: Bool

    struct Result {
        /// Unnormalized log-weights per candidate.
        var scores: [Double]
        /// Tokens fed to the model.
        var tokens: Int
    }

    /// Log-weights of `candidates` after `context` (renormalize before use).
    func score(context: String, candidates: [String], suffix: String, variable: String) throws -> Result {
        switch mode {
        case .sum, .mean: return try chainRule(context: context, candidates: candidates, suffix: suffix, variable: variable)
        case .reference: return try referenceScores(context: context, candidates: candidates)
        }
    }

    /// Chain-rule scores from the longest token prefix shared by every candidate's full tokenization.
    private func chainRule(context: String, candidates: [String], suffix: String, variable: String) throws -> Result {
        var sequences = candidates.map { model.tokenize(context + $0 + (scoresSuffix ? suffix : ""), addSpecial: true) }
        var shared = sequences[0].count
        for sequence in sequences.dropFirst() {
            shared = min(shared, Self.commonPrefixLength(sequences[0], sequence))
        }
        if shared == 0 {
            // Nothing precedes the first candidate token (a root with an empty prefix on a model that adds no
            // BOS): condition on the model's start token instead.
            guard let start = model.startToken else {
                throw CausalModelError.invalidPhrasing(
                    variable: variable, reason: "its candidates start the text and the model has no start token; give it a prefix")
            }
            sequences = sequences.map { [start] + $0 }
            shared = 1
        }
        // Keep at least one token of context: a candidate whose tokens are all shared has nothing left to score.
        let context = Array(sequences[0][..<shared])
        let continuations = sequences.map { Array($0[shared...]) }
        let values = try model.logProbabilities(of: continuations, after: context)
        let scores = values.map { values -> Double in
            let total = values.reduce(0, +)
            return mode == .mean && !values.isEmpty ? total / Double(values.count) : total
        }
        return Result(scores: scores, tokens: context.count + continuations.reduce(0) { $0 + $1.count })
    }

    /// `sdscm.py`'s `chunk_continuation` (with `sum=False`, as every caller passes).
    private func referenceScores(context: String, candidates: [String]) throws -> Result {
        let prefix = model.tokenize(context, addSpecial: true)
        let candidateTokens = candidates.map { model.tokenize($0, addSpecial: true) }
        let contexts = candidateTokens.map { prefix + $0 }
        guard contexts.allSatisfy({ !$0.isEmpty }) else { throw LanguageModelError.emptyContext }
        let distributions = try model.nextTokenLogProbabilities(after: contexts)
        let scores = zip(candidateTokens, distributions).map { tokens, distribution -> Double in
            guard !tokens.isEmpty else { return 0 }
            return tokens.reduce(0.0) { $0 + Double(distribution[$1]) } / Double(tokens.count)
        }
        return Result(scores: scores, tokens: prefix.count + candidateTokens.reduce(0) { $0 + $1.count })
    }

    static func commonPrefixLength(_ a: [Int], _ b: [Int]) -> Int {
        var length = 0
        let limit = min(a.count, b.count)
        while length < limit && a[length] == b[length] { length += 1 }
        return length
    }
}

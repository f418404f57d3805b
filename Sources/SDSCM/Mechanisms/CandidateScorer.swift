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

    /// One variable's scoring job.
    struct Item {
        var context: String
        var candidates: [String]
        var suffix: String
        var variable: String
    }

    /// Log-weights of `candidates` after `context` (renormalize before use).
    func score(context: String, candidates: [String], suffix: String, variable: String) throws -> Result {
        try score([Item(context: context, candidates: candidates, suffix: suffix, variable: variable)])[0]
    }

    /// Several jobs in one language-model call, so their tokens share matrix passes.
    func score(_ items: [Item]) throws -> [Result] {
        switch mode {
        case .sum, .mean:
            let plans = try items.map(chainRulePlan)
            let values = try model.logProbabilities(plans)
            return zip(plans, values).map { plan, values in
                let scores = values.map { values -> Double in
                    let total = values.reduce(0, +)
                    return mode == .mean && !values.isEmpty ? total / Double(values.count) : total
                }
                return Result(scores: scores, tokens: plan.context.count + plan.continuations.reduce(0) { $0 + $1.count })
            }
        case .reference:
            return try referenceScores(items)
        }
    }

    /// Chain-rule request for one job: the longest token prefix shared by every candidate's full tokenization is
    /// the context, the rest of each tokenization its continuation.
    private func chainRulePlan(_ item: Item) throws -> ScoringRequest {
        var sequences = item.candidates.map { model.tokenize(item.context + $0 + (scoresSuffix ? item.suffix : ""), addSpecial: true) }
        var shared = sequences[0].count
        for sequence in sequences.dropFirst() {
            shared = min(shared, Self.commonPrefixLength(sequences[0], sequence))
        }
        if shared == 0 {
            // Nothing precedes the first candidate token (a root with an empty prefix on a model that adds no
            // BOS): condition on the model's start token instead.
            guard let start = model.startToken else {
                throw CausalModelError.invalidPhrasing(
                    variable: item.variable, reason: "its candidates start the text and the model has no start token; give it a prefix")
            }
            sequences = sequences.map { [start] + $0 }
            shared = 1
        }
        return ScoringRequest(context: Array(sequences[0][..<shared]), continuations: sequences.map { Array($0[shared...]) })
    }

    /// `sdscm.py`'s `chunk_continuation` (with `sum=False`, as every caller passes): every candidate's tokens
    /// (standalone, with BOS) scored from the distribution after the whole candidate, averaged.
    private func referenceScores(_ items: [Item]) throws -> [Result] {
        var contexts: [[Int]] = []
        var plans: [(prefix: [Int], candidates: [[Int]])] = []
        for item in items {
            let prefix = model.tokenize(item.context, addSpecial: true)
            let candidateTokens = item.candidates.map { model.tokenize($0, addSpecial: true) }
            contexts += candidateTokens.map { prefix + $0 }
            plans.append((prefix, candidateTokens))
        }
        guard contexts.allSatisfy({ !$0.isEmpty }) else { throw LanguageModelError.emptyContext }
        // Evaluate each shared prefix once first, so that its candidates' contexts extend a retained cache.
        let prefixes = Array(Set(plans.map(\.prefix).filter { !$0.isEmpty })).sorted { $0.lexicographicallyPrecedes($1) }
        if !prefixes.isEmpty { _ = try model.nextTokenLogProbabilities(after: prefixes) }
        let distributions = try model.nextTokenLogProbabilities(after: contexts)
        var offset = 0
        return plans.map { plan in
            let scores = plan.candidates.enumerated().map { index, tokens -> Double in
                guard !tokens.isEmpty else { return 0 }
                let distribution = distributions[offset + index]
                return tokens.reduce(0.0) { $0 + Double(distribution[$1]) } / Double(tokens.count)
            }
            offset += plan.candidates.count
            return Result(scores: scores, tokens: plan.prefix.count + plan.candidates.reduce(0) { $0 + $1.count })
        }
    }

    static func commonPrefixLength(_ a: [Int], _ b: [Int]) -> Int {
        var length = 0
        let limit = min(a.count, b.count)
        while length < limit && a[length] == b[length] { length += 1 }
        return length
    }
}

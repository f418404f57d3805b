/// How a token-level model scores candidate strings, per `ScoringMode`: which token sequences are asked for and how
/// their log-probabilities add up.
struct CandidateTokenization<Model: TokenLevelLanguageModel> {
    let model: Model

    /// The scores of every request, with one batched call to the model per mode.
    func score(_ requests: [CandidateScoringRequest]) throws -> [CandidateScores] {
        var results = [CandidateScores?](repeating: nil, count: requests.count)
        let chain = requests.indices.filter { requests[$0].mode != .reference }
        if !chain.isEmpty {
            let plans = try chain.map { try chainRulePlan(requests[$0]) }
            let values = try model.logProbabilities(plans.map(\.request))
            for ((index, plan), values) in zip(zip(chain, plans), values) {
                let scores = zip(values, plan.ownStart).map { values, ownStart -> Double in
                    guard requests[index].mode == .mean else { return values.reduce(0, +) }
                    let own = values[ownStart...]
                    return own.isEmpty ? 0 : own.reduce(0, +) / Double(own.count)
                }
                results[index] = CandidateScores(logWeights: scores,
                                                 tokensScored: plan.request.context.count + plan.request.continuations.reduce(0) { $0 + $1.count })
            }
        }
        let reference = requests.indices.filter { requests[$0].mode == .reference }
        if !reference.isEmpty {
            for (index, result) in zip(reference, try referenceScores(reference.map { requests[$0] })) { results[index] = result }
        }
        return results.map { $0! }
    }

    /// Chain-rule request for one job: the longest token prefix shared by every candidate's full tokenization is
    /// the context, the rest of each tokenization its continuation. For `mean`, the context ends where the first
    /// candidate's own tokens begin (where its full tokenization leaves the context's), and `ownStart` says where
    /// each candidate's own tokens begin in its continuation: a mean over tokens all candidates happen to share
    /// would make the mechanism depend on how much the candidates overlap.
    func chainRulePlan(_ request: CandidateScoringRequest) throws -> (request: TokenScoringRequest, ownStart: [Int]) {
        var sequences = try request.continuations.map { try model.tokenize(request.context + $0, addSpecial: true) }
        var shared = sequences[0].count
        for sequence in sequences.dropFirst() {
            shared = min(shared, sequences[0].commonPrefixLength(with: sequence))
        }
        var own = sequences.map { _ in shared }
        if request.mode == .mean {
            let context = try model.tokenize(request.context, addSpecial: true)
            own = sequences.map { min($0.commonPrefixLength(with: context), $0.count) }
            shared = min(shared, own.min() ?? shared)
        }
        if shared == 0 {
            // Nothing precedes the first candidate token (a root with an empty prefix on a model that adds no
            // BOS): condition on the model's start token instead.
            guard let start = model.startToken else { throw LanguageModelError.noStartToken(context: request.context) }
            sequences = sequences.map { [start] + $0 }
            own = own.map { $0 + 1 }
            shared = 1
        }
        return (TokenScoringRequest(context: Array(sequences[0][..<shared]), continuations: sequences.map { Array($0[shared...]) }),
                own.map { $0 - shared })
    }

    /// `sdscm.py`'s `chunk_continuation` (with `sum=False`, as every caller passes): every candidate's tokens
    /// (standalone, with BOS) scored from the distribution after the whole candidate, averaged.
    func referenceScores(_ requests: [CandidateScoringRequest]) throws -> [CandidateScores] {
        var contexts: [[Int]] = []
        var plans: [(prefix: [Int], candidates: [[Int]])] = []
        for request in requests {
            let prefix = try model.tokenize(request.context, addSpecial: true)
            let candidateTokens = try request.continuations.map { try model.tokenize($0, addSpecial: true) }
            contexts += candidateTokens.map { prefix + $0 }
            plans.append((prefix, candidateTokens))
        }
        guard contexts.allSatisfy({ !$0.isEmpty }) else { throw LanguageModelError.emptyContext }
        // Evaluate each shared prefix once first, so that its candidates' contexts extend a retained cache.
        let prefixes = Array(Set(plans.map(\.prefix).filter { !$0.isEmpty })).sorted { $0.lexicographicallyPrecedes($1) }
        if !prefixes.isEmpty { _ = try model.nextTokenLogProbabilities(after: prefixes) }
        // Each candidate context is a dead end (the next variable extends the prefix, not a standalone candidate):
        // models that cache recent contexts keep the prefixes instead.
        let distributions = try model.nextTokenLogProbabilities(after: contexts, retaining: false)
        var offset = 0
        return plans.map { plan in
            let scores = plan.candidates.enumerated().map { index, tokens -> Double in
                guard !tokens.isEmpty else { return 0 }
                let distribution = distributions[offset + index]
                return tokens.reduce(0.0) { $0 + Double(distribution[$1]) } / Double(tokens.count)
            }
            offset += plan.candidates.count
            return CandidateScores(logWeights: scores, tokensScored: plan.prefix.count + plan.candidates.reduce(0) { $0 + $1.count })
        }
    }
}

extension Collection where Element: Equatable {
    /// Length of the longest common prefix of this collection and `other` (arrays, or slices of token runs
    /// without copying them).
    @inlinable package func commonPrefixLength<Other: Collection>(with other: Other) -> Int where Other.Element == Element {
        var length = 0
        for (a, b) in zip(self, other) {
            guard a == b else { break }
            length += 1
        }
        return length
    }
}

import SDSCMRandomness

/// Temperature, top-k and top-p applied to a next-token distribution, and Gumbel-max over the result.
///
/// Masks set excluded tokens to `-infinity`; every surviving token keeps its own identity-keyed noise, so a
/// counterfactual that changes which tokens survive never reassigns noise between tokens (noise keyed by rank
/// would).
enum TokenProcessing {
    /// A processed distribution: weights θ per entry of the distribution it came from (entry = token id for a
    /// full-vocabulary distribution).
    struct Processed {
        var theta: [Double]
        /// The token id of each entry (nil: the entry index is the id).
        var ids: [Int]?

        /// `argmax_e(θ_e + noise(token of e))` over possible entries, with noise keyed by token id and bounded
        /// by the largest Philox Gumbel (so entries that cannot win are skipped).
        func sample(noise: (Int) -> Double) -> Int? {
            GumbelMax.sample(theta, noiseBound: GumbelMax.largestPhiloxGumbel) { noise(ids?[$0] ?? $0) }
        }

        /// The entry of `token`.
        func entry(of token: Int, in distribution: NextTokenDistribution) -> Int? {
            guard let ids else { return token >= 0 && token < theta.count ? token : nil }
            return ids.firstIndex(of: token)
        }
    }

    /// `logProbabilities / temperature`, then the top-k and top-p masks (as probabilities of the tempered
    /// distribution), in Double.
    static func process(_ distribution: NextTokenDistribution, options: Variable.TextOptions) -> Processed {
        var theta = (0..<distribution.count).map { Double(distribution.logProbability(at: $0)) / options.temperature }
        if !theta.contains(where: { $0.isFinite }) {
            // A temperature so small that every weight overflowed: measure from the best token first, which keeps
            // it (and its ties) finite, the limit of tempering as the temperature goes to zero.
            let best = (0..<distribution.count).map { Double(distribution.logProbability(at: $0)) }.filter { !$0.isNaN }.max() ?? 0
            theta = (0..<distribution.count).map { (Double(distribution.logProbability(at: $0)) - best) / options.temperature }
        }
        let ids = distribution.dense == nil ? (0..<distribution.count).map(distribution.token(at:)) : nil
        guard options.topK > 0 || options.topP < 1 else { return Processed(theta: theta, ids: ids) }
        // Most likely first, lower id on ties: the order that decides which tokens survive.
        let ranked = theta.indices.sorted { a, b in
            theta[a] != theta[b] ? theta[a] > theta[b] : (ids?[a] ?? a) < (ids?[b] ?? b)
        }
        var keep = ranked.count
        if options.topK > 0 { keep = min(keep, options.topK) }
        if options.topP < 1 {
            let normalizer = GumbelMax.logSumExp(theta)
            var cumulative = 0.0
            for (rank, index) in ranked.prefix(keep).enumerated() {
                cumulative += PortableMath.exp(theta[index] - normalizer)
                if cumulative >= options.topP {
                    keep = rank + 1
                    break
                }
            }
        }
        for index in ranked[keep...] { theta[index] = -.infinity }
        return Processed(theta: theta, ids: ids)
    }

    /// The most likely token (lower id on ties).
    static func argmax(_ distribution: NextTokenDistribution) -> Int {
        var best = 0
        for index in 1..<max(1, distribution.count) {
            let value = distribution.logProbability(at: index), current = distribution.logProbability(at: best)
            if value > current || (value == current && distribution.token(at: index) < distribution.token(at: best)) { best = index }
        }
        return distribution.token(at: best)
    }
}

import SDSCMRandomness

/// Temperature, top-k and top-p applied to a next-token distribution, and Gumbel-max over the result.
///
/// Masks set excluded tokens to `-infinity`; every surviving token keeps its own identity-keyed noise, so a
/// counterfactual that changes which tokens survive never reassigns noise between tokens (noise keyed by rank
/// would).
enum TokenProcessing {
    /// `logProbabilities / temperature`, then the top-k and top-p masks (as probabilities of the tempered
    /// distribution), in Double.
    static func process(_ logProbabilities: [Float], options: Variable.TextOptions) -> [Double] {
        var theta = logProbabilities.map { Double($0) / options.temperature }
        guard options.topK > 0 || options.topP < 1 else { return theta }
        // Most likely first, lower id on ties: the order that decides which tokens survive.
        let ranked = theta.indices.sorted { theta[$0] != theta[$1] ? theta[$0] > theta[$1] : $0 < $1 }
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
        return theta
    }

    /// The most likely token (lower id on ties).
    static func argmax(_ values: [Float]) -> Int {
        var best = 0
        for index in values.indices where values[index] > values[best] { best = index }
        return best
    }

    /// The largest standard Gumbel the noise source can produce: tokens whose weight plus this cannot reach the
    /// best score so far are skipped without drawing their noise, which leaves the result unchanged.
    static let largestGumbel = Philox.gumbel(Philox.openUnitInterval(.max))

    /// `argmax_t(θ_t + noise(t))` over finite θ, computing the noise only where it could matter.
    static func sample(_ theta: [Double], noise: (Int) -> Double) -> Int {
        var top = -1
        for index in theta.indices where theta[index] > -.infinity && (top < 0 || theta[index] > theta[top]) { top = index }
        precondition(top >= 0, "no token has non-zero probability")
        var best = top
        var bestScore = theta[top] + noise(top)
        for index in theta.indices where index != top && theta[index] > -.infinity {
            guard theta[index] + largestGumbel >= bestScore else { continue }
            let score = theta[index] + noise(index)
            if score > bestScore || (score == bestScore && index < best) {
                best = index
                bestScore = score
            }
        }
        return best
    }
}

import Foundation

/// Gumbel-max sampling and its posterior, over log-weights where `-infinity` marks an impossible entry: the one
/// implementation behind categorical mechanisms, free-text tokens, counterfactual abduction and `sdscm generate`.
///
/// A categorical draw `X = argmax_j(θ_j + G_j)` with iid standard Gumbel `G` has `P(X = j) = softmax(θ)_j`. Given
/// an observed `X = k`, the noise's posterior is sampled top-down (Maddison et al.; Oberst & Sontag 2019): the
/// maximum `T = log Σ e^θ + Gumbel` is independent of the argmax, entry k takes T, every other possible entry a
/// Gumbel(θ_j) truncated below T, and impossible entries keep unconstrained prior noise.
public enum GumbelMax {
    /// The largest standard Gumbel variate `Philox.gumbel(Philox.openUnitInterval(_:))` can produce. With noise
    /// bounded by it, an entry whose weight plus the bound cannot reach the best score so far is skipped without
    /// computing its noise, which leaves the argmax unchanged (a vocabulary of 49k tokens needs a few hundred).
    public static let largestPhiloxGumbel = Philox.gumbel(Philox.openUnitInterval(.max))

    /// `argmax_j(weight(j) + noise(j))` over the `count` entries with finite weight; ties go to the lower index,
    /// nil when every entry is impossible. `noiseBound` is an upper bound on every `noise(j)` (infinity when
    /// unknown, e.g. posterior noise); a finite bound lets entries that cannot win be skipped.
    @inlinable
    public static func argmax(count: Int, noiseBound: Double = .infinity, weight: (Int) -> Double,
                              noise: (Int) -> Double) -> Int? {
        // Start from the most likely entry (lower index on ties), where the winner usually is.
        var top = -1
        var topWeight = -Double.infinity
        for index in 0..<count {
            let w = weight(index)
            if w > topWeight {
                top = index
                topWeight = w
            }
        }
        guard top >= 0 else { return nil }
        var best = top
        var bestScore = topWeight + noise(top)
        for index in 0..<count where index != top {
            let w = weight(index)
            guard w > -.infinity, w + noiseBound >= bestScore else { continue }
            let score = w + noise(index)
            if score > bestScore || (score == bestScore && index < best) {
                best = index
                bestScore = score
            }
        }
        return best
    }

    /// `argmax_j(θ_j + noise(j))` over entries with finite θ (see `argmax(count:noiseBound:weight:noise:)`).
    @inlinable
    public static func sample(_ logWeights: [Double], noiseBound: Double = .infinity, noise: (Int) -> Double) -> Int? {
        argmax(count: logWeights.count, noiseBound: noiseBound, weight: { logWeights[$0] }, noise: noise)
    }

    /// A posterior draw of the noise vector given that `observed` was the argmax: `uniform(j)` supplies an
    /// independent uniform in (0, 1) for entry j, and `uniform(count)` one for the maximum.
    ///
    /// The result `G` satisfies `argmax_j(θ_j + G_j) == observed` (up to ties of probability zero).
    public static func posterior(_ logWeights: [Double], observed: Int, uniform: (Int) -> Double) -> [Double] {
        precondition(logWeights[observed] > -.infinity, "the observed entry must be possible")
        let normalizer = logSumExp(logWeights)
        let top = normalizer + Philox.gumbel(uniform(logWeights.count))
        return logWeights.enumerated().map { index, weight in
            let g = Philox.gumbel(uniform(index))
            if index == observed { return top - weight }
            guard weight > -.infinity else { return g }
            // A Gumbel(θ_j) truncated to (−∞, T]: −log(e^−T + e^−(θ_j + g)), computed stably.
            let truncated = -logAddExp(-top, -(weight + g))
            return truncated - weight
        }
    }

    /// `log Σ e^x` over finite entries (−∞ when there are none).
    public static func logSumExp(_ values: [Double]) -> Double {
        let maximum = values.max() ?? -.infinity
        guard maximum > -.infinity else { return -.infinity }
        var sum = 0.0
        for value in values where value > -.infinity { sum += Foundation.exp(value - maximum) }
        return maximum + Foundation.log(sum)
    }

    /// `log(e^a + e^b)` without overflow.
    public static func logAddExp(_ a: Double, _ b: Double) -> Double {
        let high = max(a, b), low = min(a, b)
        guard low > -.infinity else { return high }
        return high + Foundation.log1p(Foundation.exp(low - high))
    }

    /// Log-weights normalized to log-probabilities.
    public static func normalized(_ logWeights: [Double]) -> [Double] {
        let normalizer = logSumExp(logWeights)
        return logWeights.map { $0 - normalizer }
    }
}

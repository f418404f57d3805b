import Foundation
import SDSCMRandomness

/// Gumbel-max sampling and its posterior, over log-weights where `-infinity` marks an impossible entry.
///
/// A categorical draw `X = argmax_j(θ_j + G_j)` with iid standard Gumbel `G` has `P(X = j) = softmax(θ)_j`. Given
/// an observed `X = k`, the noise's posterior is sampled top-down (Maddison et al.; Oberst & Sontag 2019): the
/// maximum `T = log Σ e^θ + Gumbel` is independent of the argmax, entry k takes T, every other possible entry a
/// Gumbel(θ_j) truncated below T, and impossible entries keep unconstrained prior noise.
public enum GumbelMax {
    /// `argmax_j(θ_j + noise(j))` over entries with finite θ; ties go to the lower index. Nil when every entry is
    /// impossible.
    public static func sample(_ logWeights: [Double], noise: (Int) -> Double) -> Int? {
        var best: Int?
        var bestScore = -Double.infinity
        for (index, weight) in logWeights.enumerated() where weight > -.infinity {
            let score = weight + noise(index)
            if best == nil || score > bestScore {
                best = index
                bestScore = score
            }
        }
        return best
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

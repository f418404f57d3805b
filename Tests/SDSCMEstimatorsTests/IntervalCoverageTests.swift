import SDSCMEstimators
import SDSCMRandomness
import Foundation
import Testing

/// How often the generalized random forests' nominal 95% intervals hold the truth, over many simulated datasets
/// where their theory applies: a randomized experiment (propensity ½), no confounding, a smooth effect, n = 2,000,
/// 200 replications (as the DML pair's check in `EstimatorTests`). Release builds only: 600 forest fits.
@Suite struct IntervalCoverageTests {
    #if DEBUG
    static let releaseOnly = false
    #else
    static let releaseOnly = true
    #endif

    /// One replication: x ~ U(0,1)³, τ(x) = 1 + ½ x₁, y = x₂ + z τ(x) + N(0, 1).
    static func replication(_ index: Int, n: Int) throws -> (data: EstimationData, tau: [Double]) {
        let random = Philox(seed: 9_000 + UInt64(index), stream: 11)
        func u(_ i: Int, _ k: Int) -> Double { Philox.openUnitInterval(random.word(UInt64(i), UInt64(k), 0, 0)) }
        var x: [[Double]] = [], z: [Int] = [], y: [Double] = [], tau: [Double] = []
        for i in 0..<n {
            let row = [u(i, 0), u(i, 1), u(i, 2)]
            let treated = u(i, 3) < 0.5 ? 1 : 0
            let noise = (-2 * log(u(i, 4))).squareRoot() * cos(2 * Double.pi * u(i, 5))
            let effect = 1 + 0.5 * row[0]
            x.append(row); z.append(treated); tau.append(effect)
            y.append(row[1] + Double(treated) * effect + noise)
        }
        return (try EstimationData(covariates: x, treatment: z, outcome: y), tau)
    }

    /// Per estimator: the share of units whose CATE interval holds τ(x), over all replications (the forests'
    /// variance estimates are asymptotically exact pointwise: Athey, Tibshirani & Wager 2019), and the share of
    /// replications whose ATE interval holds the sample's mean τ (the pooled standard error, √(mean of the
    /// pointwise variances), as EconML's population summary gives it, is conservative by construction). Measured
    /// (deterministic for the seeds): CATE 0.948 (`causal-forest`), 0.944 (`forest-dml`), 0.937 (`forest-dr`), each
    /// asserted in 0.93–0.97; ATE 1.0 for both pooled intervals, asserted ≥ 0.95 (`causal-forest` reports none, as
    /// the paper uses it). About 4 minutes on 2 cores.
    @Test(.enabled(if: releaseOnly, "runs in release builds only (swift test -c release)"))
    func forestIntervalsCoverTheTruth() throws {
        let replications = 200, n = 2_000
        let estimators: [Estimator] = [.causalForest, .forestDML, .forestDR]
        // Per replication and estimator: (CATE coverage, mean width, ATE covered), summed in replication order.
        let outcomes = Parallel.map(replications) { index -> [(rate: Double, width: Double, ate: Bool)?] in
            guard let (data, tau) = try? Self.replication(index, n: n) else { return [] }
            let truth = tau.reduce(0, +) / Double(n)
            return estimators.map { estimator in
                guard let estimate = try? estimator.estimate(data, seed: UInt64(index)),
                      let lower = estimate.cateLower, let upper = estimate.cateUpper else { return nil }
                let coverage = Metrics.coverage(truth: tau, lower: lower, upper: upper)
                let ateCovered = estimate.interval.map { $0.lower < truth && truth < $0.upper } ?? false
                return (coverage.rate, coverage.width, ateCovered)
            }
        }
        for (k, estimator) in estimators.enumerated() {
            let fits = outcomes.compactMap { $0.count == estimators.count ? $0[k] : nil }
            let cate = fits.map(\.rate).reduce(0, +) / Double(replications)
            let ate = Double(fits.filter(\.ate).count) / Double(replications)
            let width = fits.map(\.width).reduce(0, +) / Double(replications)
            #expect((0.93...0.97).contains(cate), "\(estimator.rawValue): CATE coverage \(cate) (mean width \(width))")
            if estimator != .causalForest {
                #expect(ate >= 0.95, "\(estimator.rawValue): ATE coverage \(ate)")
            }
        }
    }
}

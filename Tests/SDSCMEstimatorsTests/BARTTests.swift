@testable import SDSCMEstimators
import SDSCMRandomness
import Foundation
import Testing

/// BART against known truths: a simulated nonlinear CATE, the χ² quantile its prior uses, and determinism.
@Suite struct BARTTests {
    /// Uniform draws for the simulations, from Philox.
    static func uniforms(_ count: Int, stream: UInt64) -> [Double] {
        let random = Philox(seed: 2024, stream: stream)
        return (0..<count).map { Philox.openUnitInterval(random.word(UInt64($0), 0, 0, 0)) }
    }

    /// A randomized experiment with a nonlinear outcome surface and a nonlinear, heterogeneous effect:
    /// μ0(x) = sin(π x1 x2) + 2 (x3 − ½)², τ(x) = 1 + 2 x4 · [x5 > ½], y = μ0 + z τ + N(0, 0.1²).
    static func simulation(_ n: Int) throws -> (data: EstimationData, tau: [Double]) {
        let u = uniforms(n * 8, stream: 1)
        var x: [[Double]] = [], z: [Int] = [], y: [Double] = [], tau: [Double] = []
        for i in 0..<n {
            let row = Array(u[(8 * i)..<(8 * i + 5)])
            let treated = u[8 * i + 5] < 0.5 ? 1 : 0
            let noise = 0.1 * (-2 * log(u[8 * i + 6])).squareRoot() * cos(2 * Double.pi * u[8 * i + 7])
            let mu0 = sin(Double.pi * row[0] * row[1]) + 2 * (row[2] - 0.5) * (row[2] - 0.5)
            let effect = 1 + 2 * row[3] * (row[4] > 0.5 ? 1 : 0)
            x.append(row); z.append(treated); tau.append(effect)
            y.append(mu0 + Double(treated) * effect + noise)
        }
        return (try EstimationData(covariates: x, treatment: z, outcome: y), tau)
    }

    /// BART recovers the nonlinear CATE: √PEHE < 0.1 with n = 1,000 and the estimator's settings (release builds);
    /// debug builds run a smaller sampler and check √PEHE < 0.25.
    @Test func recoversNonlinearEffect() throws {
        #if DEBUG
        let (data, tau) = try Self.simulation(300)
        var settings = BART.Settings()
        settings.treeCount = 50; settings.burnIn = 100; settings.draws = 100; settings.chains = 2
        let estimate = try Estimator.bartSummaries(data, settings: settings).cate
        let bound = 0.25
        #else
        let (data, tau) = try Self.simulation(1000)
        let estimate = try Estimator.bart.estimate(data)
        let bound = 0.1
        #endif
        let pehe = Metrics.pehe(ite: tau, cate: estimate.cate)
        #expect(pehe < bound, "√PEHE \(pehe)")
        let sate = tau.reduce(0, +) / Double(tau.count)
        #expect(abs(estimate.ate - sate) < 0.05, "ATE \(estimate.ate) vs SATE \(sate)")
        let coverage = Metrics.coverage(truth: tau, lower: estimate.cateLower!, upper: estimate.cateUpper!)
        #expect(coverage.rate > 0.5, "CATE interval coverage \(coverage.rate)")
    }

    /// The same seed gives the same posterior summaries (chains run in parallel); another seed does not.
    @Test func deterministicForSeed() throws {
        let (data, _) = try Self.simulation(120)
        var settings = BART.Settings()
        settings.treeCount = 20; settings.burnIn = 20; settings.draws = 20; settings.chains = 3
        let a = try Estimator.bartSummaries(data, settings: settings).cate
        let b = try Estimator.bartSummaries(data, settings: settings).cate
        #expect(a.cate == b.cate && a.ate == b.ate && a.cateLower! == b.cateLower!)
        settings.seed = 1
        let c = try Estimator.bartSummaries(data, settings: settings).cate
        #expect(a.cate != c.cate)
        // ITE intervals include the outcome noise, so they are wider than the CATE intervals.
        settings.seed = 0
        let ite = try Estimator.bartSummaries(data, settings: settings).ite
        let width = { (e: EffectEstimate) in zip(e.cateUpper!, e.cateLower!).map { $0 - $1 }.reduce(0, +) }
        #expect(width(ite) > width(a))
    }

    /// The noise prior's calibration: the 10% quantile of χ² with 3 degrees of freedom is 0.584374 (tables), and
    /// the χ² CDF at 2 with 2 degrees of freedom is 1 − e^−1.
    /// The per-node sums behind every leaf draw equal, bit for bit, each node's residuals added in row order, both
    /// for trees of at most 16 slots (sums held in registers) and for larger ones (sums in memory).
    @Test(arguments: [1, 2, 7, 15, 16, 17, 40])
    func leafSumsAddEachNodesRowsInOrder(nodes: Int) {
        let rows = 1_000
        let u = Self.uniforms(rows * 4 + nodes, stream: 7)
        let leaf = (0..<rows).map { Int32(min(nodes - 1, Int(u[4 * $0] * Double(nodes)))) }
        let y = (0..<rows).map { 10 * u[4 * $0 + 1] - 5 }, fit = (0..<rows).map { 3 * u[4 * $0 + 2] - 1 }
        let mu = (0..<nodes).map { u[4 * rows + $0] - 0.5 }
        var expectedCount = [Double](repeating: 0, count: nodes), expectedSum = expectedCount
        for i in 0..<rows {
            let l = Int(leaf[i])
            expectedCount[l] += 1
            expectedSum[l] += y[i] - fit[i] + mu[l]
        }
        var count = [Double](repeating: .nan, count: max(16, nodes)), sum = count
        count.withUnsafeMutableBufferPointer { count in
            sum.withUnsafeMutableBufferPointer { sum in
                BARTChain.leafSums(leaf, y, fit, mu, rows: rows, nodes: nodes, count: count.baseAddress!, sum: sum.baseAddress!)
            }
        }
        #expect(Set(leaf).count == nodes)
        #expect(Array(count[0..<nodes]) == expectedCount)
        #expect(sum[0..<nodes].map(\.bitPattern) == expectedSum.map(\.bitPattern))
    }

    @Test func chiSquareQuantile() {
        #expect(abs(BARTMath.chiSquareQuantile(0.1, degreesOfFreedom: 3) - 0.5843744) < 1e-6)
        #expect(abs(BARTMath.chiSquareCDF(2, degreesOfFreedom: 2) - (1 - exp(-1))) < 1e-12)
    }
}

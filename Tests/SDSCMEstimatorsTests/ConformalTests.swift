import SDSCMEstimators
import SDSCMRandomness
import Foundation
import Testing
import SDSCMTestSupport

/// CQR's parts against independent truths: the propensity boosting against scikit-learn, the quantile forest
/// against known conditional quantiles, the weighted cutoff against split conformal's order statistic and a hand
/// computation, and the counterfactual ITE intervals against their coverage guarantee on simulations.
@Suite struct ConformalTests {
    #if DEBUG
    static let releaseOnly = false
    #else
    static let releaseOnly = true
    #endif

    /// Standard normal draws from Philox (Box–Muller), `count` of them for a stream.
    static func normals(_ count: Int, seed: UInt64, stream: UInt64) -> [Double] {
        let random = Philox(seed: seed, stream: stream)
        return (0..<count).map { k in
            let u1 = Philox.openUnitInterval(random.word(UInt64(k), 0, 0, 0))
            let u2 = Philox.openUnitInterval(random.word(UInt64(k), 0, 0, 1))
            return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        }
    }

    /// With every row in every bag, boosting is deterministic and equals scikit-learn's stump boosting (the same
    /// initial log-odds, split choice and Newton leaf steps) to rounding, on training and fresh rows
    /// (`Tests/Tools/estimator-fixtures/make_boosting_expected.py`).
    @Test func boostingEqualsScikitLearn() throws {
        let fixture = try Fixtures.json("estimators/boosting-expected.json") as! [String: Any]
        let cases = fixture["cases"] as! [[String: Any]]
        #expect(cases.count == 2)
        for (index, entry) in cases.enumerated() {
            let x = entry["x"] as! [[Double]], y = entry["y"] as! [Double], fresh = entry["fresh"] as! [[Double]]
            var settings = GradientBoosting.Settings()
            settings.bagFraction = 1
            let model = try GradientBoosting.fit(x, labels: y, settings: settings)
            for (rows, key) in [(x, "train_probability"), (fresh, "fresh_probability")] {
                let want = entry[key] as! [Double]
                let worst = zip(model.predict(rows), want).map { abs($0 - $1) }.max()!
                #expect(worst < 1e-9, "case \(index) \(key): worst |Δ| \(worst)")
            }
        }
    }

    /// Bad labels and a single class are typed errors.
    @Test func boostingRejectsBadLabels() {
        #expect(throws: EstimationError.self) { try GradientBoosting.fit([[0], [1]], labels: [0, 2]) }
        #expect(throws: EstimationError.self) { try GradientBoosting.fit([[0], [1]], labels: [1, 1]) }
    }

    /// Heteroscedastic data with known conditional quantiles: y = x0 + (0.5 + x1) ε, ε ~ N(0, 1), x ~ U(0, 1)³.
    /// The forest's 0.1 and 0.9 quantiles are close to the truth on average, ordered, and fresh outcomes fall
    /// below them at about the nominal rates.
    @Test func quantileForestRecoversConditionalQuantiles() throws {
        let n = 2000, test = 400
        let random = Philox(seed: 7, stream: 3)
        func uniform(_ k: Int, _ j: Int) -> Double { Philox.openUnitInterval(random.word(UInt64(k), UInt64(j), 0, 0)) }
        let noise = Self.normals(n + test, seed: 7, stream: 4)
        let rows = (0..<(n + test)).map { k in (0..<3).map { uniform(k, $0) } }
        let y = rows.indices.map { rows[$0][0] + (0.5 + rows[$0][1]) * noise[$0] }
        var settings = QuantileForest.Settings()
        settings.treeCount = Self.releaseOnly ? 2000 : 300
        let forest = try QuantileForest.fit(Array(rows.prefix(n)), outcome: Array(y.prefix(n)), settings: settings)
        let fresh = Array(rows.suffix(test)), freshY = Array(y.suffix(test))
        let predicted = forest.predict(fresh, quantiles: [0.9, 0.1, 0.5])
        let z90 = 1.2815515655446004
        var error10 = 0.0, error90 = 0.0, below10 = 0, below90 = 0
        for (k, row) in fresh.enumerated() {
            let q = predicted[k]
            #expect(q[1] <= q[2] && q[2] <= q[0], "quantiles out of order at row \(k): \(q)")
            error10 += abs(q[1] - (row[0] - (0.5 + row[1]) * z90)) / Double(test)
            error90 += abs(q[0] - (row[0] + (0.5 + row[1]) * z90)) / Double(test)
            if freshY[k] < q[1] { below10 += 1 }
            if freshY[k] < q[0] { below90 += 1 }
        }
        // The conditional sd is 0.5–1.5: a mean absolute error of 0.3 is a fifth to a half of it.
        #expect(error10 < 0.3 && error90 < 0.3, "mean |q̂ − q|: 0.1 → \(error10), 0.9 → \(error90)")
        // Binomial(400, p) rates: ±0.06 is more than 4 standard errors.
        #expect(abs(Double(below10) / Double(test) - 0.1) < 0.06, "below the 0.1 quantile: \(below10)/\(test)")
        #expect(abs(Double(below90) / Double(test) - 0.9) < 0.06, "below the 0.9 quantile: \(below90)/\(test)")
    }

    /// Equal weights give split conformal's ⌈(n + 1)(1 − α)⌉-th smallest score; unequal weights follow the
    /// cumulative normalized weights, computed here by hand.
    @Test func cutoffsByHand() {
        let scores = (0..<19).map { Double(($0 * 7) % 19) }  // 0…18 shuffled
        let flat = ConformalITE.cutoffs(scores: scores, calibrationWeights: [Double](repeating: 1, count: 19),
                                        testWeights: [1], alpha: 0.1, low: 0.05, high: 20)
        #expect(flat == [17])  // the 18th smallest of 0…18
        // Scores 1, 2, 3, 4 with weights 1, 1, 1, 5 and a test weight of 1: the mean weight is 9/5, so the
        // normalized weights are 5/9, 5/9, 5/9, 25/9 (sum 40/9) and the test weight 5/9. The level is
        // (1 + (5/9)/(40/9)) · 0.5 = 0.5625 and the cumulative shares 1/8, 2/8, 3/8, 1: the cutoff is the 4th score.
        let weighted = ConformalITE.cutoffs(scores: [4, 2, 3, 1], calibrationWeights: [5, 1, 1, 1], testWeights: [1],
                                            alpha: 0.5, low: 0.05, high: 20)
        #expect(weighted == [4])
        // At α = 0.7 the level is 0.3375: the third score (cumulative 3/8 = 0.375).
        let lower = ConformalITE.cutoffs(scores: [4, 2, 3, 1], calibrationWeights: [5, 1, 1, 1], testWeights: [1],
                                         alpha: 0.7, low: 0.05, high: 20)
        #expect(lower == [3])
    }

    /// A confounded design with a heterogeneous, noisy ITE: x ~ N(0, I₄), P(z = 1) = σ(0.7 x0),
    /// y(0) = x0 + x1 + ε0, y(1) = y(0) + 1 + x2 + 0.5 ε1, with the unit's ITE y(1) − y(0) known.
    static func simulation(_ n: Int, replication: UInt64) throws -> (data: EstimationData, ite: [Double]) {
        let g = normals(n * 6, seed: 11, stream: 100 + replication)
        let u = Philox(seed: 11, stream: 200 + replication)
        var x: [[Double]] = [], z: [Int] = [], y: [Double] = [], ite: [Double] = []
        for i in 0..<n {
            let row = Array(g[(6 * i)..<(6 * i + 4)])
            let e = 1 / (1 + exp(-0.7 * row[0]))
            let treated = Philox.openUnitInterval(u.word(UInt64(i), 0, 0, 0)) < e ? 1 : 0
            let y0 = row[0] + row[1] + g[6 * i + 4]
            let y1 = y0 + 1 + row[2] + 0.5 * g[6 * i + 5]
            x.append(row); z.append(treated); y.append(treated == 1 ? y1 : y0); ite.append(y1 - y0)
        }
        return (try EstimationData(covariates: x, treatment: z, outcome: y), ite)
    }

    /// The counterfactual intervals cover each unit's ITE at the nominal rate: conformal inference guarantees
    /// ≥ 95% for each missing potential outcome when the weights are right, and the ITE interval covers exactly
    /// when that one does. Release builds: 20 replications of n = 1,000, mean coverage in [0.93, 0.99], and the
    /// intervals at most 1.75 times the width of the oracle's (±1.96 conditional sd); debug builds: one smaller run.
    @Test func counterfactualIntervalsCoverTheITE() throws {
        let replications = Self.releaseOnly ? 20 : 1, n = Self.releaseOnly ? 1000 : 600
        var settings = ConformalITE.Settings()
        if !Self.releaseOnly { settings.forest.treeCount = 300 }
        var coverage: [Double] = [], widthRatio: [Double] = []
        for replication in 0..<replications {
            let (data, ite) = try Self.simulation(n, replication: UInt64(replication))
            settings.seed = UInt64(replication)
            let (lower, upper) = try ConformalITE.intervals(data, settings: settings)
            coverage.append(Double((0..<n).filter { lower[$0] < ite[$0] && ite[$0] < upper[$0] }.count) / Double(n))
            // Oracle width: the missing y(0) has sd 1 given x, the missing y(1) sd √1.25.
            let oracle = (0..<n).map { data.treatment[$0] == 1 ? 2 * 1.959964 : 2 * 1.959964 * 1.25.squareRoot() }
            widthRatio.append((0..<n).map { upper[$0] - lower[$0] }.reduce(0, +) / oracle.reduce(0, +))
        }
        let meanCoverage = coverage.reduce(0, +) / Double(replications)
        let bounds = Self.releaseOnly ? 0.93...0.99 : 0.90...1.0
        #expect(bounds.contains(meanCoverage), "mean ITE coverage \(meanCoverage) over \(replications) replications: \(coverage)")
        let meanWidth = widthRatio.reduce(0, +) / Double(replications)
        #expect(meanWidth < 1.75, "mean width / oracle width \(meanWidth)")
    }

    /// The same seed gives the same intervals; an arm too small to split is a typed error.
    @Test func deterministicAndTyped() throws {
        let (data, _) = try Self.simulation(200, replication: 0)
        var settings = ConformalITE.Settings()
        settings.forest.treeCount = 50
        let a = try ConformalITE.intervals(data, settings: settings), b = try ConformalITE.intervals(data, settings: settings)
        #expect(a.lower == b.lower && a.upper == b.upper)
        let tiny = try EstimationData(covariates: [[0], [1], [2], [3]], treatment: [1, 0, 0, 0], outcome: [1, 2, 3, 4])
        #expect(throws: EstimationError.self) { try ConformalITE.intervals(tiny, settings: settings) }
    }
}

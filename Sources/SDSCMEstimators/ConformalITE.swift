import Foundation
import SDSCMRandomness

/// Counterfactual conformal intervals for individual treatment effects: `cfcausal::conformalIte(X, Y, T,
/// algo = "counterfactual", type = "CQR", quantiles = c(.025, .975))` with its defaults, the paper's CQR.
///
/// Each unit's observed outcome is one potential outcome; the other is covered by weighted split conformalized
/// quantile regression fitted on the other arm: a `QuantileForest` on a random 75% of that arm's rows predicts the
/// two quantiles, the remaining 25% calibrate the score max(q̂_lo − y, y − q̂_hi), and the weights
/// (1 − ps)/ps, with ps the probability of being in that arm (a `GradientBoosting` propensity fitted on all rows),
/// shift the calibration toward the units whose outcome is missing. The ITE interval contrasts the observed
/// outcome with that counterfactual interval, so it covers the ITE exactly when the counterfactual interval covers
/// the missing outcome: probability ≥ 1 − α when the weights are right.
///
/// Details kept from `cfcausal`: weights are divided by their mean over the calibration and test rows, clipped to
/// [0.05, 20], and the cutoff for a test row is the calibration score where the normalized cumulative weight first
/// reaches (1 + w_test/Σw)(1 − α) (at most 1); the test rows are all units at once.
public enum ConformalITE {
    /// `cfcausal`'s defaults with the paper's α and quantiles.
    public struct Settings: Sendable {
        /// Miscoverage of each counterfactual interval.
        public var alpha = 0.05
        /// Quantiles the forest fits (and splits on).
        public var quantiles: [Double] = [0.025, 0.975]
        /// Fraction of an arm's rows that fit the forest; the rest calibrate.
        public var trainFraction = 0.75
        /// Bounds of the normalized weights.
        public var weightLow = 0.05, weightHigh = 20.0
        /// The base learner.
        public var forest = QuantileForest.Settings()
        /// The propensity model.
        public var propensity = GradientBoosting.Settings()
        /// Seed of the splits, the forests and the boosting bags.
        public var seed: UInt64 = 0
        /// `cfcausal`'s defaults.
        public init() {}
    }

    /// The paper's CQR as an `EffectEstimate`: the ITE intervals, their midpoints as the per-unit point (our
    /// summary; the paper reports CQR's intervals only) and the midpoints' mean as the ATE.
    public static func estimate(_ data: EstimationData, settings: Settings = Settings()) throws -> EffectEstimate {
        let (lower, upper) = try intervals(data, settings: settings)
        let middle = lower.indices.map { lower[$0] / 2 + upper[$0] / 2 }
        return EffectEstimate(ate: Statistics.mean(middle), cate: middle, standardError: nil, cateLower: lower, cateUpper: upper)
    }

    /// The counterfactual ITE interval of every unit.
    public static func intervals(_ data: EstimationData, settings: Settings = Settings()) throws -> (lower: [Double], upper: [Double]) {
        let x = data.covariates, y = data.outcome, n = y.count
        guard settings.alpha > 0, settings.alpha < 1 else { throw EstimationError.invalidData("alpha \(settings.alpha) is not inside (0, 1)") }
        guard settings.quantiles.count == 2 else { throw EstimationError.invalidData("CQR needs two quantiles, got \(settings.quantiles.count)") }
        var propensity = settings.propensity
        propensity.seed = settings.seed
        let e = try GradientBoosting.fit(x, labels: data.treatment.map(Double.init), settings: propensity).predict(x)
        var lower = [Double](repeating: 0, count: n), upper = lower
        for arm in [1, 0] {
            let rows = (0..<n).filter { data.treatment[$0] == arm }
            let trainCount = Int(Double(rows.count) * settings.trainFraction)
            guard trainCount >= 2, rows.count - trainCount >= 1 else { throw EstimationError.emptyArm(treated: arm == 1) }
            let random = Philox(seed: settings.seed, stream: 0xC0F0 + UInt64(arm))
            let picked = GeneralizedRandomForest.sample(rows.count, trainCount, random: random, counter: (0, 40))
            let inTraining = Set(picked)
            let train = picked.map { rows[$0] }
            let calibration = rows.indices.filter { !inTraining.contains($0) }.map { rows[$0] }
            var forestSettings = settings.forest
            forestSettings.splittingQuantiles = settings.quantiles
            forestSettings.seed = settings.seed
            forestSettings.stream = 0xC0F2 + UInt64(arm)
            let forest = try QuantileForest.fit(train.map { x[$0] }, outcome: train.map { y[$0] }, settings: forestSettings)
            let (lo, hi) = settings.quantiles[0] <= settings.quantiles[1] ? (0, 1) : (1, 0)
            let calibrated = forest.predict(calibration.map { x[$0] }, quantiles: settings.quantiles)
            let scores = calibration.indices.map { k in
                max(calibrated[k][lo] - y[calibration[k]], y[calibration[k]] - calibrated[k][hi])
            }
            // Odds of missing this arm's outcome: the covariate shift from the arm to the units lacking it.
            func weight(_ i: Int) -> Double {
                let observed = arm == 1 ? e[i] : 1 - e[i]
                return (1 - observed) / observed
            }
            let slack = cutoffs(scores: scores, calibrationWeights: calibration.map(weight), testWeights: (0..<n).map(weight),
                                alpha: settings.alpha, low: settings.weightLow, high: settings.weightHigh)
            let missing = (0..<n).filter { data.treatment[$0] != arm }
            let predicted = forest.predict(missing.map { x[$0] }, quantiles: settings.quantiles)
            for (k, i) in missing.enumerated() {
                let bottom = predicted[k][lo] - slack[i], top = predicted[k][hi] + slack[i]
                // The observed outcome against the interval of the missing one.
                if arm == 1 { lower[i] = bottom - y[i]; upper[i] = top - y[i] }
                else { lower[i] = y[i] - top; upper[i] = y[i] - bottom }
            }
        }
        return (lower, upper)
    }

    /// `cfcausal`'s weighted split-conformal cutoff for each test row: the calibration score at which the
    /// cumulative normalized weight first exceeds min(1, (1 + w_test/Σw)(1 − α)) − 1e-12, the weights divided by
    /// their mean over calibration and test rows and clipped to [`low`, `high`]. With equal weights this is the
    /// ⌈(n + 1)(1 − α)⌉-th smallest of n scores, split conformal's quantile.
    public static func cutoffs(scores: [Double], calibrationWeights: [Double], testWeights: [Double], alpha: Double,
                        low: Double, high: Double) -> [Double] {
        let average = (calibrationWeights.reduce(0, +) + testWeights.reduce(0, +)) / Double(calibrationWeights.count + testWeights.count)
        func clip(_ w: Double) -> Double { min(max(w / average, low), high) }
        let weights = calibrationWeights.map(clip)
        let total = weights.reduce(0, +)
        let order = scores.indices.sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var cumulative: [Double] = [], running = 0.0
        for k in order { running += weights[k] / total; cumulative.append(running) }
        return testWeights.map { w in
            let level = min((1 + clip(w) / total) * (1 - alpha), 1) - 1e-12
            // The first calibration score whose cumulative weight exceeds the level.
            var lowIndex = 0, highIndex = cumulative.count
            while lowIndex < highIndex {
                let middle = (lowIndex + highIndex) / 2
                if cumulative[middle] <= level { lowIndex = middle + 1 } else { highIndex = middle }
            }
            return scores[order[min(lowIndex, order.count - 1)]]
        }
    }
}

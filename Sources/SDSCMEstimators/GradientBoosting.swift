import Foundation
import SDSCMRandomness

/// Gradient boosting of stumps for a binary outcome with the Bernoulli deviance: R's `gbm` with its defaults
/// (100 trees of depth 1, shrinkage 0.1, half the rows per tree, at least 10 rows per leaf), the propensity model
/// of `cfcausal` (its `Boosting`).
///
/// The fit starts at the log-odds of the mean; each round draws a bag of rows without replacement, fits a stump
/// to the residuals y − p on the bag by the weighted difference of child means (w_L w_R/(w_L + w_R)(ȳ_L − ȳ_R)²,
/// thresholds halfway between neighbouring values), sets each leaf to the Newton step Σ(y − p)/Σp(1 − p) over its
/// bag rows, and adds `shrinkage` times the leaf to every row's score. With `bagFraction` 1 the rounds are
/// deterministic and equal scikit-learn's `GradientBoostingClassifier(max_depth=1)`, which the tests check.
public struct GradientBoosting: Sendable {
    /// gbm's defaults for `distribution = "bernoulli"`.
    public struct Settings: Sendable {
        /// Boosting rounds.
        public var treeCount = 100
        /// Learning rate applied to each stump.
        public var shrinkage = 0.1
        /// Fraction of rows drawn (without replacement) for each round.
        public var bagFraction = 0.5
        /// Fewest rows in each leaf of a stump.
        public var minNodeSize = 10
        /// Seed of the bags.
        public var seed: UInt64 = 0
        /// Philox stream of the bags.
        public var stream: UInt64 = 0
        /// gbm's defaults.
        public init() {}
    }

    struct Stump: Sendable { var feature: Int, threshold: Double, left: Double, right: Double }

    let initial: Double
    let stumps: [Stump]
    let shrinkage: Double

    /// Fits the model to 0/1 `labels` on `rows`.
    public static func fit(_ rows: [[Double]], labels: [Double], settings: Settings = Settings()) throws -> GradientBoosting {
        let n = rows.count
        guard labels.count == n else { throw EstimationError.invalidData("\(labels.count) labels for \(n) covariate rows") }
        if let bad = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw EstimationError.invalidData("label of row \(bad) is \(labels[bad]), not 0 or 1")
        }
        let positives = labels.reduce(0, +)
        guard positives > 0, positives < Double(n) else {
            throw EstimationError.invalidData("boosting needs both labels, got \(Int(positives)) of \(n) rows labelled 1")
        }
        let features = try TreeFeatures(rows)
        let initial = Foundation.log(positives / (Double(n) - positives))
        var score = [Double](repeating: initial, count: n)
        let bagSize = min(n, max(1, Int(Double(n) * settings.bagFraction)))
        let random = Philox(seed: settings.seed, stream: settings.stream)
        var stumps: [Stump] = []
        var probability = [Double](repeating: 0, count: n), residual = probability
        for round in 0..<settings.treeCount {
            for i in 0..<n {
                probability[i] = 1 / (1 + Foundation.exp(-score[i]))
                residual[i] = labels[i] - probability[i]
            }
            let bag = bagSize == n ? Array(0..<n)
                : GeneralizedRandomForest.sample(n, bagSize, random: random, counter: (UInt64(round), 30)).sorted()
            guard let stump = bestStump(features, bag: bag, residual: residual, probability: probability,
                                        minNodeSize: settings.minNodeSize) else { break }
            stumps.append(stump)
            for i in 0..<n {
                let x = features.distinct[stump.feature][Int(features.rank[stump.feature * n + i])]
                score[i] += settings.shrinkage * (x <= stump.threshold ? stump.left : stump.right)
            }
        }
        return GradientBoosting(initial: initial, stumps: stumps, shrinkage: settings.shrinkage)
    }

    /// The best stump on the bag, its leaves set to the Newton steps; nil when no split leaves both sides big enough.
    static func bestStump(_ features: TreeFeatures, bag: [Int], residual: [Double], probability: [Double],
                          minNodeSize: Int) -> Stump? {
        let n = features.rowCount, count = bag.count
        let total = bag.reduce(0.0) { $0 + residual[$1] }
        var best: (feature: Int, threshold: Double, gain: Double)?
        for j in 0..<features.featureCount {
            let values = features.distinct[j], base = j * n
            var sums = [Double](repeating: 0, count: values.count), counts = [Int](repeating: 0, count: values.count)
            for i in bag {
                let r = Int(features.rank[base + i])
                sums[r] += residual[i]; counts[r] += 1
            }
            var leftSum = 0.0, leftCount = 0, previous = -1
            for r in 0..<values.count where counts[r] > 0 {
                if previous >= 0, leftCount >= minNodeSize, count - leftCount >= minNodeSize {
                    let l = Double(leftCount), rr = Double(count - leftCount)
                    let difference = leftSum / l - (total - leftSum) / rr
                    let gain = l * rr / (l + rr) * difference * difference
                    if best == nil || gain > best!.gain {
                        var threshold = values[previous] / 2 + values[r] / 2
                        if threshold == values[r] { threshold = values[previous] }
                        best = (j, threshold, gain)
                    }
                }
                leftSum += sums[r]; leftCount += counts[r]; previous = r
            }
        }
        guard let split = best else { return nil }
        var numerator = (0.0, 0.0), denominator = (0.0, 0.0)
        for i in bag {
            let x = features.distinct[split.feature][Int(features.rank[split.feature * n + i])]
            let curvature = probability[i] * (1 - probability[i])
            if x <= split.threshold { numerator.0 += residual[i]; denominator.0 += curvature }
            else { numerator.1 += residual[i]; denominator.1 += curvature }
        }
        func step(_ a: Double, _ b: Double) -> Double { abs(b) < 1e-150 ? 0 : a / b }
        return Stump(feature: split.feature, threshold: split.threshold,
                     left: step(numerator.0, denominator.0), right: step(numerator.1, denominator.1))
    }

    /// P(label = 1) at each row.
    public func predict(_ rows: [[Double]]) -> [Double] {
        rows.map { row in
            var score = initial
            for stump in stumps {
                let x = Double(Float(row[stump.feature]))
                score += shrinkage * (x <= stump.threshold ? stump.left : stump.right)
            }
            return 1 / (1 + Foundation.exp(-score))
        }
    }
}

import Foundation
import SDSCMRandomness

/// A random forest of `RegressionTree`s with scikit-learn's `RandomForestRegressor` defaults: 100 trees, each on a
/// bootstrap sample of n rows drawn with replacement (as draw counts, i.e. weights), every feature considered at
/// every split, leaves of one row; the prediction is the trees' mean.
///
/// The bootstrap draws and the trees' feature orders come from Philox keyed by (seed, stream) with the tree, draw
/// or node as the counter, so a forest is a pure function of its data and seed: the same for any thread count or
/// order of growth. They are not NumPy's draws, so a forest equals scikit-learn's in distribution, not tree for tree.
public struct RandomForest: Sendable {
    /// The fitted trees.
    public let trees: [RegressionTree]

    /// Forest settings, with scikit-learn's regression defaults.
    public struct Settings: Sendable {
        /// Number of trees.
        public var treeCount = 100
        /// Fit each tree on a bootstrap sample (else on every row once).
        public var bootstrap = true
        /// Per-tree growth limits.
        public var limits = RegressionTree.Limits()
        /// Seed of the bootstrap draws.
        public var seed: UInt64 = 0
        /// Independent draws for one seed (e.g. one per learner that fits a forest).
        public var stream: UInt64 = 0
        /// scikit-learn's defaults with seed 0.
        public init() {}
    }

    /// Fits a forest to `outcome` over the rows; trees grow in parallel.
    public static func fit(_ rows: [[Double]], outcome: [Double], settings: Settings = Settings()) throws -> RandomForest {
        try fit(TreeFeatures(rows), outcome: outcome, settings: settings)
    }

    /// Fits a forest over prepared features.
    public static func fit(_ features: TreeFeatures, outcome: [Double], settings: Settings = Settings()) throws -> RandomForest {
        guard settings.treeCount > 0 else { throw EstimationError.invalidData("a forest needs at least one tree") }
        guard outcome.count == features.rowCount else {
            throw EstimationError.invalidData("\(outcome.count) outcomes for \(features.rowCount) covariate rows")
        }
        if let bad = outcome.firstIndex(where: { !$0.isFinite }) { throw EstimationError.invalidData("outcome of row \(bad) is \(outcome[bad])") }
        let n = features.rowCount
        let generator = Philox(seed: settings.seed, stream: settings.stream)
        let trees = Parallel.map(settings.treeCount) { tree -> RegressionTree in
            var weights = [Double](repeating: settings.bootstrap ? 0 : 1, count: n)
            if settings.bootstrap {
                for draw in 0..<n {
                    let word = generator.word(UInt64(tree), UInt64(draw), 0, 0)
                    weights[Philox.below(n, word)] += 1
                }
            }
            var builder = TreeBuilder(features: features, outcome: outcome, weights: weights, limits: settings.limits,
                                      generator: generator, tree: UInt64(tree))
            return builder.build()
        }
        return RandomForest(trees: trees)
    }

    /// The mean of the trees' predictions for one row.
    public func predict(_ row: [Double]) -> Double {
        var total = 0.0
        for tree in trees { total += tree.predict(row) }
        return total / Double(trees.count)
    }

    /// Predictions for many rows.
    public func predict(_ rows: [[Double]]) -> [Double] { rows.map(predict) }
}

import Foundation
import SDSCMRandomness

/// Covariates prepared once for any number of trees: each value rounded to `Float` (scikit-learn's trees store X
/// as float32, so thresholds and splits agree with theirs), each feature's sorted distinct values, and every row's
/// rank among them. Splits are found on ranks, so a node never sorts floating-point values.
public struct TreeFeatures: Sendable {
    /// Rows of the prepared matrix.
    public let rowCount: Int
    /// Columns of the prepared matrix.
    public let featureCount: Int
    /// Per feature, its distinct values in increasing order.
    let distinct: [[Double]]
    /// Feature-major ranks: `rank[j * rowCount + i]` is row i's position in `distinct[j]`.
    let rank: [Int32]

    /// Prepares the rows (every row the same length, finite values).
    public init(_ rows: [[Double]]) throws {
        guard let width = rows.first?.count, width > 0 else { throw EstimationError.invalidData("no covariates to split on") }
        if let bad = rows.firstIndex(where: { $0.count != width }) {
            throw EstimationError.invalidData("covariate row \(bad) has \(rows[bad].count) values, row 0 has \(width)")
        }
        rowCount = rows.count
        featureCount = width
        var distinct: [[Double]] = []
        var rank = [Int32](repeating: 0, count: rows.count * width)
        for j in 0..<width {
            var column = [Double](repeating: 0, count: rows.count)
            for i in rows.indices {
                let value = Double(Float(rows[i][j]))
                guard value.isFinite else { throw EstimationError.invalidData("covariate \(j) of row \(i) is \(rows[i][j])") }
                column[i] = value
            }
            let values = Array(Set(column)).sorted()
            var position: [Double: Int32] = [:]
            for (k, value) in values.enumerated() { position[value] = Int32(k) }
            for i in rows.indices { rank[j * rows.count + i] = position[column[i]]! }
            distinct.append(values)
        }
        self.distinct = distinct
        self.rank = rank
    }
}

/// A CART regression tree with scikit-learn's `DecisionTreeRegressor` semantics (squared error, best split over
/// every feature, thresholds halfway between neighbouring values, values ≤ threshold go left, a node is split
/// until it is pure or too small), fitted on weighted rows: a bootstrap sample is the rows' draw counts as
/// weights, as scikit-learn's forests do.
///
/// Features are visited in a random order per node and the first of equally good splits wins, as scikit-learn
/// does: ties are common (a small node is separated the same way by many features), and always preferring one
/// feature would bias effects, e.g. a treatment column listed last would lose every tie. The order comes from
/// Philox keyed by the seed, so a tree is a function of its data and seed; it is not scikit-learn's own order, so
/// trees whose splits tie equal scikit-learn's in distribution, and those without ties equal them exactly.
public struct RegressionTree: Sendable {
    /// The split feature of each internal node, −1 at leaves.
    var feature: [Int32] = []
    /// The split threshold of each internal node.
    var threshold: [Double] = []
    /// Children of each internal node (indices into these arrays).
    var left: [Int32] = [], right: [Int32] = []
    /// The weighted mean outcome of each node.
    var value: [Double] = []

    /// Growth limits, with scikit-learn's defaults.
    public struct Limits: Sendable {
        /// Fewest rows (with non-zero weight) in a leaf.
        public var minSamplesLeaf = 1
        /// Fewest rows a node needs to be split.
        public var minSamplesSplit = 2
        /// Deepest level, unlimited when nil.
        public var maxDepth: Int? = nil
        /// Features searched per node (in the node's random order, not counting features constant in the node, as
        /// scikit-learn's `max_features`); all when nil.
        public var maxFeatures: Int? = nil
        /// scikit-learn's defaults: leaves of one row, no depth limit.
        public init() {}
    }

    /// The number of nodes, leaves included.
    public var nodeCount: Int { value.count }

    /// Fits the tree to `outcome` over the prepared features, each row weighted (0 leaves a row out).
    public static func fit(_ features: TreeFeatures, outcome: [Double], weights: [Double]? = nil,
                           limits: Limits = Limits(), seed: UInt64 = 0) throws -> RegressionTree {
        guard outcome.count == features.rowCount else {
            throw EstimationError.invalidData("\(outcome.count) outcomes for \(features.rowCount) covariate rows")
        }
        if let bad = outcome.firstIndex(where: { !$0.isFinite }) { throw EstimationError.invalidData("outcome of row \(bad) is \(outcome[bad])") }
        let weights = weights ?? [Double](repeating: 1, count: outcome.count)
        if let bad = weights.firstIndex(where: { !($0 >= 0) || !$0.isFinite }) { throw EstimationError.invalidData("weight of row \(bad) is \(weights[bad])") }
        guard weights.count == outcome.count else { throw EstimationError.invalidData("\(weights.count) weights for \(outcome.count) rows") }
        var builder = TreeBuilder(features: features, outcome: outcome, weights: weights, limits: limits,
                                  generator: Philox(seed: seed), tree: 0)
        return builder.build()
    }

    /// Fits a tree on raw covariate rows.
    public static func fit(_ rows: [[Double]], outcome: [Double], limits: Limits = Limits(), seed: UInt64 = 0) throws -> RegressionTree {
        try fit(TreeFeatures(rows), outcome: outcome, limits: limits, seed: seed)
    }

    /// The tree's prediction for one covariate row (rounded to `Float` as the fit's rows were).
    public func predict(_ row: [Double]) -> Double {
        var node = 0
        while feature[node] >= 0 {
            let x = Double(Float(row[Int(feature[node])]))
            node = Int(x <= threshold[node] ? left[node] : right[node])
        }
        return value[node]
    }
}

/// Grows one tree depth first, keeping the rows of every node contiguous in `samples`.
struct TreeBuilder {
    let features: TreeFeatures
    let outcome: [Double]
    let weights: [Double]
    let limits: RegressionTree.Limits
    /// The source of each node's feature order: counter (tree, node, position).
    let generator: Philox
    let treeIndex: UInt64
    var order: [Int]
    var tree = RegressionTree()
    /// Rows with non-zero weight, permuted so that each node's rows are one range.
    var samples: [Int32]
    /// Per-rank accumulators for one feature of one node (sized for the widest feature).
    var binWeight: [Double], binSum: [Double], binCount: [Int32]
    /// Sort keys (rank, row) for features with more distinct values than a node has rows.
    var keys: [UInt64]

    /// scikit-learn's `FEATURE_THRESHOLD`: neighbouring values closer than this are not split between.
    static let featureThreshold = 1e-7

    init(features: TreeFeatures, outcome: [Double], weights: [Double], limits: RegressionTree.Limits,
         generator: Philox, tree: UInt64) {
        self.generator = generator
        treeIndex = tree
        order = Array(0..<features.featureCount)
        self.features = features
        self.outcome = outcome
        self.weights = weights
        self.limits = limits
        samples = (0..<features.rowCount).filter { weights[$0] != 0 }.map { Int32($0) }
        let widest = features.distinct.map(\.count).max() ?? 0
        binWeight = [Double](repeating: 0, count: widest)
        binSum = [Double](repeating: 0, count: widest)
        binCount = [Int32](repeating: 0, count: widest)
        keys = [UInt64](repeating: 0, count: samples.count)
    }

    /// The best split of a node: feature, the largest rank that goes left, the threshold and its proxy improvement.
    struct Split { var feature = -1, lastLeftRank: Int32 = 0, threshold = 0.0, proxy = -Double.infinity }

    mutating func build() -> RegressionTree {
        guard !samples.isEmpty else {
            tree.feature = [-1]; tree.threshold = [0]; tree.left = [-1]; tree.right = [-1]; tree.value = [0]
            return tree
        }
        // (start, end, depth, parent, isLeft)
        var stack: [(Int, Int, Int, Int, Bool)] = [(0, samples.count, 0, -1, false)]
        while let (start, end, depth, parent, isLeft) = stack.popLast() {
            var weight = 0.0, sum = 0.0, squares = 0.0
            for k in start..<end {
                let i = Int(samples[k]), w = weights[i], y = outcome[i]
                weight += w; sum += w * y; squares += w * y * y
            }
            let mean = sum / weight
            let node = tree.value.count
            tree.value.append(mean); tree.feature.append(-1); tree.threshold.append(0); tree.left.append(-1); tree.right.append(-1)
            if parent >= 0 { if isLeft { tree.left[parent] = Int32(node) } else { tree.right[parent] = Int32(node) } }
            let count = end - start
            let impurity = squares / weight - mean * mean
            if count < limits.minSamplesSplit || count < 2 * limits.minSamplesLeaf || impurity <= Double.ulpOfOne
                || limits.maxDepth.map({ depth >= $0 }) == true {
                continue
            }
            // A fresh uniform permutation of the features for this node (Fisher–Yates).
            let generator = self.generator, treeKey = treeIndex
            Philox.shuffle(&order) { generator.word(treeKey, UInt64(node), UInt64($0), 4) }
            let split = bestSplit(start, end, weight: weight, sum: sum)
            guard split.feature >= 0 else { continue }
            // Partition: rows whose rank is at most lastLeftRank first.
            let base = split.feature * features.rowCount
            var i = start, j = end - 1
            while i <= j {
                if features.rank[base + Int(samples[i])] <= split.lastLeftRank { i += 1 } else { samples.swapAt(i, j); j -= 1 }
            }
            tree.feature[node] = Int32(split.feature)
            tree.threshold[node] = split.threshold
            stack.append((i, end, depth + 1, node, false))
            stack.append((start, i, depth + 1, node, true))
        }
        return tree
    }

    /// Scans every feature of the node's rows for the split with the largest Σ_left²/w_left + Σ_right²/w_right
    /// (scikit-learn's proxy for the decrease of squared error).
    mutating func bestSplit(_ start: Int, _ end: Int, weight: Double, sum: Double) -> Split {
        var best = Split()
        let n = features.rowCount, count = end - start, minLeaf = limits.minSamplesLeaf
        let budget = limits.maxFeatures ?? features.featureCount
        var searched = 0
        for j in order {
            if searched >= budget { break }
            let values = features.distinct[j]
            let base = j * n
            // Consider a boundary before `value` with the left side's totals so far.
            var varies = false
            func consider(_ previous: Double, _ value: Double, _ lastRank: Int32, _ wl: Double, _ sl: Double, _ nl: Int) {
                guard value > previous + Self.featureThreshold else { return }
                varies = true
                guard nl >= minLeaf, count - nl >= minLeaf else { return }
                let wr = weight - wl, sr = sum - sl
                let proxy = sl * sl / wl + sr * sr / wr
                if proxy > best.proxy {
                    var threshold = previous / 2 + value / 2
                    if threshold == value || !threshold.isFinite { threshold = previous }
                    best = Split(feature: j, lastLeftRank: lastRank, threshold: threshold, proxy: proxy)
                }
            }
            if values.count <= 2 * count + 16 {
                // Few distinct values for this node: accumulate per rank, then scan the ranks in order.
                features.rank.withUnsafeBufferPointer { rank in
                    samples.withUnsafeBufferPointer { rows in
                        for k in start..<end {
                            let i = Int(rows[k]), r = Int(rank[base + i])
                            binWeight[r] += weights[i]; binSum[r] += weights[i] * outcome[i]; binCount[r] += 1
                        }
                    }
                }
                var wl = 0.0, sl = 0.0, nl = 0, previous = 0.0, lastRank: Int32 = -1
                for r in 0..<values.count where binCount[r] > 0 {
                    if lastRank >= 0 { consider(previous, values[r], lastRank, wl, sl, nl) }
                    wl += binWeight[r]; sl += binSum[r]; nl += Int(binCount[r])
                    previous = values[r]; lastRank = Int32(r)
                    binWeight[r] = 0; binSum[r] = 0; binCount[r] = 0
                }
            } else {
                // Many distinct values: sort the node's (rank, row) pairs.
                for k in start..<end {
                    let i = samples[k]
                    keys[k - start] = UInt64(UInt32(features.rank[base + Int(i)])) << 32 | UInt64(UInt32(i))
                }
                keys.withUnsafeMutableBufferPointer { buffer in
                    var slice = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
                    slice.sort()
                }
                var wl = 0.0, sl = 0.0, nl = 0, previous = 0.0, lastRank: Int32 = -1
                for k in 0..<count {
                    let r = Int32(keys[k] >> 32), i = Int(keys[k] & 0xFFFF_FFFF)
                    if r != lastRank {
                        if lastRank >= 0 { consider(previous, values[Int(r)], lastRank, wl, sl, nl) }
                        previous = values[Int(r)]; lastRank = r
                    }
                    wl += weights[i]; sl += weights[i] * outcome[i]; nl += 1
                }
            }
            if varies { searched += 1 }
        }
        return best
    }
}

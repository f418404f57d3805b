import Foundation
import SDSCMRandomness

/// A quantile regression forest with the semantics of R's `grf::quantile_forest` (grf 2.x), the base learner of
/// `cfcausal`'s conformalized quantile regression.
///
/// Each tree draws half the rows without replacement and splits them honestly: one half grows the tree, the other
/// half fills its leaves. A node is split unless it holds `minNodeSize` rows or fewer or its outcomes are all
/// equal; the outcomes are relabelled into classes by the node's empirical `splittingQuantiles`, and the split
/// maximizing Σ_c n_{L,c}²/n_L + Σ_c n_{R,c}²/n_R (grf's probability rule) wins, each child holding at least
/// ⌈`alpha`·n⌉ rows, rows ≤ the left value going left. Leaves left empty by the estimation half are pruned as grf
/// prunes them (the sibling takes the parent's place). A prediction weights each training row by the average over
/// trees of 1/|leaf| where it shares the query's leaf, and reads the quantiles off the weighted outcomes.
public struct QuantileForest: Sendable {
    /// grf's defaults, except `splittingQuantiles`, which `cfcausal` sets to the quantiles it predicts.
    public struct Settings: Sendable {
        /// Trees in the forest.
        public var treeCount = 2000
        /// Fraction of rows each tree draws (without replacement).
        public var sampleFraction = 0.5
        /// Fraction of a tree's draw that grows it; the rest fills its leaves.
        public var honestyFraction = 0.5
        /// Nodes with this many splitting rows or fewer are leaves.
        public var minNodeSize = 5
        /// Each child of a split keeps at least this fraction of the node's rows.
        public var alpha = 0.05
        /// The quantiles whose node-level values relabel the outcomes for splitting.
        public var splittingQuantiles: [Double] = [0.1, 0.5, 0.9]
        /// Seed of the row draws and the per-node feature order.
        public var seed: UInt64 = 0
        /// Philox stream, so that several forests fitted with one seed draw independently.
        public var stream: UInt64 = 0
        /// grf's defaults.
        public init() {}
    }

    /// One honest tree; `left == right == 0` marks a leaf (the root, node 0, is nobody's child).
    struct Tree: Sendable {
        var feature: [Int32] = [], threshold: [Double] = [], left: [Int32] = [], right: [Int32] = []
        /// Estimation rows of each leaf.
        var rows: [[Int32]] = []
        /// The node where descent starts (pruning may promote a child of node 0).
        var root = 0

        func isLeaf(_ node: Int) -> Bool { left[node] == 0 && right[node] == 0 }

        /// grf's `honesty_prune_leaves`: children before parents, a node with an empty leaf child becomes its
        /// other child (or an empty leaf when both are empty).
        mutating func prune() {
            func isEmptyLeaf(_ node: Int) -> Bool { isLeaf(node) && rows[node].isEmpty }
            func pruned(_ node: Int) -> Int {
                let l = Int(left[node]), r = Int(right[node])
                guard isEmptyLeaf(l) || isEmptyLeaf(r) else { return node }
                left[node] = 0; right[node] = 0
                return !isEmptyLeaf(l) ? l : !isEmptyLeaf(r) ? r : node
            }
            for node in stride(from: feature.count - 1, through: 1, by: -1) where !isLeaf(node) {
                if !isLeaf(Int(left[node])) { left[node] = Int32(pruned(Int(left[node]))) }
                if !isLeaf(Int(right[node])) { right[node] = Int32(pruned(Int(right[node]))) }
            }
            if !isLeaf(0) {
                if !isLeaf(Int(left[0])) { left[0] = Int32(pruned(Int(left[0]))) }
                if !isLeaf(Int(right[0])) { right[0] = Int32(pruned(Int(right[0]))) }
                root = pruned(0)
            }
        }
    }

    /// Every tree's nodes in one set of arrays (child and root indices global), so that predictions run over
    /// contiguous memory: `left == right == 0` at leaves, whose estimation rows are `members[start ..< start + count]`.
    let feature: [Int32], threshold: [Double], left: [Int32], right: [Int32], start: [Int32], count: [Int32]
    let members: [Int32], roots: [Int32]
    let outcome: [Double]
    /// Training rows by increasing outcome (ties by row), the order the weighted quantiles are read in.
    let byOutcome: [Int]

    /// Fits the forest to `outcome` on `rows` (finite values, at least two rows).
    public static func fit(_ rows: [[Double]], outcome: [Double], settings: Settings = Settings()) throws -> QuantileForest {
        let n = rows.count
        guard outcome.count == n else { throw EstimationError.invalidData("\(outcome.count) outcomes for \(n) covariate rows") }
        guard n >= 2 else { throw EstimationError.invalidData("a quantile forest needs at least 2 rows, got \(n)") }
        if let bad = outcome.firstIndex(where: { !$0.isFinite }) { throw EstimationError.invalidData("outcome of row \(bad) is \(outcome[bad])") }
        if let bad = settings.splittingQuantiles.first(where: { !($0 > 0 && $0 < 1) }) {
            throw EstimationError.invalidData("splitting quantile \(bad) is not inside (0, 1)")
        }
        let features = try TreeFeatures(rows)
        let random = Philox(seed: settings.seed, stream: settings.stream)
        let drawn = max(1, Int(Double(n) * settings.sampleFraction))
        let growing = Int((Double(drawn) * settings.honestyFraction).rounded(.up))
        let quantiles = settings.splittingQuantiles.sorted()
        let trees = Parallel.map(settings.treeCount) { index -> Tree in
            let sample = GeneralizedRandomForest.sample(n, drawn, random: random, counter: (UInt64(index), 20))
            let builder = QuantileTreeBuilder(features: features, y: outcome, quantiles: quantiles, settings: settings,
                                              random: random, tree: UInt64(index))
            var tree = builder.grow(Array(sample.prefix(growing)))
            tree.rows = Array(repeating: [], count: tree.feature.count)
            for i in sample.dropFirst(growing) {
                var node = 0
                while !tree.isLeaf(node) {
                    let x = features.distinct[Int(tree.feature[node])][Int(features.rank[Int(tree.feature[node]) * n + i])]
                    node = Int(x <= tree.threshold[node] ? tree.left[node] : tree.right[node])
                }
                tree.rows[node].append(Int32(i))
            }
            tree.prune()
            return tree
        }
        let byOutcome = (0..<n).sorted { outcome[$0] < outcome[$1] || (outcome[$0] == outcome[$1] && $0 < $1) }
        return QuantileForest(trees, outcome: outcome, byOutcome: byOutcome)
    }

    init(_ trees: [Tree], outcome: [Double], byOutcome: [Int]) {
        var feature: [Int32] = [], threshold: [Double] = [], left: [Int32] = [], right: [Int32] = []
        var start: [Int32] = [], count: [Int32] = [], members: [Int32] = [], roots: [Int32] = []
        for tree in trees {
            let offset = Int32(feature.count)
            roots.append(offset + Int32(tree.root))
            for node in tree.feature.indices {
                feature.append(tree.feature[node]); threshold.append(tree.threshold[node])
                let leaf = tree.isLeaf(node)
                left.append(leaf ? 0 : offset + tree.left[node]); right.append(leaf ? 0 : offset + tree.right[node])
                start.append(Int32(members.count)); count.append(leaf ? Int32(tree.rows[node].count) : 0)
                if leaf { members += tree.rows[node] }
            }
        }
        self.feature = feature; self.threshold = threshold; self.left = left; self.right = right
        self.start = start; self.count = count; self.members = members; self.roots = roots
        self.outcome = outcome; self.byOutcome = byOutcome
    }

    /// The forest's estimate of each requested quantile (in (0, 1)) at each row: `result[row][k]` for `quantiles[k]`.
    public func predict(_ rows: [[Double]], quantiles: [Double]) -> [[Double]] {
        // Covariates are often few-valued codes: each distinct row is predicted once.
        var seen: [[Double]: Int] = [:], distinct: [[Double]] = []
        let slot = rows.map { row -> Int in
            let rounded = row.map { Double(Float($0)) }
            if let k = seen[rounded] { return k }
            seen[rounded] = distinct.count; distinct.append(rounded)
            return distinct.count - 1
        }
        let predicted = predictDistinct(distinct, quantiles: quantiles)
        return slot.map { predicted[$0] }
    }

    func predictDistinct(_ rows: [[Double]], quantiles: [Double]) -> [[Double]] {
        let order = quantiles.indices.sorted { quantiles[$0] < quantiles[$1] }
        var weight = [Double](repeating: 0, count: outcome.count)
        return rows.map { row in
            var total = 0.0
            feature.withUnsafeBufferPointer { feature in
            threshold.withUnsafeBufferPointer { threshold in
            left.withUnsafeBufferPointer { left in
            right.withUnsafeBufferPointer { right in
            members.withUnsafeBufferPointer { members in
            weight.withUnsafeMutableBufferPointer { weight in
                for root in roots {
                    var node = Int(root)
                    while left[node] != 0 || right[node] != 0 {
                        node = Int(row[Int(feature[node])] <= threshold[node] ? left[node] : right[node])
                    }
                    let size = Int(count[node])
                    guard size > 0 else { continue }
                    let share = 1 / Double(size), first = Int(start[node])
                    for k in first..<(first + size) { weight[Int(members[k])] += share }
                    total += 1
                }
            }}}}}}
            if total == 0 {
                // No tree kept an estimation row on this path (tiny data): every training row counts once.
                for i in weight.indices { weight[i] = 1 }
                total = Double(weight.count)
            }
            var result = [Double](repeating: 0, count: quantiles.count)
            var cumulative = 0.0, next = 0, largest = outcome[byOutcome.last!]
            for i in byOutcome where weight[i] > 0 {
                cumulative += weight[i] / total
                largest = outcome[i]
                while next < order.count && cumulative >= quantiles[order[next]] {
                    result[order[next]] = outcome[i]; next += 1
                }
                weight[i] = 0
            }
            // Quantiles the cumulative weight fell short of by rounding take the largest weighted outcome, as grf.
            while next < order.count { result[order[next]] = largest; next += 1 }
            return result
        }
    }
}

/// Grows one quantile tree on its splitting rows (grf's `TreeTrainer` with the quantile relabelling and the
/// probability splitting rule).
struct QuantileTreeBuilder {
    let features: TreeFeatures
    let y: [Double], quantiles: [Double]
    let settings: QuantileForest.Settings
    let random: Philox, treeIndex: UInt64

    init(features: TreeFeatures, y: [Double], quantiles: [Double], settings: QuantileForest.Settings, random: Philox, tree: UInt64) {
        self.features = features; self.y = y; self.quantiles = quantiles; self.settings = settings
        self.random = random; treeIndex = tree
    }

    func grow(_ rows: [Int]) -> QuantileForest.Tree {
        var tree = QuantileForest.Tree()
        // Breadth-first as grf numbers nodes: a node's children come after every node created before them.
        var queue: [[Int]] = [rows], head = 0
        while head < queue.count {
            let members = queue[head], node = head
            head += 1
            tree.feature.append(-1); tree.threshold.append(0); tree.left.append(0); tree.right.append(0)
            guard let split = bestSplit(members, node: node) else { continue }
            tree.feature[node] = Int32(split.feature); tree.threshold[node] = split.value
            let base = split.feature * features.rowCount, values = features.distinct[split.feature]
            let goesLeft = { (i: Int) in values[Int(features.rank[base + i])] <= split.value }
            tree.left[node] = Int32(queue.count); queue.append(members.filter(goesLeft))
            tree.right[node] = Int32(queue.count); queue.append(members.filter { !goesLeft($0) })
        }
        return tree
    }

    /// The best (feature, left value) by grf's probability rule, or nil when the node stays a leaf.
    func bestSplit(_ rows: [Int], node: Int) -> (feature: Int, value: Double)? {
        let n = rows.count
        guard n > settings.minNodeSize else { return nil }
        guard rows.contains(where: { y[$0] != y[rows[0]] }) else { return nil }
        // Classes: how many of the node's quantile cutoffs lie strictly below the outcome.
        let sorted = rows.map { y[$0] }.sorted()
        var cutoffs: [Double] = []
        for q in quantiles {
            let value = sorted[max(0, Int((Double(n) * q).rounded(.up)) - 1)]
            if cutoffs.last != value { cutoffs.append(value) }
        }
        let classCount = cutoffs.count + 1
        let label = rows.map { i in cutoffs.firstIndex(where: { $0 >= y[i] }) ?? cutoffs.count }
        var totals = [Double](repeating: 0, count: classCount)
        for c in label { totals[c] += 1 }
        let minChild = max(Int((Double(n) * settings.alpha).rounded(.up)), 1)
        var order = Array(0..<features.featureCount)
        Philox.shuffle(&order) { random.word(treeIndex, UInt64(node), UInt64($0), 21) }
        var best: (feature: Int, value: Double)?
        var bestDecrease = 0.0
        var counts = [Double](), rowsAt = [Int]()
        var left = [Double](repeating: 0, count: classCount)
        for j in order {
            let base = j * features.rowCount, values = features.distinct[j]
            counts = [Double](repeating: 0, count: values.count * classCount)
            rowsAt = [Int](repeating: 0, count: values.count)
            for (position, i) in rows.enumerated() {
                let r = Int(features.rank[base + i])
                counts[r * classCount + label[position]] += 1
                rowsAt[r] += 1
            }
            guard let last = rowsAt.lastIndex(where: { $0 > 0 }) else { continue }
            for c in 0..<classCount { left[c] = 0 }
            var nLeft = 0
            for r in 0..<last where rowsAt[r] > 0 {
                nLeft += rowsAt[r]
                for c in 0..<classCount { left[c] += counts[r * classCount + c] }
                let nRight = n - nLeft
                if nRight < minChild { break }
                if nLeft < minChild { continue }
                var sumLeft = 0.0, sumRight = 0.0
                for c in 0..<classCount {
                    sumLeft += left[c] * left[c]
                    let right = totals[c] - left[c]
                    sumRight += right * right
                }
                let decrease = sumRight / Double(nRight) + sumLeft / Double(nLeft)
                if decrease > bestDecrease {
                    bestDecrease = decrease
                    best = (j, values[r])
                }
            }
        }
        return best
    }
}

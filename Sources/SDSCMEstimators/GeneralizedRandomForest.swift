import Foundation
import SDSCMRandomness

/// A generalized random forest (Athey, Tibshirani & Wager 2019) with EconML's `grf` semantics, for the local moment
/// E[(y − θ(x)ᵀu) u | x] = 0 with u = (t, 1) (`CausalForest`: effect and intercept) or u = (1) (`RegressionForest`).
///
/// Settings follow EconML's defaults (`Documentation/EstimatorReferences.md` §5): trees grown in bags of
/// `subforestSize` on a half-sample of the rows drawn without replacement, each tree on ⌊`maxSamples`·n⌋ of its
/// bag's rows, honest (half of a tree's rows choose the splits, the other half fill the leaves), leaves of at least
/// `minSamplesLeaf` rows on both halves, children of at least 5% of their parent, every feature considered in a
/// random order. Splits are ranked as EconML ranks them: a causal forest (two outputs, criterion "mse") by the fit
/// Σ_children θ_cᵀ J_c θ_c of each child's own solution θ_c = J_c⁻¹ α_c (EconML's clipped 2 × 2 inverse, so a child
/// without both treatment arms scores 0), a node whose best split would not lower the squared error becoming a
/// leaf; a regression forest (criterion "het") by Σ_children (Σ ρ)² / n_c with ρ the residuals from the parent's
/// mean. Predictions solve the averaged leaf moments, θ̂(x) = Ĵ(x)⁺ α̂(x),
/// and their variance is EconML's bootstrap of little bags with its small-sample correction.
/// All draws come from Philox keyed by (seed, stream), so a forest is a function of its data and seed.
public struct GeneralizedRandomForest: Sendable {
    /// Forest settings; defaults are EconML's `CausalForest()`.
    public struct Settings: Sendable {
        /// Trees in the forest (a multiple of `subforestSize`).
        public var treeCount = 100
        /// Trees per bag (one half-sample); the variance estimate compares bags.
        public var subforestSize = 4
        /// Each tree's share of all rows, drawn from its bag's half-sample.
        public var maxSamples = 0.45
        /// Fewest rows per leaf, on the splitting and on the estimating half.
        public var minSamplesLeaf = 5
        /// Fewest splitting rows a node needs to be split.
        public var minSamplesSplit = 10
        /// Each child keeps at least (0.5 − this) of its parent's rows.
        public var minBalancedness = 0.45
        /// Seed of the subsamples and feature orders.
        public var seed: UInt64 = 0
        /// Independent draws for one seed.
        public var stream: UInt64 = 0
        /// EconML's `CausalForest()` defaults.
        public init() {}
        /// EconML's `RegressionForest` as `ForestDRLearner` configures it: 1,000 trees, leaves of 5, splits of 5.
        public static var drFinalStage: Settings {
            var settings = Settings()
            settings.treeCount = 1000
            settings.minSamplesSplit = 5
            return settings
        }
    }

    /// One tree: splits, and per leaf the estimation half's moment sums (Σ y u, Σ u uᵀ) and count.
    struct Tree: Sendable {
        var feature: [Int32] = [], threshold: [Double] = [], left: [Int32] = [], right: [Int32] = []
        /// Per node, the estimation rows' mean y·u (2 slots) and mean u uᵀ (3 slots: 00, 01, 11); unused slots 0.
        var alpha: [Double] = [], jacobian: [Double] = []
        func leaf(_ row: [Double]) -> Int {
            var node = 0
            while feature[node] >= 0 { node = Int(row[Int(feature[node])] <= threshold[node] ? left[node] : right[node]) }
            return node
        }
    }

    let trees: [Tree]
    let settings: Settings
    /// Length of u: 2 for a causal forest, 1 for a regression forest.
    let dimension: Int

    /// Fits on covariates `rows`, outcome `y` and, for a causal forest, treatment `t` (nil: regression forest).
    public static func fit(_ rows: [[Double]], outcome y: [Double], treatment t: [Double]?, settings: Settings = Settings()) throws -> GeneralizedRandomForest {
        let n = rows.count
        guard n >= 4, y.count == n, t.map({ $0.count == n }) ?? true else {
            throw EstimationError.invalidData("a generalized random forest needs matching rows, outcomes and treatments (at least 4)")
        }
        guard settings.treeCount % settings.subforestSize == 0 else {
            throw EstimationError.invalidData("tree count \(settings.treeCount) is not a multiple of the bag size \(settings.subforestSize)")
        }
        let features = try TreeFeatures(rows)
        let dimension = t == nil ? 1 : 2
        let u: [[Double]] = (0..<n).map { t == nil ? [1] : [t![$0], 1] }
        let random = Philox(seed: settings.seed, stream: settings.stream)
        let bags = settings.treeCount / settings.subforestSize
        let half = n / 2, perTree = min(Int(settings.maxSamples * Double(n)), half)
        let trees = Parallel.map(settings.treeCount) { index -> Tree in
            let bag = index / settings.subforestSize
            // The bag's half-sample, then the tree's subsample of it, then its honest split.
            let bagRows = Self.sample(n, half, random: random, counter: (UInt64(bag), 0))
            let picks = Self.sample(half, perTree, random: random, counter: (UInt64(bags + index), 1))
            let chosen = picks.map { bagRows[$0] }
            let splitting = Array(chosen.prefix(perTree / 2)), estimating = Array(chosen.dropFirst(perTree / 2))
            var builder = GRFTreeBuilder(features: features, y: y, u: u, dimension: dimension, settings: settings,
                                         random: random, tree: UInt64(index))
            return builder.build(splitting: splitting, estimating: estimating)
        }
        return GeneralizedRandomForest(trees: trees, settings: settings, dimension: dimension)
    }

    /// `count` distinct indices of 0..<n in random order (a partial Fisher–Yates shuffle).
    static func sample(_ n: Int, _ count: Int, random: Philox, counter: (UInt64, UInt64)) -> [Int] {
        var indices = Array(0..<n)
        for k in 0..<min(count, n - 1) {
            let word = random.word(counter.0, counter.1, UInt64(k), 8)
            let j = k + Philox.below(n - k, word)
            indices.swapAt(k, j)
        }
        return Array(indices.prefix(count))
    }

    /// θ̂(x) (the effect, u's first component) per row with its variance by the bootstrap of little bags.
    public func predict(_ rows: [[Double]]) -> (estimate: [Double], variance: [Double]) {
        var estimates: [Double] = [], variances: [Double] = []
        let k = dimension, bagSize = settings.subforestSize, bags = trees.count / bagSize, count = Double(trees.count)
        var leaves = [Int](repeating: 0, count: trees.count)
        for row in rows {
            var a0 = 0.0, a1 = 0.0, j00 = 0.0, j01 = 0.0, j11 = 0.0
            for (t, tree) in trees.enumerated() {
                let leaf = tree.leaf(row)
                leaves[t] = leaf
                a0 += tree.alpha[2 * leaf]; a1 += tree.alpha[2 * leaf + 1]
                j00 += tree.jacobian[3 * leaf]; j01 += tree.jacobian[3 * leaf + 1]; j11 += tree.jacobian[3 * leaf + 2]
            }
            let inverse = k == 2 ? SmallMatrix.pseudoInverse([j00 / count, j01 / count, j01 / count, j11 / count], 2)
                                 : SmallMatrix.pseudoInverse([j00 / count], 1)
            let i00 = inverse[0], i01 = k == 2 ? inverse[1] : 0, i11 = k == 2 ? inverse[3] : 0
            let theta0 = i00 * a0 / count + i01 * a1 / count, theta1 = i01 * a0 / count + i11 * a1 / count
            estimates.append(theta0)
            // Per tree m_t = α_t − J_t θ̂; per bag the mean; between-bag covariance with the within-bag correction.
            var s00 = 0.0, s01 = 0.0, s11 = 0.0, g0 = 0.0, g1 = 0.0, o00 = 0.0, o01 = 0.0, o11 = 0.0
            for b in 0..<bags {
                var mean0 = 0.0, mean1 = 0.0
                for t in (b * bagSize)..<((b + 1) * bagSize) {
                    let tree = trees[t], leaf = leaves[t]
                    let m0 = tree.alpha[2 * leaf] - (tree.jacobian[3 * leaf] * theta0 + tree.jacobian[3 * leaf + 1] * theta1)
                    let m1 = tree.alpha[2 * leaf + 1] - (tree.jacobian[3 * leaf + 1] * theta0 + tree.jacobian[3 * leaf + 2] * theta1)
                    mean0 += m0 / Double(bagSize); mean1 += m1 / Double(bagSize)
                    o00 += m0 * m0 / count; o01 += m0 * m1 / count; o11 += m1 * m1 / count
                }
                g0 += mean0 / Double(bags); g1 += mean1 / Double(bags)
                s00 += mean0 * mean0 / Double(bags); s01 += mean0 * mean1 / Double(bags); s11 += mean1 * mean1 / Double(bags)
            }
            // (J⁺ A J⁺ᵀ)₀₀ for a symmetric A.
            func first(_ a00: Double, _ a01: Double, _ a11: Double) -> Double { i00 * i00 * a00 + 2 * i00 * i01 * a01 + i01 * i01 * a11 }
            let within = Double(bagSize - 1)
            let sigma = first(s00 - g0 * g0, s01 - g0 * g1, s11 - g1 * g1)
            let correction = first((o00 - s00) / within, (o01 - s01) / within, (o11 - s11) / within)
            let naive = sigma - correction
            let se = max(sigma, correction) * (2 / Double(bags)).squareRoot()
            let z = naive / max(se, 1e-10)
            let density = Foundation.exp(-z * z / 2) / (2 * Double.pi).squareRoot(), cumulative = 0.5 * Foundation.erfc(-z / 2.0.squareRoot())
            variances.append(max(naive + se * density / max(cumulative, 1e-300), 1e-32))
        }
        return (estimates, variances)
    }
}

/// k × k matrices (k ≤ 2) stored row-major, for the forests' local moments.
enum SmallMatrix {
    /// The Moore–Penrose inverse of a symmetric positive semi-definite matrix.
    static func pseudoInverse(_ m: [Double], _ k: Int) -> [Double] {
        if k == 1 { return [m[0] > 1e-12 ? 1 / m[0] : 0] }
        let a = m[0], b = m[1], c = m[3]
        let det = a * c - b * b, scale = max(abs(a), abs(c), 1e-300)
        if abs(det) > 1e-10 * scale * scale { return [c / det, -b / det, -b / det, a / det] }
        // Rank one (or zero): 1/λ v vᵀ for the non-zero eigenvalue λ = a + c.
        let trace = a + c
        guard trace > 1e-12 else { return [0, 0, 0, 0] }
        let norm = (a * a + 2 * b * b + c * c).squareRoot()
        let (v0, v1) = a >= c ? (a, b) : (b, c)
        let length = (v0 * v0 + v1 * v1).squareRoot()
        guard length > 0, norm > 0 else { return [0, 0, 0, 0] }
        let x = v0 / length, y = v1 / length
        return [x * x / trace, x * y / trace, x * y / trace, y * y / trace]
    }
}

/// Grows one honest tree: splits chosen on the splitting rows, leaves filled from the estimating rows.
struct GRFTreeBuilder {
    let features: TreeFeatures
    let y: [Double], u: [[Double]], dimension: Int
    let settings: GeneralizedRandomForest.Settings
    let random: Philox, treeIndex: UInt64
    var tree = GeneralizedRandomForest.Tree()
    /// The tree's splitting rows, which EconML's improvement rule weighs a node's share against.
    var treeRows = 1

    init(features: TreeFeatures, y: [Double], u: [[Double]], dimension: Int, settings: GeneralizedRandomForest.Settings,
         random: Philox, tree: UInt64) {
        self.features = features; self.y = y; self.u = u; self.dimension = dimension
        self.settings = settings; self.random = random; treeIndex = tree
    }

    /// Σ u uᵀ (row-major) and Σ y u over rows.
    func sums(_ rows: [Int]) -> (jacobian: [Double], alpha: [Double]) {
        let k = dimension
        var j = [Double](repeating: 0, count: k * k), a = [Double](repeating: 0, count: k)
        for i in rows {
            for p in 0..<k { a[p] += y[i] * u[i][p]; for q in 0..<k { j[p * k + q] += u[i][p] * u[i][q] } }
        }
        return (j, a)
    }

    mutating func build(splitting: [Int], estimating: [Int]) -> GeneralizedRandomForest.Tree {
        treeRows = max(splitting.count, 1)
        var stack: [([Int], [Int], Int, Bool)] = [(splitting, estimating, -1, false)]
        while let (split, estimate, parent, isLeft) = stack.popLast() {
            let node = tree.feature.count
            tree.feature.append(-1); tree.threshold.append(0); tree.left.append(-1); tree.right.append(-1)
            let leaf = sums(estimate)
            let count = Double(max(estimate.count, 1))
            let k = dimension
            tree.alpha += [leaf.alpha[0] / count, k == 2 ? leaf.alpha[1] / count : 0]
            tree.jacobian += [leaf.jacobian[0] / count, k == 2 ? leaf.jacobian[1] / count : 0, k == 2 ? leaf.jacobian[3] / count : 0]
            if parent >= 0 { if isLeft { tree.left[parent] = Int32(node) } else { tree.right[parent] = Int32(node) } }
            guard split.count >= settings.minSamplesSplit, split.count >= 2 * settings.minSamplesLeaf,
                  estimate.count >= settings.minSamplesSplit, estimate.count >= 2 * settings.minSamplesLeaf,
                  let best = bestSplit(split, estimate, node: node), lowersError(best, split) else { continue }
            let base = best.feature * features.rowCount, values = features.distinct[best.feature]
            // By value, as predictions go: estimating rows may hold values the splitting rows do not.
            let ranks = features.rank, threshold = best.threshold
            let goesLeft = { (i: Int) in values[Int(ranks[base + i])] <= threshold }
            tree.feature[node] = Int32(best.feature); tree.threshold[node] = best.threshold
            stack.append((split.filter { !goesLeft($0) }, estimate.filter { !goesLeft($0) }, node, false))
            stack.append((split.filter(goesLeft), estimate.filter(goesLeft), node, true))
        }
        return tree
    }

    struct Split { var feature: Int, lastLeftRank: Int32, threshold: Double, score: Double }

    /// θᵀ J θ for θ = J⁻¹ α, with J = [[a, b], [b, d]] and α = (p0, p1) sums over a node's rows: the part of the
    /// node's squared error its own least-squares solution explains. The inverse is EconML's: a determinant of absolute
    /// value below 1e-6 is replaced by 1e-6, which makes θ = 0 for a node whose rows are all treated or all untreated.
    static func explainedSquares(_ p0: Double, _ p1: Double, _ a: Double, _ b: Double, _ d: Double) -> Double {
        // θ = adj(J) α / det′ with det′ the clipped determinant, so θᵀ J θ = det · αᵀ adj(J) α / det′²: one
        // division per candidate split instead of three.
        let det = a * d - b * b
        let quadratic = d * p0 * p0 - 2 * b * p0 * p1 + a * p1 * p1
        if abs(det) < 1e-6 { return det * quadratic * 1e12 }
        return quadratic / det
    }

    /// EconML's rule after the search: with criterion "mse" a split whose children's squared error exceeds the
    /// parent's (a child missing a treatment arm, whose clipped solution is 0) leaves the node a leaf.
    func lowersError(_ split: Split, _ rows: [Int]) -> Bool {
        guard dimension == 2 else { return true }
        let values = features.distinct[split.feature], base = split.feature * features.rowCount
        var left = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0), total = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        for i in rows {
            let t = u[i][0], squares = y[i] * y[i]
            total.0 += y[i] * t; total.1 += y[i]; total.2 += t * t; total.3 += t; total.4 += 1; total.5 += squares
            if values[Int(features.rank[base + i])] <= split.threshold {
                left.0 += y[i] * t; left.1 += y[i]; left.2 += t * t; left.3 += t; left.4 += 1; left.5 += squares; left.6 += 1
            }
        }
        let n = Double(rows.count), nLeft = Double(left.6), nRight = n - nLeft
        let parent = (total.5 - Self.explainedSquares(total.0, total.1, total.2, total.3, total.4)) / n
        let leftError = (left.5 - Self.explainedSquares(left.0, left.1, left.2, left.3, left.4)) / nLeft
        let rightError = (total.5 - left.5 - Self.explainedSquares(total.0 - left.0, total.1 - left.1, total.2 - left.2,
                                                                    total.3 - left.3, total.4 - left.4)) / nRight
        let improvement = n / Double(treeRows) * (parent - nRight / n * rightError - nLeft / n * leftError)
        return improvement + Double.ulpOfOne >= 0
    }

    /// The best split over every feature (random order per node, first best wins), by EconML's criterion for the
    /// forest's output count. Written for u of length one or two with scalar sums (u₁ = 0 when the length is one),
    /// as it runs for every candidate split.
    func bestSplit(_ rows: [Int], _ estimate: [Int], node: Int) -> Split? {
        let k = dimension, n = rows.count
        // Per row (v0, v1) and u, as scalars: "mse" sums v = y u for each child's own solution; "het" sums the
        // residuals ψ = (y − θ_P) from the parent's mean.
        var psi0 = [Double](repeating: 0, count: n), psi1 = psi0, u0 = psi0, u1 = psi0
        var total0 = 0.0, total1 = 0.0, totalA = 0.0, totalB = 0.0, totalD = 0.0
        let parentMean = k == 1 ? rows.reduce(0.0) { $0 + y[$1] } / Double(n) : 0
        for (position, i) in rows.enumerated() {
            let a = u[i][0], b = k == 2 ? u[i][1] : 0
            let v0 = k == 2 ? y[i] * a : y[i] - parentMean, v1 = k == 2 ? y[i] * b : 0
            psi0[position] = v0; psi1[position] = v1; u0[position] = a; u1[position] = b
            total0 += v0; total1 += v1; totalA += a * a; totalB += a * b; totalD += b * b
        }
        func childScore(_ count: Double, _ p0: Double, _ p1: Double, _ a: Double, _ b: Double, _ d: Double) -> Double {
            k == 2 ? Self.explainedSquares(p0, p1, a, b, d) : p0 * p0 / count
        }
        // EconML starts each scan ⌊(0.5 − tol)·n⌋ rows in and stops it once fewer than (0.5 − tol)·n remain.
        let balance = Double(n) * (0.5 - settings.minBalancedness)
        let minLeft = max(settings.minSamplesLeaf, Int(balance.rounded(.down)))
        let minChild = max(settings.minSamplesLeaf, Int(balance.rounded(.up)))
        let minEstimate = max(settings.minSamplesLeaf, Int((Double(estimate.count) * (0.5 - settings.minBalancedness)).rounded(.up)))
        var order = Array(0..<features.featureCount)
        Philox.shuffle(&order) { random.word(treeIndex, UInt64(node), UInt64($0), 12) }
        var best: Split?
        var keys = [UInt64](repeating: 0, count: n)
        var estimateValues = [Double](repeating: 0, count: estimate.count)
        let widest = features.distinct.map(\.count).max() ?? 0
        var binP0 = [Double](repeating: 0, count: widest), binP1 = binP0, binA = binP0, binB = binP0, binD = binP0
        var binCount = [Int](repeating: 0, count: widest), binEstimate = binCount
        func consider(_ j: Int, _ values: [Double], _ rank: Int, _ next: Int, _ countLeft: Int, _ estimateLeft: Int,
                      _ threshold: Double, _ sums: (Double, Double, Double, Double, Double)) {
            let countRight = n - countLeft
            guard estimateLeft >= minEstimate, estimate.count - estimateLeft >= minEstimate else { return }
            let (p0, p1, a, b, d) = sums
            let score = childScore(Double(countLeft), p0, p1, a, b, d)
                + childScore(Double(countRight), total0 - p0, total1 - p1, totalA - a, totalB - b, totalD - d)
            if best == nil || score > best!.score {
                best = Split(feature: j, lastLeftRank: Int32(rank), threshold: threshold, score: score)
            }
        }
        func midpoint(_ values: [Double], _ rank: Int, _ next: Int) -> Double {
            let threshold = values[rank] / 2 + values[next] / 2
            return threshold == values[next] ? values[rank] : threshold
        }
        for j in order {
            let base = j * features.rowCount, values = features.distinct[j]
            if values.count <= 2 * n + 16 {
                // Few distinct values: per-rank sums, then the ranks in order (no sort).
                for (position, i) in rows.enumerated() {
                    let r = Int(features.rank[base + i])
                    binP0[r] += psi0[position]; binP1[r] += psi1[position]
                    binA[r] += u0[position] * u0[position]; binB[r] += u0[position] * u1[position]; binD[r] += u1[position] * u1[position]
                    binCount[r] += 1
                }
                for i in estimate { binEstimate[Int(features.rank[base + i])] += 1 }
                var p0 = 0.0, p1 = 0.0, a = 0.0, b = 0.0, d = 0.0, countLeft = 0
                var estimateLeft = 0, estimateRank = 0, lastRank = -1
                for r in 0..<values.count where binCount[r] > 0 {
                    if lastRank >= 0, countLeft >= minLeft, n - countLeft >= minChild,
                       values[r] > values[lastRank] + TreeBuilder.featureThreshold {
                        let threshold = midpoint(values, lastRank, r)
                        while estimateRank < values.count && values[estimateRank] <= threshold {
                            estimateLeft += binEstimate[estimateRank]; estimateRank += 1
                        }
                        consider(j, values, lastRank, r, countLeft, estimateLeft, threshold, (p0, p1, a, b, d))
                    }
                    p0 += binP0[r]; p1 += binP1[r]; a += binA[r]; b += binB[r]; d += binD[r]; countLeft += binCount[r]
                    lastRank = r
                }
                for r in 0..<values.count {
                    binP0[r] = 0; binP1[r] = 0; binA[r] = 0; binB[r] = 0; binD[r] = 0; binCount[r] = 0; binEstimate[r] = 0
                }
                continue
            }
            for (position, i) in rows.enumerated() { keys[position] = UInt64(UInt32(features.rank[base + i])) << 32 | UInt64(position) }
            keys.sort()
            for (position, i) in estimate.enumerated() { estimateValues[position] = values[Int(features.rank[base + i])] }
            estimateValues.sort()
            var p0 = 0.0, p1 = 0.0, a = 0.0, b = 0.0, d = 0.0
            var estimateLeft = 0
            for position in 0..<(n - 1) {
                let row = Int(keys[position] & 0xFFFF_FFFF)
                p0 += psi0[row]; p1 += psi1[row]
                a += u0[row] * u0[row]; b += u0[row] * u1[row]; d += u1[row] * u1[row]
                let rank = Int(keys[position] >> 32), next = Int(keys[position + 1] >> 32)
                guard next != rank else { continue }
                let countLeft = position + 1
                guard countLeft >= minLeft, n - countLeft >= minChild else { continue }
                guard values[next] > values[rank] + TreeBuilder.featureThreshold else { continue }
                let threshold = midpoint(values, rank, next)
                while estimateLeft < estimateValues.count && estimateValues[estimateLeft] <= threshold { estimateLeft += 1 }
                consider(j, values, rank, next, countLeft, estimateLeft, threshold, (p0, p1, a, b, d))
            }
        }
        return best
    }
}

import Foundation
import SDSCMRandomness

/// A generalized random forest (Athey, Tibshirani & Wager 2019) with EconML's `grf` semantics, for the local moment
/// E[(y − θ(x)ᵀu) u | x] = 0 with u = (t, 1) (`CausalForest`: effect and intercept) or u = (1) (`RegressionForest`).
///
/// Settings follow EconML's defaults (`Documentation/EstimatorReferences.md` §5): trees grown in bags of
/// `subforestSize` on a half-sample of the rows drawn without replacement, each tree on ⌊`maxSamples`·n⌋ of its
/// bag's rows, honest (half of a tree's rows choose the splits, the other half fill the leaves), leaves of at least
/// `minSamplesLeaf` rows on both halves, children of at least 5% of their parent, every feature considered in a
/// random order; the split criterion is EconML's "mse" one, Σ_children n_c ρ_cᵀ J_c ρ_c with ρ_c the one-step
/// change of the parent's solution on the child. Predictions solve the averaged leaf moments, θ̂(x) = Ĵ(x)⁺ α̂(x),
/// and their variance is EconML's bootstrap of little bags with its small-sample correction.
/// All draws come from Philox keyed by (seed, stream), so a forest is a function of its data and seed.
public struct GeneralizedRandomForest: Sendable {
    /// Forest settings; defaults are EconML's `CausalForest()`.
    public struct Settings: Sendable {
        public var treeCount = 100
        public var subforestSize = 4
        public var maxSamples = 0.45
        public var minSamplesLeaf = 5
        public var minSamplesSplit = 10
        public var minBalancedness = 0.45
        public var seed: UInt64 = 0
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
        var alpha: [[Double]] = [], jacobian: [[Double]] = []
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
        let slots = GRFTreeSlots(count: settings.treeCount)
        DispatchQueue.concurrentPerform(iterations: settings.treeCount) { index in
            let bag = index / settings.subforestSize
            // The bag's half-sample, then the tree's subsample of it, then its honest split.
            let bagRows = Self.sample(n, half, random: random, counter: (UInt64(bag), 0))
            let picks = Self.sample(half, perTree, random: random, counter: (UInt64(bags + index), 1))
            let chosen = picks.map { bagRows[$0] }
            let splitting = Array(chosen.prefix(perTree / 2)), estimating = Array(chosen.dropFirst(perTree / 2))
            var builder = GRFTreeBuilder(features: features, y: y, u: u, dimension: dimension, settings: settings,
                                         random: random, tree: UInt64(index))
            slots.set(index, builder.build(splitting: splitting, estimating: estimating))
        }
        return GeneralizedRandomForest(trees: slots.trees.map { $0! }, settings: settings, dimension: dimension)
    }

    /// `count` distinct indices of 0..<n in random order (a partial Fisher–Yates shuffle).
    static func sample(_ n: Int, _ count: Int, random: Philox, counter: (UInt64, UInt64)) -> [Int] {
        var indices = Array(0..<n)
        for k in 0..<min(count, n - 1) {
            let word = random.word(counter.0, counter.1, UInt64(k), 8)
            let j = k + Int(word.multipliedFullWidth(by: UInt64(n - k)).high)
            indices.swapAt(k, j)
        }
        return Array(indices.prefix(count))
    }

    /// θ̂(x) (the effect, u's first component) per row with its variance by the bootstrap of little bags.
    public func predict(_ rows: [[Double]]) -> (estimate: [Double], variance: [Double]) {
        var estimates: [Double] = [], variances: [Double] = []
        let k = dimension, bags = trees.count / settings.subforestSize
        for row in rows {
            var alphas: [[Double]] = [], jacobians: [[Double]] = []
            var alpha = [Double](repeating: 0, count: k), jacobian = [Double](repeating: 0, count: k * k)
            for tree in trees {
                let leaf = tree.leaf(row)
                alphas.append(tree.alpha[leaf]); jacobians.append(tree.jacobian[leaf])
                for a in 0..<k { alpha[a] += tree.alpha[leaf][a] / Double(trees.count) }
                for a in 0..<(k * k) { jacobian[a] += tree.jacobian[leaf][a] / Double(trees.count) }
            }
            let inverse = SmallMatrix.pseudoInverse(jacobian, k)
            let theta = SmallMatrix.apply(inverse, alpha, k)
            estimates.append(theta[0])
            // Per tree m_t = α_t − J_t θ̂; per bag the mean; between-bag covariance with the within-bag correction.
            var bagMeans: [[Double]] = [], allOuter = [Double](repeating: 0, count: k * k)
            for b in 0..<bags {
                var mean = [Double](repeating: 0, count: k)
                for t in (b * settings.subforestSize)..<((b + 1) * settings.subforestSize) {
                    let jt = SmallMatrix.apply(jacobians[t], theta, k)
                    let m = (0..<k).map { alphas[t][$0] - jt[$0] }
                    for a in 0..<k { mean[a] += m[a] / Double(settings.subforestSize) }
                    for a in 0..<k { for c in 0..<k { allOuter[a * k + c] += m[a] * m[c] / Double(trees.count) } }
                }
                bagMeans.append(mean)
            }
            var s = [Double](repeating: 0, count: k * k), grand = [Double](repeating: 0, count: k)
            for mean in bagMeans {
                for a in 0..<k { grand[a] += mean[a] / Double(bags) }
                for a in 0..<k { for c in 0..<k { s[a * k + c] += mean[a] * mean[c] / Double(bags) } }
            }
            var between = s, within = s
            for a in 0..<k { for c in 0..<k {
                between[a * k + c] = s[a * k + c] - grand[a] * grand[c]
                within[a * k + c] = (allOuter[a * k + c] - s[a * k + c]) / Double(settings.subforestSize - 1)
            } }
            let sigma = SmallMatrix.sandwich(inverse, between, k)[0], correction = SmallMatrix.sandwich(inverse, within, k)[0]
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
    static func apply(_ m: [Double], _ v: [Double], _ k: Int) -> [Double] {
        (0..<k).map { a in (0..<k).reduce(0) { $0 + m[a * k + $1] * v[$1] } }
    }
    /// M A Mᵀ.
    static func sandwich(_ m: [Double], _ a: [Double], _ k: Int) -> [Double] {
        var out = [Double](repeating: 0, count: k * k)
        for i in 0..<k { for j in 0..<k {
            var total = 0.0
            for p in 0..<k { for q in 0..<k { total += m[i * k + p] * a[p * k + q] * m[j * k + q] } }
            out[i * k + j] = total
        } }
        return out
    }
}

/// Grows one honest tree: splits chosen on the splitting rows, leaves filled from the estimating rows.
struct GRFTreeBuilder {
    let features: TreeFeatures
    let y: [Double], u: [[Double]], dimension: Int
    let settings: GeneralizedRandomForest.Settings
    let random: Philox, treeIndex: UInt64
    var tree = GeneralizedRandomForest.Tree()

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
        var stack: [([Int], [Int], Int, Bool)] = [(splitting, estimating, -1, false)]
        while let (split, estimate, parent, isLeft) = stack.popLast() {
            let node = tree.feature.count
            tree.feature.append(-1); tree.threshold.append(0); tree.left.append(-1); tree.right.append(-1)
            let leaf = sums(estimate)
            let count = Double(max(estimate.count, 1))
            tree.alpha.append(leaf.alpha.map { $0 / count }); tree.jacobian.append(leaf.jacobian.map { $0 / count })
            if parent >= 0 { if isLeft { tree.left[parent] = Int32(node) } else { tree.right[parent] = Int32(node) } }
            guard split.count >= settings.minSamplesSplit, split.count >= 2 * settings.minSamplesLeaf,
                  estimate.count >= 2 * settings.minSamplesLeaf,
                  let best = bestSplit(split, estimate, node: node) else { continue }
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

    /// EconML's "mse" criterion over every feature (random order per node, first best wins).
    func bestSplit(_ rows: [Int], _ estimate: [Int], node: Int) -> Split? {
        let k = dimension, n = rows.count
        let parent = sums(rows)
        let jParent = parent.jacobian.map { $0 / Double(n) }
        let inverse = SmallMatrix.pseudoInverse(jParent, k)
        let theta = SmallMatrix.apply(inverse, parent.alpha.map { $0 / Double(n) }, k)
        // ψ_i = (y_i − θᵀu_i) u_i
        var psi = [[Double]](repeating: [], count: features.rowCount)
        for i in rows {
            let residual = y[i] - (0..<k).reduce(0) { $0 + theta[$1] * u[i][$1] }
            psi[i] = (0..<k).map { residual * u[i][$0] }
        }
        let minChild = max(settings.minSamplesLeaf, Int((Double(n) * (0.5 - settings.minBalancedness)).rounded(.up)))
        let minEstimate = max(settings.minSamplesLeaf, Int((Double(estimate.count) * (0.5 - settings.minBalancedness)).rounded(.up)))
        var order = Array(0..<features.featureCount)
        for position in stride(from: order.count - 1, to: 0, by: -1) {
            let word = random.word(treeIndex, UInt64(node), UInt64(position), 12)
            order.swapAt(position, Int(word.multipliedFullWidth(by: UInt64(position + 1)).high))
        }
        var best: Split?
        let totalPsi = rows.reduce([Double](repeating: 0, count: k)) { sum, i in (0..<k).map { sum[$0] + psi[i][$0] } }
        for j in order {
            let base = j * features.rowCount, values = features.distinct[j]
            let sorted = rows.sorted { features.rank[base + $0] < features.rank[base + $1] }
            let estimateValues = estimate.map { values[Int(features.rank[base + $0])] }.sorted()
            var psiLeft = [Double](repeating: 0, count: k), jLeft = [Double](repeating: 0, count: k * k)
            var estimateLeft = 0
            for position in 0..<(n - 1) {
                let i = sorted[position]
                for p in 0..<k { psiLeft[p] += psi[i][p]; for q in 0..<k { jLeft[p * k + q] += u[i][p] * u[i][q] } }
                let rank = features.rank[base + i], next = features.rank[base + sorted[position + 1]]
                guard next != rank else { continue }
                let countLeft = position + 1, countRight = n - countLeft
                guard countLeft >= minChild, countRight >= minChild else { continue }
                guard values[Int(next)] > values[Int(rank)] + TreeBuilder.featureThreshold else { continue }
                var threshold = values[Int(rank)] / 2 + values[Int(next)] / 2
                if threshold == values[Int(next)] { threshold = values[Int(rank)] }
                while estimateLeft < estimateValues.count && estimateValues[estimateLeft] <= threshold { estimateLeft += 1 }
                guard estimateLeft >= minEstimate, estimate.count - estimateLeft >= minEstimate else { continue }
                var score = 0.0
                for (psiSum, jSum, count) in [(psiLeft, jLeft, countLeft),
                                              ((0..<k).map { totalPsi[$0] - psiLeft[$0] },
                                               (0..<(k * k)).map { parent.jacobian[$0] - jLeft[$0] }, countRight)] {
                    let rho = SmallMatrix.apply(inverse, psiSum.map { $0 / Double(count) }, k)
                    let jChild = jSum.map { $0 / Double(count) }
                    let quadratic = (0..<k).reduce(0.0) { total, a in total + rho[a] * (0..<k).reduce(0.0) { $0 + jChild[a * k + $1] * rho[$1] } }
                    score += Double(count) * quadratic
                }
                if best == nil || score > best!.score {
                    best = Split(feature: j, lastLeftRank: rank, threshold: threshold, score: score)
                }
            }
        }
        return best
    }
}

/// Trees filled in by concurrent workers.
final class GRFTreeSlots: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var trees: [GeneralizedRandomForest.Tree?]
    init(count: Int) { trees = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ tree: GeneralizedRandomForest.Tree) { lock.lock(); trees[index] = tree; lock.unlock() }
}

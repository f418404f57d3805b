import Foundation
import SDSCMRandomness

/// Bayesian additive regression trees (Chipman, George & McCulloch 2010) as `bartCause::bartc` fits its response
/// model through dbarts: y ≈ Σ_{t=1}^{m} g_t(x) + ε, ε ~ N(0, σ²), with the standard priors —
/// - trees: a node at depth d splits with probability α(1 + d)^−β (α = 0.95, β = 2), on a variable chosen
///   uniformly among those with a cut point left and a cut point chosen uniformly among those left;
/// - leaves: μ ~ N(0, τ²) on the outcome rescaled to [−0.5, 0.5], τ = 0.5 / (k √m), k = 2;
/// - noise: σ² ~ ν λ / χ²_ν with ν = 3 and λ such that P(σ < σ̂) = 0.9, σ̂ the residual sd of a linear fit;
/// sampled by Bayesian backfitting with grow, prune and change proposals and conjugate leaf and σ² draws.
///
/// Cut points per variable: the midpoints between its distinct values when it has at most `cutCount` + 1 of them
/// (every integer-coded covariate), else `cutCount` evenly spaced points over its range (dbarts' default grid).
/// Chains are independent and run in parallel; every random number comes from Philox keyed by (seed, chain) and
/// the iteration, tree and draw, so a fit is a function of its data and seed whatever the thread count.
public struct BART: Sendable {
    /// Sampler settings, with bartCause's defaults for the trees, priors, burn-in and draws.
    public struct Settings: Sendable {
        /// Trees in the sum.
        public var treeCount = 200
        /// Discarded iterations per chain.
        public var burnIn = 500
        /// Kept posterior draws per chain.
        public var draws = 500
        /// Independent chains (bartCause's default is 10; see `Estimator.bart`).
        public var chains = 10
        /// Tree prior: split probability α(1 + depth)^−β.
        public var alpha = 0.95, beta = 2.0
        /// Leaf prior scale k (τ = 0.5 / (k √m) on the rescaled outcome).
        public var k = 2.0
        /// Noise prior degrees of freedom ν and quantile q.
        public var nu = 3.0, quantile = 0.9
        /// Cut points per continuous variable.
        public var cutCount = 100
        /// Seed of all draws.
        public var seed: UInt64 = 0
        /// bartCause's defaults with seed 0.
        public init() {}
    }

    /// Posterior summaries at the prediction rows: per-row mean and standard deviation of f(x) over draws, and
    /// the draws themselves when asked for.
    public struct Posterior: Sendable {
        /// The kept draws of σ (original scale), chains concatenated.
        public var sigma: [Double]
        /// Draws of f at the prediction rows, draw-major: `fits[d][i]`.
        public var fits: [[Double]]
        /// Draws of f at the training rows, draw-major.
        public var trainingFits: [[Double]]
    }

    /// Fits the model on `rows` and returns the posterior draws of f at `predict` (any rows with the same columns).
    public static func fit(_ rows: [[Double]], outcome: [Double], predict: [[Double]], settings: Settings = Settings()) throws -> Posterior {
        guard rows.count >= 2, outcome.count == rows.count else {
            throw EstimationError.invalidData("\(rows.count) covariate rows and \(outcome.count) outcomes (BART needs two or more)")
        }
        guard settings.treeCount > 0, settings.draws > 0, settings.chains > 0, settings.burnIn >= 0 else {
            throw EstimationError.invalidData("BART needs at least one tree, draw and chain")
        }
        if let bad = outcome.firstIndex(where: { !$0.isFinite }) { throw EstimationError.invalidData("outcome of row \(bad) is \(outcome[bad])") }
        let problem = try BARTProblem(rows: rows, outcome: outcome, predict: predict, settings: settings)
        let chains = Parallel.map(settings.chains) { chain -> ChainDraws in
            var sampler = BARTChain(problem: problem, chain: UInt64(chain))
            return sampler.run()
        }
        var sigma: [Double] = [], fits: [[Double]] = [], training: [[Double]] = []
        for chain in chains { sigma += chain.sigma; fits += chain.fits; training += chain.training }
        return Posterior(sigma: sigma, fits: fits, trainingFits: training)
    }
}

/// The data of one fit, shared read-only by its chains: variables binned against their cut points.
struct BARTProblem: Sendable {
    let settings: BART.Settings
    let n: Int, testCount: Int, variables: Int
    /// Outcome rescaled to [−0.5, 0.5], and the map back.
    let y: [Double], offset: Double, scale: Double
    /// Cut points per variable, and every row's bin: bin = number of cut points below the value, so the row goes
    /// left at cut c exactly when bin ≤ c. Variable-major.
    let cutCounts: [Int]
    let bins: [Int32], testBins: [Int32]
    let tau: Double, lambda: Double, sigmaHat: Double

    init(rows: [[Double]], outcome: [Double], predict: [[Double]], settings: BART.Settings) throws {
        self.settings = settings
        n = rows.count
        testCount = predict.count
        let width = rows[0].count
        variables = width
        guard width > 0, rows.allSatisfy({ $0.count == width }), predict.allSatisfy({ $0.count == width }) else {
            throw EstimationError.invalidData("BART rows must all have the same, non-zero number of covariates")
        }
        let low = outcome.min()!, high = outcome.max()!
        scale = high > low ? high - low : 1
        offset = low
        y = outcome.map { ($0 - low) / (high > low ? high - low : 1) - 0.5 }
        var cutCounts: [Int] = [], bins = [Int32](repeating: 0, count: n * variables), testBins = [Int32](repeating: 0, count: predict.count * variables)
        for v in 0..<variables {
            let values = Array(Set(rows.map { $0[v] })).sorted()
            guard values.allSatisfy(\.isFinite) else { throw EstimationError.invalidData("covariate \(v) has a non-finite value") }
            var cuts: [Double] = []
            if values.count <= settings.cutCount + 1 {
                cuts = zip(values, values.dropFirst()).map { $0 / 2 + $1 / 2 }
            } else {
                let step = (values.last! - values[0]) / Double(settings.cutCount + 1)
                cuts = (1...settings.cutCount).map { values[0] + Double($0) * step }
            }
            cutCounts.append(cuts.count)
            func bin(_ x: Double) -> Int32 {
                var lo = 0, hi = cuts.count  // first cut ≥ x
                while lo < hi { let mid = (lo + hi) / 2; if cuts[mid] < x { lo = mid + 1 } else { hi = mid } }
                return Int32(lo)
            }
            for i in 0..<n { bins[v * n + i] = bin(rows[i][v]) }
            for i in predict.indices { testBins[v * predict.count + i] = bin(predict[i][v]) }
        }
        self.cutCounts = cutCounts
        self.bins = bins
        self.testBins = testBins
        tau = 0.5 / (settings.k * Double(settings.treeCount).squareRoot())
        // σ̂: residual sd of the least-squares fit on the rescaled outcome (sd of y when there are too few rows).
        var estimate: Double
        if n > variables + 1, let fit = try? LeastSquares.fit(rows, y) {
            let residual = zip(fit.predict(rows), y).reduce(0) { $0 + ($1.1 - $1.0) * ($1.1 - $1.0) }
            estimate = (residual / Double(n - fit.rank - 1)).squareRoot()
        } else {
            let mean = y.reduce(0, +) / Double(n)
            estimate = (y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot()
        }
        if !(estimate > 1e-6) { estimate = 1e-6 }
        sigmaHat = estimate
        lambda = estimate * estimate * ChiSquare.quantile(1 - settings.quantile, degreesOfFreedom: settings.nu) / settings.nu
    }
}

/// One Markov chain.
struct BARTChain {
    let p: BARTProblem
    let random: Philox
    /// Draw counters: (iteration, tree, purpose) and an index within.
    var iteration: UInt64 = 0

    /// Nodes of every tree, tree-major slots of fixed capacity grown on demand.
    struct Tree {
        var variable: [Int32] = [-1], cut: [Int32] = [0], left: [Int32] = [-1], right: [Int32] = [-1]
        var parent: [Int32] = [-1], depth: [Int32] = [0], mu: [Double] = [0], live: [Bool] = [true]
        var free: [Int32] = []
        mutating func allocate() -> Int32 {
            if let slot = free.popLast() {
                live[Int(slot)] = true; variable[Int(slot)] = -1; left[Int(slot)] = -1; right[Int(slot)] = -1
                return slot
            }
            variable.append(-1); cut.append(0); left.append(-1); right.append(-1); parent.append(-1); depth.append(0)
            mu.append(0); live.append(true)
            return Int32(variable.count - 1)
        }
        func isLeaf(_ node: Int) -> Bool { variable[node] < 0 }
        func leaves() -> [Int] { (0..<variable.count).filter { live[$0] && variable[$0] < 0 } }
        /// Internal nodes whose children are both leaves.
        func nogs() -> [Int] {
            (0..<variable.count).filter { live[$0] && variable[$0] >= 0 && variable[Int(left[$0])] < 0 && variable[Int(right[$0])] < 0 }
        }
    }
    var trees: [Tree]
    /// Leaf of every row in every tree (tree-major), for training and prediction rows.
    var leafOf: [Int32], testLeafOf: [Int32]
    /// Σ_t g_t at every training and prediction row.
    var fit: [Double], testFit: [Double]
    var sigma2: Double
    /// Per-node accumulators reused by every leaf draw.
    var scratchCount: [Double] = [], scratchSum: [Double] = []

    init(problem: BARTProblem, chain: UInt64) {
        p = problem
        random = Philox(seed: problem.settings.seed, stream: 0xBA27_0000 + chain)
        let m = problem.settings.treeCount
        let start = problem.y.reduce(0, +) / Double(problem.n) / Double(m)
        var tree = Tree()
        tree.mu[0] = start
        trees = Array(repeating: tree, count: m)
        leafOf = [Int32](repeating: 0, count: m * problem.n)
        testLeafOf = [Int32](repeating: 0, count: m * problem.testCount)
        fit = [Double](repeating: start * Double(m), count: problem.n)
        testFit = [Double](repeating: start * Double(m), count: problem.testCount)
        sigma2 = problem.sigmaHat * problem.sigmaHat
    }

    // MARK: random numbers, keyed by (iteration, tree, purpose, index)

    func uniform(_ tree: Int, _ purpose: UInt64, _ index: UInt64 = 0) -> Double {
        Philox.openUnitInterval(random.word(iteration, UInt64(tree), purpose, index))
    }
    func normal(_ tree: Int, _ purpose: UInt64, _ index: UInt64) -> Double {
        let u1 = uniform(tree, purpose, 2 * index), u2 = uniform(tree, purpose, 2 * index + 1)
        return Philox.normal(u1, u2)
    }
    func choose(_ count: Int, _ tree: Int, _ purpose: UInt64) -> Int {
        Philox.below(count, random.word(iteration, UInt64(tree), purpose, 0))
    }

    // MARK: the sampler

    mutating func run() -> ChainDraws {
        var sigma: [Double] = [], fits: [[Double]] = [], training: [[Double]] = []
        let total = p.settings.burnIn + p.settings.draws
        for step in 0..<total {
            iteration = UInt64(step)
            for t in 0..<trees.count { update(tree: t) }
            drawSigma()
            if step >= p.settings.burnIn {
                sigma.append(sigma2.squareRoot() * p.scale)
                fits.append(testFit.map { ($0 + 0.5) * p.scale + p.offset })
                training.append(fit.map { ($0 + 0.5) * p.scale + p.offset })
            }
        }
        return (sigma, fits, training)
    }

    /// Log marginal likelihood of a leaf's residuals (μ integrated out), up to terms equal across proposals.
    func leafLikelihood(_ count: Double, _ sum: Double) -> Double {
        let t2 = p.tau * p.tau
        return -0.5 * Foundation.log(1 + count * t2 / sigma2) + t2 * sum * sum / (2 * sigma2 * (sigma2 + count * t2))
    }

    func splitProbability(_ depth: Int32) -> Double { p.settings.alpha * Foundation.pow(1 + Double(depth), -p.settings.beta) }

    /// The cut-point range [low, high] a node may still split on for `variable`, given its ancestors' rules.
    func range(_ tree: Tree, _ node: Int, _ variable: Int) -> (Int32, Int32) {
        var low: Int32 = 0, high = Int32(p.cutCounts[variable] - 1)
        var child = node, parent = Int(tree.parent[node])
        while parent >= 0 {
            if Int(tree.variable[parent]) == variable {
                if Int(tree.left[parent]) == child { high = min(high, tree.cut[parent] - 1) } else { low = max(low, tree.cut[parent] + 1) }
            }
            child = parent; parent = Int(tree.parent[parent])
        }
        return (low, high)
    }

    func availableVariables(_ tree: Tree, _ node: Int) -> [Int] {
        (0..<p.variables).filter { let r = range(tree, node, $0); return r.0 <= r.1 }
    }

    /// Residual sums over the rows of leaves `a` and `b` of tree t (`a == b` for one leaf), each row's residual
    /// y − fit + μ(its leaf): per leaf, over both, and over both split by `variable` ≤ `cut` (cut −1: no split).
    struct Scan {
        var countA = 0.0, sumA = 0.0, countB = 0.0, sumB = 0.0, count = 0.0, sum = 0.0
        var leftCount = 0.0, leftSum = 0.0
    }

    /// `Scan` in one pass without branches: the rows of a node are scattered over the training rows, so a branch
    /// per row mispredicts about as often as it is taken (this pass was most of a tree update). The eight sums are
    /// the lanes of one register (countA, sumA, countB, sumB, count, sum, leftCount, leftSum); each row adds its
    /// residual (or 1) to the lanes it belongs to and +0 to the others, which leaves each sum exactly what adding
    /// its own rows in order gives (a sum that starts at +0 never becomes −0).
    func scan(_ t: Int, _ a: Int32, _ b: Int32, variable: Int, cut: Int32) -> Scan {
        var total = SIMD8<Double>()
        let base = t * p.n, rows = p.n
        // Lanes 0–1 belong to leaf a, 2–3 to leaf b, 4–7 to either; 6–7 only for rows that go left.
        let laneA = SIMD8<Int64>(Int64(a), Int64(a), -1, -1, Int64(a), Int64(a), Int64(a), Int64(a))
        let laneB = SIMD8<Int64>(-1, -1, Int64(b), Int64(b), Int64(b), Int64(b), Int64(b), Int64(b))
        let thresholds = SIMD8<Int64>(.max, .max, .max, .max, .max, .max, Int64(cut), Int64(cut))
        let counts: SIMDMask<SIMD8<Int64>> = [true, false, true, false, true, false, true, false]
        let zero = SIMD8<Double>(), one = SIMD8<Double>(repeating: 1)
        trees[t].mu.withUnsafeBufferPointer { mu in
            leafOf.withUnsafeBufferPointer { leaf in
                p.y.withUnsafeBufferPointer { y in
                    fit.withUnsafeBufferPointer { fit in
                        p.bins.withUnsafeBufferPointer { bins in
                            let column = bins.baseAddress! + variable * rows
                            for i in 0..<rows {
                                let l = leaf[base + i]
                                let node = SIMD8<Int64>(repeating: Int64(l))
                                let resid = y[i] - fit[i] + mu[Int(l)]
                                let values = SIMD8<Double>(repeating: resid).replacing(with: one, where: counts)
                                let member = ((node .== laneA) .| (node .== laneB))
                                    .& (SIMD8<Int64>(repeating: Int64(column[i])) .<= thresholds)
                                total += zero.replacing(with: values, where: member)
                            }
                        }
                    }
                }
            }
        }
        return Scan(countA: total[0], sumA: total[1], countB: total[2], sumB: total[3], count: total[4], sum: total[5],
                    leftCount: total[6], leftSum: total[7])
    }

    /// Moves `from`'s rows to `left`/`right` by the node's rule (training and prediction rows), keeping each row's
    /// sum of trees equal to the values of the leaves it is in.
    mutating func reassign(_ t: Int, from node: Int32, variable: Int, cut: Int32, left: Int32, right: Int32) {
        let mu = trees[t].mu
        let toLeft = mu[Int(left)] - mu[Int(node)], toRight = mu[Int(right)] - mu[Int(node)]
        // The same move for the training rows and the prediction rows.
        func move(_ bins: [Int32], _ leafOf: inout [Int32], _ fit: inout [Double], count: Int, base: Int) {
            bins.withUnsafeBufferPointer { bins in
                leafOf.withUnsafeMutableBufferPointer { leaf in
                    fit.withUnsafeMutableBufferPointer { fit in
                        // Without branches, as in `scan`.
                        for i in 0..<count {
                            let inNode = leaf[base + i] == node, goesLeft = bins[variable * count + i] <= cut
                            let moved = fit[i] + (goesLeft ? toLeft : toRight)
                            leaf[base + i] = inNode ? (goesLeft ? left : right) : leaf[base + i]
                            fit[i] = inNode ? moved : fit[i]
                        }
                    }
                }
            }
        }
        move(p.bins, &leafOf, &fit, count: p.n, base: t * p.n)
        move(p.testBins, &testLeafOf, &testFit, count: p.testCount, base: t * p.testCount)
    }

    /// Moves the rows of leaves `a` and `b` into `to`, keeping the sums of trees consistent.
    mutating func relabel(_ t: Int, from a: Int32, _ b: Int32, to: Int32) {
        let mu = trees[t].mu
        let fromA = mu[Int(to)] - mu[Int(a)], fromB = mu[Int(to)] - mu[Int(b)]
        // The same merge for the training rows and the prediction rows.
        func merge(_ leafOf: inout [Int32], _ fit: inout [Double], count: Int, base: Int) {
            leafOf.withUnsafeMutableBufferPointer { leaf in
                fit.withUnsafeMutableBufferPointer { fit in
                    // Without branches, as in `scan`.
                    for i in 0..<count {
                        let l = leaf[base + i], inA = l == a, inEither = inA || l == b
                        let moved = fit[i] + (inA ? fromA : fromB)
                        fit[i] = inEither ? moved : fit[i]
                        leaf[base + i] = inEither ? to : l
                    }
                }
            }
        }
        merge(&leafOf, &fit, count: p.n, base: t * p.n)
        merge(&testLeafOf, &testFit, count: p.testCount, base: t * p.testCount)
    }

    static let growProbability = 0.25, pruneProbability = 0.25

    mutating func update(tree t: Int) {
        let tree = trees[t]
        let rootOnly = tree.isLeaf(0)
        let move = uniform(t, 0)
        if rootOnly || move < Self.growProbability {
            grow(t)
        } else if move < Self.growProbability + Self.pruneProbability {
            prune(t)
        } else {
            change(t)
        }
        drawLeaves(t)
    }

    func growable(_ tree: Tree) -> [Int] { tree.leaves().filter { !availableVariables(tree, $0).isEmpty } }

    mutating func grow(_ t: Int) {
        var tree = trees[t]
        let candidates = growable(tree)
        guard !candidates.isEmpty else { return }
        let node = candidates[choose(candidates.count, t, 1)]
        let variables = availableVariables(tree, node)
        let variable = variables[choose(variables.count, t, 2)]
        let (low, high) = range(tree, node, variable)
        let cut = low + Int32(choose(Int(high - low + 1), t, 3))
        let stats = scan(t, Int32(node), Int32(node), variable: variable, cut: cut)
        let nr = stats.count - stats.leftCount, sr = stats.sum - stats.leftSum
        guard stats.leftCount > 0, nr > 0 else { return }
        let depth = tree.depth[node]
        let ps = splitProbability(depth), pc = splitProbability(depth + 1)
        // Nog nodes after the grow: the new node, plus those before except its parent if that was one.
        var nogsAfter = tree.nogs().count + 1
        let parent = Int(tree.parent[node])
        if parent >= 0, tree.nogs().contains(parent) { nogsAfter -= 1 }
        let forward = (tree.isLeaf(0) ? 1.0 : Self.growProbability) / Double(candidates.count)
        let backward = Self.pruneProbability / Double(nogsAfter)
        let logRatio = Foundation.log(backward / forward)
            + Foundation.log(ps) + 2 * Foundation.log(1 - pc) - Foundation.log(1 - ps)
            + leafLikelihood(stats.leftCount, stats.leftSum) + leafLikelihood(nr, sr) - leafLikelihood(stats.count, stats.sum)
        guard Foundation.log(uniform(t, 4)) < logRatio else { return }
        let l = tree.allocate(), r = tree.allocate()
        for child in [l, r] { tree.parent[Int(child)] = Int32(node); tree.depth[Int(child)] = depth + 1; tree.mu[Int(child)] = tree.mu[node] }
        tree.variable[node] = Int32(variable); tree.cut[node] = cut; tree.left[node] = l; tree.right[node] = r
        trees[t] = tree
        reassign(t, from: Int32(node), variable: variable, cut: cut, left: l, right: r)
    }

    mutating func prune(_ t: Int) {
        var tree = trees[t]
        let nogs = tree.nogs()
        guard !nogs.isEmpty else { return }
        let node = nogs[choose(nogs.count, t, 1)]
        let l = tree.left[node], r = tree.right[node]
        let children = scan(t, l, r, variable: 0, cut: -1)
        let left = (n: children.countA, s: children.sumA), right = (n: children.countB, s: children.sumB)
        let depth = tree.depth[node]
        let ps = splitProbability(depth), pc = splitProbability(depth + 1)
        // After the prune: the node is a leaf that can split again (its rule was available); growable leaves
        // lose the two children (when they were growable) and gain the node.
        var after = tree
        after.variable[node] = -1; after.live[Int(l)] = false; after.live[Int(r)] = false
        let growableAfter = growable(after).count
        let rootOnlyAfter = node == 0
        let forward = Self.pruneProbability / Double(nogs.count)
        let backward = (rootOnlyAfter ? 1.0 : Self.growProbability) / Double(growableAfter)
        let logRatio = Foundation.log(backward / forward)
            - (Foundation.log(ps) + 2 * Foundation.log(1 - pc) - Foundation.log(1 - ps))
            + leafLikelihood(left.n + right.n, left.s + right.s) - leafLikelihood(left.n, left.s) - leafLikelihood(right.n, right.s)
        guard Foundation.log(uniform(t, 4)) < logRatio else { return }
        tree.variable[node] = -1; tree.left[node] = -1; tree.right[node] = -1
        tree.live[Int(l)] = false; tree.live[Int(r)] = false
        tree.mu[node] = 0  // redrawn with the other leaves right after

        tree.free.append(contentsOf: [r, l])
        trees[t] = tree
        relabel(t, from: l, r, to: Int32(node))
    }

    mutating func change(_ t: Int) {
        var tree = trees[t]
        let nogs = tree.nogs()
        guard !nogs.isEmpty else { return }
        let node = nogs[choose(nogs.count, t, 1)]
        let variables = availableVariables(tree, node)
        let variable = variables[choose(variables.count, t, 2)]
        let (low, high) = range(tree, node, variable)
        let cut = low + Int32(choose(Int(high - low + 1), t, 3))
        let l = tree.left[node], r = tree.right[node]
        // One pass over the node's rows: the current children's sums, and the sums under the proposed rule.
        let stats = scan(t, l, r, variable: variable, cut: cut)
        let n = stats.count, s = stats.sum, nl = stats.leftCount, sl = stats.leftSum
        let oldLeftCount = stats.countA, oldLeftSum = stats.sumA, oldRightCount = stats.countB, oldRightSum = stats.sumB
        guard nl > 0, n - nl > 0 else { return }
        let logRatio = leafLikelihood(nl, sl) + leafLikelihood(n - nl, s - sl)
            - leafLikelihood(oldLeftCount, oldLeftSum) - leafLikelihood(oldRightCount, oldRightSum)
        guard Foundation.log(uniform(t, 4)) < logRatio else { return }
        tree.variable[node] = Int32(variable); tree.cut[node] = cut
        // The children keep their values; rows pass through the node (valued 0) on their way to their new leaf.
        tree.mu[node] = 0
        trees[t] = tree
        relabel(t, from: l, r, to: Int32(node))
        reassign(t, from: Int32(node), variable: variable, cut: cut, left: l, right: r)
    }

    /// Per-node row counts and residual sums (y − fit + μ of the row's node) of a tree with `nodes` slots, each
    /// sum over its rows in order. Trees of at most 16 slots keep the sums in two registers: every row adds its
    /// residual to its own node's lane and +0 to the others, which changes no sum (one that starts at +0 never
    /// becomes −0). Adding to memory, as larger trees do, chains each row's store to the next row's load of the
    /// same node, which made that loop the largest part of a tree update.
    static func leafSums(
        _ leaf: UnsafePointer<Int32>, _ y: UnsafePointer<Double>, _ fit: UnsafePointer<Double>,
        _ mu: UnsafePointer<Double>, rows: Int, nodes: Int,
        count: UnsafeMutablePointer<Double>, sum: UnsafeMutablePointer<Double>
    ) {
        guard nodes <= 16 else {
            for node in 0..<nodes { count[node] = 0; sum[node] = 0 }
            for i in 0..<rows {
                let l = Int(leaf[i])
                count[l] += 1
                sum[l] += y[i] - fit[i] + mu[l]
            }
            return
        }
        let low = SIMD8<Int64>(0, 1, 2, 3, 4, 5, 6, 7), high = low &+ 8
        var sumLow = SIMD8<Double>(), sumHigh = SIMD8<Double>(), countLow = SIMD8<Double>(), countHigh = SIMD8<Double>()
        let zero = SIMD8<Double>(), one = SIMD8<Double>(repeating: 1)
        for i in 0..<rows {
            let l = Int64(leaf[i])
            let r = SIMD8<Double>(repeating: y[i] - fit[i] + mu[Int(l)])
            let node = SIMD8<Int64>(repeating: l)
            sumLow += zero.replacing(with: r, where: low .== node)
            sumHigh += zero.replacing(with: r, where: high .== node)
            countLow += zero.replacing(with: one, where: low .== node)
            countHigh += zero.replacing(with: one, where: high .== node)
        }
        for j in 0..<8 {
            sum[j] = sumLow[j]; sum[8 + j] = sumHigh[j]
            count[j] = countLow[j]; count[8 + j] = countHigh[j]
        }
    }

    /// Draws every leaf's μ from its conjugate posterior and updates the fits.
    mutating func drawLeaves(_ t: Int) {
        let size = trees[t].variable.count
        if scratchCount.count < max(16, size) {
            scratchCount = [Double](repeating: 0, count: max(16, size * 2)); scratchSum = scratchCount
        }
        let base = t * p.n, testBase = t * p.testCount, n = p.n, testCount = p.testCount
        let old = trees[t].mu
        // The loops below capture only locals: closures that capture `self` made Swift copy the whole chain (every
        // array retained and released) once per tree update. The buffers are borrowed out of self.
        var count: [Double] = [], sum: [Double] = [], fit: [Double] = [], testFit: [Double] = []
        swap(&count, &scratchCount); swap(&sum, &scratchSum); swap(&fit, &self.fit); swap(&testFit, &self.testFit)
        defer {
            swap(&count, &scratchCount); swap(&sum, &scratchSum); swap(&fit, &self.fit); swap(&testFit, &self.testFit)
        }
        let leafOf = self.leafOf, testLeafOf = self.testLeafOf, y = p.y
        count.withUnsafeMutableBufferPointer { count in
            sum.withUnsafeMutableBufferPointer { sum in
                leafOf.withUnsafeBufferPointer { leaf in
                    y.withUnsafeBufferPointer { y in
                        fit.withUnsafeBufferPointer { fit in
                            old.withUnsafeBufferPointer { old in
                                Self.leafSums(leaf.baseAddress! + base, y.baseAddress!, fit.baseAddress!, old.baseAddress!,
                                              rows: n, nodes: size, count: count.baseAddress!, sum: sum.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        var mu = old
        let tree = trees[t]
        for node in 0..<size where tree.live[node] && tree.variable[node] < 0 {
            let precision = count[node] / sigma2 + 1 / (p.tau * p.tau)
            mu[node] = sum[node] / sigma2 / precision + normal(t, 5, UInt64(node)) / precision.squareRoot()
        }
        trees[t].mu = mu
        // The change of each leaf's value, applied to every row's sum of trees.
        var delta = mu
        for node in 0..<size { delta[node] = mu[node] - old[node] }
        delta.withUnsafeBufferPointer { delta in
            fit.withUnsafeMutableBufferPointer { fit in
                leafOf.withUnsafeBufferPointer { leaf in
                    for i in 0..<n { fit[i] += delta[Int(leaf[base + i])] }
                }
            }
            testFit.withUnsafeMutableBufferPointer { fit in
                testLeafOf.withUnsafeBufferPointer { leaf in
                    for i in 0..<testCount { fit[i] += delta[Int(leaf[testBase + i])] }
                }
            }
        }
    }

    /// σ² ~ (ν λ + Σ residual²) / χ²_{ν+n}.
    mutating func drawSigma() {
        var squares = 0.0
        for i in 0..<p.n { let r = p.y[i] - fit[i]; squares += r * r }
        let shape = (p.settings.nu + Double(p.n)) / 2
        let sigmaTree = p.settings.treeCount
        let gamma = Gamma.draw(shape: shape) { self.uniform(sigmaTree, 6, $0) }
        sigma2 = (p.settings.nu * p.lambda + squares) / 2 / gamma
    }
}

/// One chain's kept draws: σ, f at the prediction rows, f at the training rows.
typealias ChainDraws = (sigma: [Double], fits: [[Double]], training: [[Double]])

/// Gamma(shape, 1) draws by Marsaglia & Tsang (2000), from a stream of uniforms indexed 0, 1, 2, …
enum Gamma {
    static func draw(shape: Double, uniform: (UInt64) -> Double) -> Double {
        precondition(shape >= 1)
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        var index: UInt64 = 0
        while true {
            let u1 = uniform(index), u2 = uniform(index + 1), u3 = uniform(index + 2)
            index += 3
            let z = Philox.normal(u1, u2)
            let v = 1 + c * z
            guard v > 0 else { continue }
            let v3 = v * v * v
            if Foundation.log(u3) < 0.5 * z * z + d - d * v3 + d * Foundation.log(v3) { return d * v3 }
        }
    }
}

/// The χ² functions BART's prior calibration needs, public for tests against tabulated values.
public enum BARTMath {
    /// P(χ²_k ≤ x).
    public static func chiSquareCDF(_ x: Double, degreesOfFreedom k: Double) -> Double { ChiSquare.cdf(x, degreesOfFreedom: k) }
    /// The p-quantile of χ²_k.
    public static func chiSquareQuantile(_ p: Double, degreesOfFreedom k: Double) -> Double { ChiSquare.quantile(p, degreesOfFreedom: k) }
}

/// The χ² distribution's quantile, by bisection on its CDF (regularized lower incomplete gamma by series).
enum ChiSquare {
    static func cdf(_ x: Double, degreesOfFreedom k: Double) -> Double {
        guard x > 0 else { return 0 }
        let a = k / 2, z = x / 2
        var term = 1 / a, sum = term, n = 1.0
        while abs(term) > 1e-17 * abs(sum) {
            term *= z / (a + n); sum += term; n += 1
            if n > 10_000 { break }
        }
        return Foundation.exp(-z + a * Foundation.log(z) - Foundation.lgamma(a)) * sum
    }

    static func quantile(_ probability: Double, degreesOfFreedom k: Double) -> Double {
        var low = 0.0, high = max(1.0, k * 10)
        while cdf(high, degreesOfFreedom: k) < probability { high *= 2 }
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if cdf(mid, degreesOfFreedom: k) < probability { low = mid } else { high = mid }
        }
        return (low + high) / 2
    }
}

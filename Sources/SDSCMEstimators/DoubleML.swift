import Foundation
import SDSCMRandomness

/// EconML's `LinearDML` and `LinearDRLearner` as the paper calls them (defaults, discrete treatment, continuous
/// outcome), following `Documentation/EstimatorReferences.md`:
/// - two cross-fitting folds, stratified on the treatment and shuffled;
/// - nuisances chosen once on all rows by EconML's `'auto'` rule: a random forest against a cross-validated linear
///   model (`Lasso` over `LassoCV`'s grid for outcomes, scored by R²; `PenalizedLogistic` over
///   `LogisticRegressionCV`'s grid for the treatment, scored by accuracy), the winner's penalty then frozen and
///   refitted per fold;
/// - a linear final stage θ(x) = [1, x]·β with HC1 standard errors, ATE = θ at the mean covariates.
/// The folds and forests draw from Philox, not NumPy, so results equal EconML's in distribution, not run for run.
public enum DoubleML {
    /// A nuisance model family, in the order EconML tries them (the first wins a tie).
    enum Family { case forest, linear }

    /// Two folds of row indices, stratified on the treatment: each arm shuffled and dealt alternately, the
    /// second arm starting where the first left off, so fold sizes differ by at most one.
    static func folds(_ treatment: [Int], random: Philox) -> [[Int]] {
        var folds: [[Int]] = [[], []]
        var next = 0
        for arm in 0...1 {
            var rows = treatment.indices.filter { treatment[$0] == arm }
            Philox.shuffle(&rows) { random.word(UInt64(arm), UInt64($0), 0, 0) }
            for row in rows { folds[next].append(row); next = 1 - next }
        }
        return folds.map { $0.sorted() }
    }

    static func forestSettings(_ seed: UInt64, _ stream: UInt64, classifier: Bool, features: Int) -> RandomForest.Settings {
        var settings = RandomForest.Settings()
        settings.seed = seed
        settings.stream = stream
        if classifier { settings.limits.maxFeatures = max(1, Int(Double(features).squareRoot())) }
        return settings
    }

    /// A regression nuisance: fits on training rows and predicts others.
    enum Regression {
        case forest(seed: UInt64), lasso(alpha: Double)
        func fitPredict(_ rows: [[Double]], _ y: [Double], _ predict: [[[Double]]], stream: UInt64) throws -> [[Double]] {
            switch self {
            case .forest(let seed):
                let forest = try RandomForest.fit(rows, outcome: y, settings: DoubleML.forestSettings(seed, stream, classifier: false, features: rows[0].count))
                return predict.map(forest.predict)
            case .lasso(let alpha):
                let model = Lasso.fit(rows, y, alpha: alpha)
                return predict.map(model.predict)
            }
        }
    }

    /// A propensity nuisance.
    enum Classifier {
        case forest(seed: UInt64), logistic(c: Double)
        func fitPredict(_ rows: [[Double]], _ z: [Double], _ predict: [[Double]], stream: UInt64) throws -> [Double] {
            switch self {
            case .forest(let seed):
                let forest = try RandomForest.fit(rows, outcome: z, settings: DoubleML.forestSettings(seed, stream, classifier: true, features: rows[0].count))
                return forest.predict(predict)
            case .logistic(let c):
                return PenalizedLogistic.fit(rows, z, c: c).predict(predict)
            }
        }
    }

    /// EconML's `'auto'` choice for a continuous target: forest (mean held-out R²) against Lasso (1 − best mean
    /// held-out MSE / Var(y)).
    static func selectRegression(_ rows: [[Double]], _ y: [Double], folds: [[Int]], order: [Family], seed: UInt64, stream: UInt64) throws -> Regression {
        try best(of: order) { family in
            switch family {
            case .forest:
                let score = try meanOverFolds(folds, count: rows.count) { train, held, k in
                    let predicted = try Regression.forest(seed: seed).fitPredict(train.map { rows[$0] }, train.map { y[$0] }, [held.map { rows[$0] }],
                                                                                 stream: stream + UInt64(k))[0]
                    return Metrics.r2(truth: held.map { y[$0] }, predicted: predicted)
                }
                return (.forest(seed: seed), score)
            case .linear:
                let (alpha, mse) = Lasso.crossValidate(rows, y, folds: folds)
                let variance = Metrics.standardDeviation(y) * Metrics.standardDeviation(y)
                return (.lasso(alpha: alpha), variance > 0 ? 1 - mse / variance : 0)
            }
        }
    }

    /// EconML's `'auto'` choice for the binary treatment: forest classifier against cross-validated logistic
    /// regression, both by mean held-out accuracy.
    static func selectClassifier(_ rows: [[Double]], _ z: [Double], folds: [[Int]], order: [Family], seed: UInt64, stream: UInt64) throws -> Classifier {
        try best(of: order) { family in
            switch family {
            case .forest:
                let score = try meanOverFolds(folds, count: rows.count) { train, held, k in
                    let predicted = try Classifier.forest(seed: seed).fitPredict(train.map { rows[$0] }, train.map { z[$0] }, held.map { rows[$0] },
                                                                                 stream: stream + UInt64(k))
                    let right = zip(predicted, held).filter { ($0.0 > 0.5 ? 1.0 : 0.0) == z[$0.1] }.count
                    return Double(right) / Double(held.count)
                }
                return (.forest(seed: seed), score)
            case .linear:
                let (c, accuracy) = PenalizedLogistic.crossValidate(rows, z, folds: folds)
                return (.logistic(c: c), accuracy)
            }
        }
    }

    /// The candidate with the highest score, families tried in `order` (a tie keeps the earlier, as EconML's
    /// selection does).
    static func best<Model>(of order: [Family], _ candidate: (Family) throws -> (Model, Double)) rethrows -> Model {
        var best: (Model, Double)?
        for family in order {
            let next = try candidate(family)
            if best == nil || next.1 > best!.1 { best = next }
        }
        return best!.0
    }

    /// The mean over folds of `score(training rows, held-out rows, fold index)`, summed in fold order.
    static func meanOverFolds(_ folds: [[Int]], count: Int, _ score: ([Int], [Int], Int) throws -> Double) rethrows -> Double {
        var total = 0.0
        for (k, held) in folds.enumerated() {
            total += try score(CrossValidation.complement(held, count), held, k) / Double(folds.count)
        }
        return total
    }

    /// `LinearDML`: cross-fitted residuals ỹ = y − E[y|x], t̃ = z − P(z=1|x), then the final stage.
    public static func linearDML(_ data: EstimationData, seed: UInt64) throws -> EffectEstimate {
        let (yResidual, tResidual) = try residuals(data, seed: seed)
        return linearDMLFinalStage(outcomeResidual: yResidual, treatmentResidual: tResidual, covariates: data.covariates)
    }

    /// `CausalForestDML`: the same residuals, then a causal forest of ỹ on t̃ (with an intercept); ATE = mean θ̂(x),
    /// its interval EconML's mean θ̂ ± z·√(mean σ̂²(x)).
    public static func forestDML(_ data: EstimationData, seed: UInt64) throws -> EffectEstimate {
        let (yResidual, tResidual) = try residuals(data, seed: seed)
        var settings = GeneralizedRandomForest.Settings()
        settings.seed = seed
        settings.stream = 0xCF
        let forest = try GeneralizedRandomForest.fit(data.covariates, outcome: yResidual, treatment: tResidual, settings: settings)
        return forestEstimate(forest, data.covariates, pooledStandardError: true)
    }

    /// `ForestDRLearner`: the doubly robust pseudo-outcomes regressed on x by an honest regression forest.
    public static func forestDR(_ data: EstimationData, seed: UInt64) throws -> EffectEstimate {
        let pseudo = try pseudoOutcomes(data, seed: seed)
        var settings = GeneralizedRandomForest.Settings.drFinalStage
        settings.seed = seed
        settings.stream = 0xDF
        let forest = try GeneralizedRandomForest.fit(data.covariates, outcome: pseudo, treatment: nil, settings: settings)
        return forestEstimate(forest, data.covariates, pooledStandardError: true)
    }

    /// EconML's `grf.CausalForest()` on the raw treatment and outcome; ATE = mean θ̂(x) without an interval, as the
    /// paper uses it.
    public static func causalForest(_ data: EstimationData, seed: UInt64) throws -> EffectEstimate {
        var settings = GeneralizedRandomForest.Settings()
        settings.seed = seed
        settings.stream = 0xC0
        let forest = try GeneralizedRandomForest.fit(data.covariates, outcome: data.outcome, treatment: data.treatment.map(Double.init), settings: settings)
        return forestEstimate(forest, data.covariates, pooledStandardError: false)
    }

    static func forestEstimate(_ forest: GeneralizedRandomForest, _ x: [[Double]], pooledStandardError: Bool) -> EffectEstimate {
        let (theta, variance) = forest.predict(x)
        let z = EffectEstimate.normalQuantile975
        let spread = variance.map { $0.squareRoot() }
        let meanVariance = variance.reduce(0, +) / Double(variance.count)
        return EffectEstimate(ate: theta.reduce(0, +) / Double(theta.count), cate: theta,
                              standardError: pooledStandardError ? meanVariance.squareRoot() : nil,
                              cateLower: theta.indices.map { theta[$0] - z * spread[$0] },
                              cateUpper: theta.indices.map { theta[$0] + z * spread[$0] })
    }

    /// The cross-fitted DML residuals (ỹ, t̃) with EconML's automatic nuisances.
    static func residuals(_ data: EstimationData, seed: UInt64) throws -> (outcome: [Double], treatment: [Double]) {
        let x = data.covariates, y = data.outcome, z = data.treatment.map(Double.init), n = y.count
        let random = Philox(seed: seed, stream: 0xD31)
        let folds = Self.folds(data.treatment, random: random)
        let outcome = try selectRegression(x, y, folds: folds, order: [.forest, .linear], seed: seed, stream: 10)
        let propensity = try selectClassifier(x, z, folds: folds, order: [.forest, .linear], seed: seed, stream: 20)
        var yResidual = [Double](repeating: 0, count: n), tResidual = yResidual
        for (k, held) in folds.enumerated() {
            let train = CrossValidation.complement(held, n)
            let q = try outcome.fitPredict(train.map { x[$0] }, train.map { y[$0] }, [held.map { x[$0] }], stream: 30 + UInt64(k))[0]
            let p = try propensity.fitPredict(train.map { x[$0] }, train.map { z[$0] }, held.map { x[$0] }, stream: 40 + UInt64(k))
            for (j, i) in held.enumerated() { yResidual[i] = y[i] - q[j]; tResidual[i] = z[i] - p[j] }
        }
        return (yResidual, tResidual)
    }

    /// `LinearDRLearner`: cross-fitted μ̂(x, t) from one model on [x, t] and clipped propensities, the
    /// doubly robust pseudo-outcome D, then the final stage.
    public static func linearDR(_ data: EstimationData, seed: UInt64) throws -> EffectEstimate {
        linearDRFinalStage(pseudoOutcome: try pseudoOutcomes(data, seed: seed), covariates: data.covariates)
    }

    /// The cross-fitted doubly robust pseudo-outcomes D with EconML's automatic nuisances.
    static func pseudoOutcomes(_ data: EstimationData, seed: UInt64) throws -> [Double] {
        let x = data.covariates, y = data.outcome, z = data.treatment.map(Double.init), n = y.count
        let random = Philox(seed: seed, stream: 0xD32)
        let folds = Self.folds(data.treatment, random: random)
        let withTreatment = x.indices.map { x[$0] + [z[$0]] }
        let outcome = try selectRegression(withTreatment, y, folds: folds, order: [.linear, .forest], seed: seed, stream: 50)
        let propensity = try selectClassifier(x, z, folds: folds, order: [.linear, .forest], seed: seed, stream: 60)
        var pseudo = [Double](repeating: 0, count: n)
        for (k, held) in folds.enumerated() {
            let train = CrossValidation.complement(held, n)
            let mu = try outcome.fitPredict(train.map { withTreatment[$0] }, train.map { y[$0] },
                                            [held.map { x[$0] + [1] }, held.map { x[$0] + [0] }], stream: 70 + UInt64(k))
            let p = try propensity.fitPredict(train.map { x[$0] }, train.map { z[$0] }, held.map { x[$0] }, stream: 80 + UInt64(k))
            for (j, i) in held.enumerated() {
                let e = min(max(p[j], 1e-6), 1 - 1e-6)
                pseudo[i] = mu[0][j] - mu[1][j] + z[i] * (y[i] - mu[0][j]) / e - (1 - z[i]) * (y[i] - mu[1][j]) / (1 - e)
            }
        }
        return pseudo
    }

    /// LinearDML's final stage: OLS without intercept of ỹ on t̃·[1, x]; θ(x) = [1, x]·β, HC1 covariance.
    public static func linearDMLFinalStage(outcomeResidual: [Double], treatmentResidual: [Double], covariates: [[Double]]) -> EffectEstimate {
        let phi = covariates.map { [1] + $0 }
        let design = phi.indices.map { i in phi[i].map { $0 * treatmentResidual[i] } }
        return finalStage(design: design, response: outcomeResidual, phi: phi)
    }

    /// LinearDRLearner's final stage: OLS with intercept of D on x; θ(x) = [1, x]·β, HC1 covariance.
    public static func linearDRFinalStage(pseudoOutcome: [Double], covariates: [[Double]]) -> EffectEstimate {
        let phi = covariates.map { [1] + $0 }
        return finalStage(design: phi, response: pseudoOutcome, phi: phi)
    }

    /// Minimum-norm OLS of `response` on `design`, its HC1 covariance n/(n − k)·(ZᵀZ)⁺ Zᵀdiag(e²)Z (ZᵀZ)⁺, and
    /// θ = φ·β per row with normal 95% intervals; the ATE is θ at the mean φ.
    static func finalStage(design: [[Double]], response: [Double], phi: [[Double]]) -> EffectEstimate {
        let n = design.count, k = design[0].count
        let columns = (0..<k).map { j in design.map { $0[j] } }
        let (beta, _) = LeastSquares.minimumNorm(columns: columns, y: response)
        // (ZᵀZ)⁺ from the SVD of Z.
        let (_, sigma, v) = LeastSquares.decompose(columns)
        let cutoff = (sigma.max() ?? 0) * Double.ulpOfOne * Double(max(n, k))
        var bread = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for m in 0..<k where sigma[m] > cutoff && sigma[m] > 0 {
            for a in 0..<k { for b in 0..<k { bread[a][b] += v[m][a] * v[m][b] / (sigma[m] * sigma[m]) } }
        }
        var meat = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for i in 0..<n {
            let e = response[i] - LeastSquares.dot(design[i], beta)
            for a in 0..<k { for b in 0..<k { meat[a][b] += e * e * design[i][a] * design[i][b] } }
        }
        let scale = n > k ? Double(n) / Double(n - k) : 1
        func product(_ x: [[Double]], _ y: [[Double]]) -> [[Double]] {
            (0..<k).map { a in (0..<k).map { b in (0..<k).reduce(0) { $0 + x[a][$1] * y[$1][b] } } }
        }
        let covariance = product(product(bread, meat), bread).map { $0.map { $0 * scale } }
        func variance(_ f: [Double]) -> Double {
            var total = 0.0
            for a in 0..<k { for b in 0..<k { total += f[a] * covariance[a][b] * f[b] } }
            return max(0, total)
        }
        let effect = phi.map { LeastSquares.dot($0, beta) }
        let spread = phi.map { variance($0).squareRoot() }
        let mean = (0..<k).map { j in phi.reduce(0) { $0 + $1[j] } / Double(phi.count) }
        let z = EffectEstimate.normalQuantile975
        return EffectEstimate(ate: LeastSquares.dot(mean, beta), cate: effect, standardError: variance(mean).squareRoot(),
                              cateLower: effect.indices.map { effect[$0] - z * spread[$0] },
                              cateUpper: effect.indices.map { effect[$0] + z * spread[$0] })
    }
}

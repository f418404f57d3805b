import Foundation
import SDSCMRandomness

/// Observational data for one treatment-effect estimate: covariates, a binary treatment and an outcome.
public struct EstimationData: Sendable {
    /// One row of covariates per unit, the same columns in every row.
    public var covariates: [[Double]]
    /// Each unit's treatment: 1 treated, 0 control.
    public var treatment: [Int]
    /// Each unit's observed outcome.
    public var outcome: [Double]

    /// Checks that the lengths agree and the treatment is 0/1.
    public init(covariates: [[Double]], treatment: [Int], outcome: [Double]) throws {
        guard covariates.count == treatment.count, treatment.count == outcome.count, !outcome.isEmpty else {
            throw EstimationError.invalidData("\(covariates.count) covariate rows, \(treatment.count) treatments, \(outcome.count) outcomes")
        }
        if let bad = treatment.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw EstimationError.invalidData("treatment of row \(bad) is \(treatment[bad]), not 0 or 1")
        }
        self.covariates = covariates
        self.treatment = treatment
        self.outcome = outcome
    }

    var treatedRows: [Int] { treatment.indices.filter { treatment[$0] == 1 } }
    var controlRows: [Int] { treatment.indices.filter { treatment[$0] == 0 } }
}

/// An estimate: the ATE, per-unit CATEs when the method gives them, and a 95% interval when it has one.
public struct EffectEstimate: Sendable {
    /// The estimated average treatment effect, E[Y(1) − Y(0)].
    public var ate: Double
    /// τ̂(x_i) for every unit (constant for methods whose effect does not vary).
    public var cate: [Double]
    /// Standard error of the ATE, when the method has one.
    public var standardError: Double?
    /// Per-unit 95% interval of the CATE (or of the ITE, for methods that target it), when the method has one.
    public var cateLower: [Double]? = nil, cateUpper: [Double]? = nil

    /// The normal 95% interval of the ATE.
    public var interval: (lower: Double, upper: Double)? {
        standardError.map { Self.normalInterval(ate, standardError: $0) }
    }

    /// The 0.975 quantile of the standard normal distribution: half-width of a 95% interval in standard errors.
    public static let normalQuantile975 = 1.959963984540054

    /// `estimate ± normalQuantile975 · standardError`.
    public static func normalInterval(_ estimate: Double, standardError: Double) -> (lower: Double, upper: Double) {
        (estimate - normalQuantile975 * standardError, estimate + normalQuantile975 * standardError)
    }
}

/// The estimators, by the names `sdscm evaluate` and its `results.csv` use.
///
/// The linear methods use `LeastSquares` (scikit-learn semantics) and logistic propensities (`LogisticRegression`),
/// so they reproduce the paper's linear rows bit for bit; the forest methods use `RandomForest` (scikit-learn's
/// `RandomForestRegressor` defaults) with counter-based bootstrap draws, so they are deterministic for a seed.
public enum Estimator: String, CaseIterable, Sendable {
    /// Difference in means (the paper's T-only OLS), Welch standard error.
    case dim
    /// OLS of y on [x, z]; the ATE is z's coefficient (the paper's LinReg), classical standard error.
    case linreg
    /// S-learner with a linear model on [x, z]: the same fit as `linreg`, so a constant CATE.
    case linearS = "linear-s"
    /// T-learner: one linear model per arm; τ̂(x) = μ̂1(x) − μ̂0(x) (the paper's LinearT).
    case linearT = "linear-t"
    /// X-learner: imputed effects regressed per arm, blended by the propensity.
    case xLearner = "x-learner"
    /// Inverse propensity weighting, normalized per arm (Hájek), with a logistic propensity.
    case ipw
    /// Augmented IPW with linear arm models and a logistic propensity; influence-function standard error.
    case aipw
    /// DR-learner: the AIPW pseudo-outcomes regressed linearly on x.
    case drLearner = "dr-learner"
    /// EconML's `LinearDML` (see `DoubleML`): cross-fitted residuals with EconML's automatic nuisance choice,
    /// θ(x) linear in x, HC1 intervals for the ATE and every CATE.
    case linearDML = "linear-dml"
    /// Double machine learning with a constant effect (Robinson's partially linear model; what `linear-dml` was
    /// before it followed EconML): 2-fold cross-fitted residuals of y (linear) and z (logistic), sandwich standard error.
    case linearDMLConstant = "linear-dml-constant"
    /// EconML's `LinearDRLearner` (see `DoubleML`): cross-fitted doubly robust pseudo-outcomes regressed linearly
    /// on x, HC1 intervals.
    case linearDR = "linear-dr"
    /// The paper's CausalForest: EconML's `grf.CausalForest()` on the raw treatment and outcome (see
    /// `GeneralizedRandomForest`), per-unit intervals, no ATE interval.
    case causalForest = "causal-forest"
    /// The paper's ForestDML: EconML's `CausalForestDML` (the `linear-dml` residuals, a causal forest final stage).
    case forestDML = "forest-dml"
    /// The paper's ForestDR: EconML's `ForestDRLearner` (the `linear-dr` pseudo-outcomes, an honest regression
    /// forest of 1,000 trees).
    case forestDR = "forest-dr"
    /// The paper's RF: one random forest f on [x, z]; τ̂(x) = f(x, 1) − f(x, 0).
    case rf
    /// The paper's ForestS: the S-learner with a random forest, the same model class as `rf` (the paper's two
    /// rows differ by the forests' randomness only), fitted on its own bootstrap draws.
    case forestS = "forest-s"
    /// The paper's ForestT: a random forest per arm; τ̂(x) = μ̂1(x) − μ̂0(x).
    case forestT = "forest-t"
    /// The paper's BART: `bartCause::bartc`'s response model (BART on [x, z], 200 trees, its priors) with
    /// `BART.Settings` defaults except 4 chains of 500 burn-in and 500 kept draws (bartCause runs 10); ATE = the
    /// posterior mean of the SATE, τ̂(x_i) = the posterior mean of f(x_i, 1) − f(x_i, 0), interval ± 1.96 posterior sd.
    case bart
    /// The paper's BART-ITE: the same fit, per-unit ITE draws (the factual outcome against a posterior predictive
    /// draw of the counterfactual); point = their mean, interval = mean ± 1.96 sd.
    case bartITE = "bart-ite"
    /// The paper's CQR: `cfcausal`'s counterfactual conformal ITE intervals (see `ConformalITE`) at α = 0.05
    /// with quantile forests; the interval midpoints as the per-unit point and their mean as the ATE (our summary:
    /// the paper uses CQR's intervals only).
    case cqr
    /// The paper's TNet: catenets' `TNet()` (see `NeuralLearners`): one ELU network (3 × 200, 2 × 100) per arm,
    /// Adam, early stopping on a 30% validation split; ATE = mean CATE, no intervals.
    case tnet
    /// The paper's TARNet: catenets' `SNet1()`: a shared 3 × 200 representation and a 2 × 100 head per arm.
    case tarnet

    /// Estimates the effect of treatment 1 vs 0; `seed` drives the methods that draw random numbers (forests).
    public func estimate(_ data: EstimationData, seed: UInt64 = 0) throws -> EffectEstimate {
        let n = data.outcome.count
        let treated = data.treatedRows, control = data.controlRows
        guard treated.count >= 2 else { throw EstimationError.emptyArm(treated: true) }
        guard control.count >= 2 else { throw EstimationError.emptyArm(treated: false) }
        let x = data.covariates, y = data.outcome, z = data.treatment.map(Double.init)
        func arm(_ rows: [Int]) throws -> LinearFit {
            try LeastSquares.fit(rows.map { x[$0] }, rows.map { y[$0] })
        }
        func constant(_ value: Double, _ se: Double?) -> EffectEstimate {
            EffectEstimate(ate: value, cate: [Double](repeating: value, count: n), standardError: se)
        }
        switch self {
        case .dim:
            let y1 = treated.map { y[$0] }, y0 = control.map { y[$0] }
            let se = (Statistics.variance(y1) / Double(y1.count) + Statistics.variance(y0) / Double(y0.count)).squareRoot()
            return constant(Statistics.mean(y1) - Statistics.mean(y0), se)
        case .linreg, .linearS:
            let design = x.indices.map { x[$0] + [z[$0]] }
            let fit = try LeastSquares.fit(design, y)
            return constant(fit.coefficients.last!, Self.olsStandardError(design, y, fit: fit, column: design[0].count - 1))
        case .linearT:
            let mu1 = try arm(treated).predict(x), mu0 = try arm(control).predict(x)
            let cate = zip(mu1, mu0).map { $0 - $1 }
            return EffectEstimate(ate: Statistics.mean(cate), cate: cate, standardError: nil)
        case .xLearner:
            let mu1 = try arm(treated).predict(x), mu0 = try arm(control).predict(x)
            let tau1 = try LeastSquares.fit(treated.map { x[$0] }, treated.map { y[$0] - mu0[$0] }).predict(x)
            let tau0 = try LeastSquares.fit(control.map { x[$0] }, control.map { mu1[$0] - y[$0] }).predict(x)
            let e = try LogisticRegression.fit(x, z).predict(x)
            let cate = x.indices.map { e[$0] * tau0[$0] + (1 - e[$0]) * tau1[$0] }
            return EffectEstimate(ate: Statistics.mean(cate), cate: cate, standardError: nil)
        case .ipw:
            let e = try LogisticRegression.fit(x, z).predict(x)
            let w1 = x.indices.map { z[$0] / e[$0] }, w0 = x.indices.map { (1 - z[$0]) / (1 - e[$0]) }
            let s1 = w1.reduce(0, +), s0 = w0.reduce(0, +)
            let m1 = x.indices.reduce(0) { $0 + w1[$1] * y[$1] } / s1
            let m0 = x.indices.reduce(0) { $0 + w0[$1] * y[$1] } / s0
            let phi = x.indices.map { w1[$0] * (y[$0] - m1) / (s1 / Double(n)) - w0[$0] * (y[$0] - m0) / (s0 / Double(n)) }
            return constant(m1 - m0, (Statistics.variance(phi) / Double(n)).squareRoot())
        case .aipw, .drLearner:
            let psi = try Self.pseudoOutcomes(data, treated: treated, control: control)
            let se = (Statistics.variance(psi) / Double(n)).squareRoot()
            if self == .aipw { return constant(Statistics.mean(psi), se) }
            let cate = try LeastSquares.fit(x, psi).predict(x)
            return EffectEstimate(ate: Statistics.mean(cate), cate: cate, standardError: se)
        case .linearDML:
            return try DoubleML.linearDML(data, seed: seed)
        case .linearDR:
            return try DoubleML.linearDR(data, seed: seed)
        case .causalForest:
            return try DoubleML.causalForest(data, seed: seed)
        case .forestDML:
            return try DoubleML.forestDML(data, seed: seed)
        case .forestDR:
            return try DoubleML.forestDR(data, seed: seed)
        case .linearDMLConstant:
            // Two folds: even and odd rows; each fold's nuisances come from the other fold.
            var yResidual = [Double](repeating: 0, count: n), zResidual = [Double](repeating: 0, count: n)
            for fold in 0..<2 {
                let train = x.indices.filter { $0 % 2 != fold }, test = x.indices.filter { $0 % 2 == fold }
                let outcome = try LeastSquares.fit(train.map { x[$0] }, train.map { y[$0] })
                let propensity = try LogisticRegression.fit(train.map { x[$0] }, train.map { z[$0] })
                let m = outcome.predict(test.map { x[$0] }), e = propensity.predict(test.map { x[$0] })
                for (k, i) in test.enumerated() {
                    yResidual[i] = y[i] - m[k]
                    zResidual[i] = z[i] - e[k]
                }
            }
            let denominator = zResidual.reduce(0) { $0 + $1 * $1 }
            let theta = zip(yResidual, zResidual).reduce(0) { $0 + $1.0 * $1.1 } / denominator
            let meat = x.indices.reduce(0.0) { sum, i in
                let r = (yResidual[i] - theta * zResidual[i]) * zResidual[i]
                return sum + r * r
            }
            return constant(theta, meat.squareRoot() / denominator)
        case .rf, .forestS:
            var settings = RandomForest.Settings()
            settings.seed = seed
            settings.stream = self == .rf ? 1 : 2
            let forest = try RandomForest.fit(x.indices.map { x[$0] + [z[$0]] }, outcome: y, settings: settings)
            let cate = x.map { forest.predict($0 + [1]) - forest.predict($0 + [0]) }
            return EffectEstimate(ate: Statistics.mean(cate), cate: cate, standardError: nil)
        case .forestT:
            var settings = RandomForest.Settings()
            settings.seed = seed
            settings.stream = 3
            let mu1 = try RandomForest.fit(treated.map { x[$0] }, outcome: treated.map { y[$0] }, settings: settings)
            settings.stream = 4
            let mu0 = try RandomForest.fit(control.map { x[$0] }, outcome: control.map { y[$0] }, settings: settings)
            let cate = x.map { mu1.predict($0) - mu0.predict($0) }
            return EffectEstimate(ate: Statistics.mean(cate), cate: cate, standardError: nil)
        case .cqr:
            var settings = ConformalITE.Settings()
            settings.seed = seed
            return try ConformalITE.estimate(data, settings: settings)
        case .tnet:
            return try NeuralLearners.tnet(data, seed: seed)
        case .tarnet:
            return try NeuralLearners.tarnet(data, seed: seed)
        case .bart, .bartITE:
            let both = try Self.bartEstimates(data, seed: seed)
            return self == .bart ? both.cate : both.ite
        }
    }

    /// The estimators `sdscm evaluate` runs unless told otherwise: all but the BART ones, whose MCMC costs
    /// seconds per dataset, `tnet` and `tarnet`, whose training does too, and `cqr`, whose quantile forests cost
    /// about a second (name them, or `all`).
    public static let defaultSet = allCases.filter { ![.bart, .bartITE, .cqr, .tnet, .tarnet].contains($0) }

    /// Both BART estimates from one posterior: `bart` (CATE) and `bart-ite`.
    public static func bartEstimates(_ data: EstimationData, seed: UInt64 = 0) throws -> (cate: EffectEstimate, ite: EffectEstimate) {
        var settings = BART.Settings()
        settings.seed = seed
        settings.chains = bartChains
        return try bartSummaries(data, settings: settings)
    }

    /// Chains of the `bart` and `bart-ite` estimators.
    public static let bartChains = 4

    /// BART's SATE, CATE and ITE summaries from one posterior (see `bart` and `bartITE`).
    public static func bartSummaries(_ data: EstimationData, settings: BART.Settings) throws -> (cate: EffectEstimate, ite: EffectEstimate) {
        let x = data.covariates, y = data.outcome, n = y.count
        let rows = x.indices.map { x[$0] + [Double(data.treatment[$0])] }
        // f at the factual rows comes with the fit; only the counterfactual rows [x_i, 1 − z_i] are predicted.
        let predict = x.indices.map { x[$0] + [Double(1 - data.treatment[$0])] }
        let posterior = try BART.fit(rows, outcome: y, predict: predict, settings: settings)
        let noise = Philox(seed: settings.seed, stream: 0x17E0)
        var sate: [Double] = []
        var icateSum = [Double](repeating: 0, count: n), icateSquares = icateSum, iteSum = icateSum, iteSquares = icateSum
        for (d, counterfactual) in posterior.fits.enumerated() {
            let factual = posterior.trainingFits[d]
            var total = 0.0
            for i in 0..<n {
                let treated = data.treatment[i] == 1
                let f1 = treated ? factual[i] : counterfactual[i], f0 = treated ? counterfactual[i] : factual[i]
                let icate = f1 - f0
                icateSum[i] += icate; icateSquares[i] += icate * icate
                // The counterfactual outcome drawn from the posterior predictive; the factual one observed.
                let u1 = Philox.openUnitInterval(noise.word(UInt64(d), UInt64(i), 0, 0))
                let u2 = Philox.openUnitInterval(noise.word(UInt64(d), UInt64(i), 0, 1))
                let epsilon = posterior.sigma[d] * Philox.normal(u1, u2)
                let effect = treated ? y[i] - (f0 + epsilon) : (f1 + epsilon) - y[i]
                iteSum[i] += effect; iteSquares[i] += effect * effect
                total += effect
            }
            sate.append(total / Double(n))
        }
        let draws = Double(posterior.fits.count)
        func summary(_ sum: [Double], _ squares: [Double]) -> (mean: [Double], lower: [Double], upper: [Double]) {
            let mean = sum.map { $0 / draws }
            let sd = sum.indices.map { (max(0, squares[$0] / draws - mean[$0] * mean[$0]) * draws / max(1, draws - 1)).squareRoot() }
            return (mean, mean.indices.map { mean[$0] - EffectEstimate.normalQuantile975 * sd[$0] },
                    mean.indices.map { mean[$0] + EffectEstimate.normalQuantile975 * sd[$0] })
        }
        let icate = summary(icateSum, icateSquares), ite = summary(iteSum, iteSquares)
        let se = Statistics.variance(sate).squareRoot()
        return (EffectEstimate(ate: Statistics.mean(sate), cate: icate.mean, standardError: se, cateLower: icate.lower, cateUpper: icate.upper),
                EffectEstimate(ate: Statistics.mean(sate), cate: ite.mean, standardError: se, cateLower: ite.lower, cateUpper: ite.upper))
    }

    /// AIPW pseudo-outcomes ψ_i = μ̂1 − μ̂0 + z(y − μ̂1)/ê − (1 − z)(y − μ̂0)/(1 − ê).
    static func pseudoOutcomes(_ data: EstimationData, treated: [Int], control: [Int]) throws -> [Double] {
        let x = data.covariates, y = data.outcome, z = data.treatment.map(Double.init)
        let mu1 = try LeastSquares.fit(treated.map { x[$0] }, treated.map { y[$0] }).predict(x)
        let mu0 = try LeastSquares.fit(control.map { x[$0] }, control.map { y[$0] }).predict(x)
        let e = try LogisticRegression.fit(x, z).predict(x)
        return x.indices.map { i in
            mu1[i] - mu0[i] + z[i] * (y[i] - mu1[i]) / e[i] - (1 - z[i]) * (y[i] - mu0[i]) / (1 - e[i])
        }
    }

    /// Classical (homoskedastic) standard error of one OLS coefficient: σ̂² [(X_cᵀX_c)⁺]_jj from the SVD.
    static func olsStandardError(_ design: [[Double]], _ y: [Double], fit: LinearFit, column: Int) -> Double? {
        let n = design.count, p = design[0].count
        let dof = n - fit.rank - 1
        guard dof > 0 else { return nil }
        let residuals = zip(fit.predict(design), y).map { $1 - $0 }
        let sigma2 = residuals.reduce(0) { $0 + $1 * $1 } / Double(dof)
        let means = (0..<p).map { j in design.reduce(0) { $0 + $1[j] } / Double(n) }
        let columns = (0..<p).map { j in design.map { $0[j] - means[j] } }
        let (_, sigma, v) = LeastSquares.decompose(columns)
        let cutoff = (sigma.max() ?? 0) * Double.ulpOfOne * Double(max(n, p))
        var variance = 0.0
        for k in 0..<p where sigma[k] > cutoff && sigma[k] > 0 { variance += v[k][column] * v[k][column] / (sigma[k] * sigma[k]) }
        return (sigma2 * variance).squareRoot()
    }
}

/// Means and variances (sample variance, n − 1).
enum Statistics {
    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
    static func variance(_ values: [Double]) -> Double {
        let m = mean(values)
        return values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, values.count - 1))
    }
}

import Dispatch
import SDSCMEstimators
import Foundation

/// One estimator on one view of one dataset: the row of `results.csv`.
public struct EvaluationResult: Sendable {
    /// The dataset's name: its CSV file name without the extension.
    public var dataset: String
    /// The covariate view: "all" or "hidden".
    public var view: String
    /// The estimator that produced the row.
    public var estimator: Estimator
    /// Number of units (rows) in the dataset.
    public var units: Int
    /// The estimated ATE.
    public var ateHat: Double
    /// The sample ATE: the mean true ITE.
    public var sate: Double
    /// Standard error of the estimated ATE, when the estimator has one (empty in the CSV otherwise).
    public var standardError: Double?
    /// √PEHE: the root mean squared difference between the estimated CATEs and the true ITEs.
    public var sqrtPEHE: Double
    /// √PEHE over the population standard deviation of the outcome.
    public var standardizedPEHE: Double
    /// CATE R² in scikit-learn's orientation (truth = ITE).
    public var cateR2: Double
    /// The paper's orientation (truth = estimate), unclipped, as its Table 2 averages it.
    public var cateR2Paper: Double
    /// Share of units whose true ITE lies strictly inside the estimator's per-unit 95% interval, when it has one.
    public var cateCoverage: Double? = nil
    /// Mean width of those intervals over the population standard deviation of the outcome (the paper's measure).
    public var cateWidth: Double? = nil

    /// The per-unit true effects and intervals behind the interval-example figure, kept for the first dataset only.
    public var example: IntervalExample? = nil

    /// `results.csv`'s header: the contract columns first.
    public static let header = ["dataset", "view", "estimator", "ate_hat", "sate", "ate_se", "ate_lower", "ate_upper",
                                "sqrt_pehe", "standardized_pehe", "cate_r2", "cate_r2_paper", "units", "cate_coverage", "cate_width"]

    /// The row's values in `header`'s order, with the normal 95% interval derived from the standard error.
    public var fields: [String] {
        let interval = standardError.map { EffectEstimate.normalInterval(ateHat, standardError: $0) }
        return [dataset, view, estimator.rawValue, Self.format(ateHat), Self.format(sate),
                standardError.map(Self.format) ?? "", interval.map { Self.format($0.0) } ?? "", interval.map { Self.format($0.1) } ?? "",
                Self.format(sqrtPEHE), Self.format(standardizedPEHE), Self.format(cateR2), Self.format(cateR2Paper), String(units),
                cateCoverage.map(Self.format) ?? "", cateWidth.map(Self.format) ?? ""]
    }

    static func format(_ value: Double) -> String { "\(value)" }
}

/// One dataset's true ITEs and one method's per-unit 95% intervals.
public struct IntervalExample: Sendable {
    /// Each unit's true ITE.
    public var ite: [Double]
    /// Each unit's interval bounds.
    public var lower: [Double], upper: [Double]
}

/// Runs estimators over benchmark datasets, in parallel across datasets, with results in dataset order.
public enum Evaluation {
    /// Every estimator on every requested view of every dataset (datasets in parallel). `keepingExample` keeps the
    /// first dataset's per-unit intervals for the interval-example figure; runs the report does not draw from
    /// (the 10k aggregates) pass false. `seed` keys every estimator's random draws (forests, cross-fitting folds,
    /// MCMC, network training), the same for every dataset, so that rerunning with other seeds shows how much an
    /// estimate owes to its seed.
    public static func run(_ datasets: [EvaluationDataset], views: [String], estimators: [Estimator],
                           keepingExample: Bool = true, seed: UInt64 = 0) throws -> [EvaluationResult] {
        try Parallel.map(datasets.count) { index in
            Result { try evaluate(datasets[index], views: views, estimators: estimators, keepExample: keepingExample && index == 0, seed: seed) }
        }.flatMap { try $0.get() }
    }

    static func evaluate(_ dataset: EvaluationDataset, views: [String], estimators: [Estimator], keepExample: Bool,
                         seed: UInt64) throws -> [EvaluationResult] {
        var results: [EvaluationResult] = []
        for view in views {
            guard let data = dataset.views[view] else { continue }
            let sate = data.ite.reduce(0, +) / Double(data.ite.count)
            let spread = Metrics.standardDeviation(data.data.outcome)
            // BART and BART-ITE summarize one posterior: fit it once when both are asked for.
            var bart: (cate: EffectEstimate, ite: EffectEstimate)?
            if estimators.contains(.bart) && estimators.contains(.bartITE) { bart = try Estimator.bartEstimates(data.data, seed: seed) }
            for estimator in estimators {
                let estimate = try estimator == .bart ? bart?.cate ?? estimator.estimate(data.data, seed: seed)
                    : estimator == .bartITE ? bart?.ite ?? estimator.estimate(data.data, seed: seed) : estimator.estimate(data.data, seed: seed)
                let pehe = Metrics.pehe(ite: data.ite, cate: estimate.cate)
                var interval: (rate: Double, width: Double)?
                if let lower = estimate.cateLower, let upper = estimate.cateUpper {
                    interval = Metrics.coverage(truth: data.ite, lower: lower, upper: upper)
                }
                results.append(EvaluationResult(
                    dataset: dataset.name, view: view, estimator: estimator, units: data.ite.count, ateHat: estimate.ate,
                    sate: sate, standardError: estimate.standardError, sqrtPEHE: pehe,
                    standardizedPEHE: spread > 0 ? pehe / spread : .nan,
                    cateR2: Metrics.r2(truth: data.ite, predicted: estimate.cate),
                    cateR2Paper: Metrics.swappedR2(truth: data.ite, predicted: estimate.cate),
                    cateCoverage: interval?.rate, cateWidth: interval.map { spread > 0 ? $0.width / spread : .nan },
                    example: keepExample ? estimate.cateLower.map { IntervalExample(ite: data.ite, lower: $0, upper: estimate.cateUpper!) } : nil))
            }
        }
        return results
    }
}

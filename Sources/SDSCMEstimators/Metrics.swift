import Foundation

/// Accuracy measures of effect estimates, named as in the paper's appendix C and scikit-learn.
public enum Metrics {
    /// scikit-learn's `r2_score(y_true, y_pred)`: 1 − Σ(t − p)² / Σ(t − t̄)², with its `force_finite` rule (a
    /// constant truth gives 1 when predicted exactly, else 0).
    public static func r2(truth: [Double], predicted: [Double]) -> Double {
        let mean = truth.reduce(0, +) / Double(truth.count)
        let residual = zip(truth, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        // A constant truth has zero variance even when its computed mean is off by a rounding error.
        let total = truth.allSatisfy({ $0 == truth[0] }) ? 0 : truth.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        if total == 0 { return residual == 0 ? 1 : 0 }
        return 1 - residual / total
    }

    /// The paper's per-dataset CATE R², which passes the estimates as the truth: `r2_score(τ̂, τ)`. Its Table 2
    /// averages this unclipped; it differs enormously from `r2(truth:predicted:)` (see the spec, §4.2).
    public static func swappedR2(truth: [Double], predicted: [Double]) -> Double {
        r2(truth: predicted, predicted: truth)
    }

    /// Root mean squared error.
    public static func rmse(truth: [Double], predicted: [Double]) -> Double {
        (zip(truth, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(truth.count)).squareRoot()
    }

    /// √PEHE: the root mean squared error of per-unit effects.
    public static func pehe(ite: [Double], cate: [Double]) -> Double { rmse(truth: ite, predicted: cate) }

    /// Population standard deviation (NumPy's `std`, ddof = 0), which standardizes PEHE and interval widths.
    public static func standardDeviation(_ values: [Double]) -> Double {
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
    }

    /// Share of `truth` strictly inside its interval, and the mean width.
    public static func coverage(truth: [Double], lower: [Double], upper: [Double]) -> (rate: Double, width: Double) {
        let inside = truth.indices.filter { lower[$0] < truth[$0] && truth[$0] < upper[$0] }.count
        let width = truth.indices.reduce(0) { $0 + abs(upper[$1] - lower[$1]) } / Double(truth.count)
        return (Double(inside) / Double(truth.count), width)
    }
}

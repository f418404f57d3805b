import Foundation

/// L1-penalized least squares with scikit-learn's `Lasso` objective, (1 / 2n) ‖y − b − Xw‖² + α ‖w‖₁ with an
/// unpenalized intercept (X and y centred, no scaling), solved by cyclic coordinate descent; and the cross-validated
/// choice of α over scikit-learn's `LassoCV` grid (100 values, log-spaced from α_max down to 10⁻³ α_max).
public struct Lasso: Sendable {
    /// One coefficient per column.
    public var coefficients: [Double]
    /// ȳ − x̄ · coefficients.
    public var intercept: Double
    /// The penalty it was fitted with.
    public var alpha: Double

    /// `intercept + x · coefficients` per row.
    public func predict(_ rows: [[Double]]) -> [Double] {
        rows.map { row in zip(row, coefficients).reduce(intercept) { $0 + $1.0 * $1.1 } }
    }

    /// Fits at one α, from `start` coefficients when given (warm start along a path).
    public static func fit(_ rows: [[Double]], _ y: [Double], alpha: Double, start: [Double]? = nil,
                           maxIterations: Int = 1000, tolerance: Double = 1e-6) -> Lasso {
        let n = rows.count, p = rows.first?.count ?? 0
        let xMean = (0..<p).map { j in rows.reduce(0) { $0 + $1[j] } / Double(n) }
        let yMean = y.reduce(0, +) / Double(n)
        let columns = (0..<p).map { j in rows.map { $0[j] - xMean[j] } }
        var residual = y.map { $0 - yMean }
        let squares = columns.map { $0.reduce(0) { $0 + $1 * $1 } }
        var w = start ?? [Double](repeating: 0, count: p)
        if start != nil {
            for j in 0..<p where w[j] != 0 { for i in 0..<n { residual[i] -= columns[j][i] * w[j] } }
        }
        let threshold = alpha * Double(n)
        let scale = residual.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<maxIterations {
            var largestChange = 0.0, largestWeight = 0.0
            for j in 0..<p where squares[j] > 0 {
                let old = w[j]
                var rho = 0.0
                for i in 0..<n { rho += columns[j][i] * residual[i] }
                rho += squares[j] * old
                let new = rho > threshold ? (rho - threshold) / squares[j] : rho < -threshold ? (rho + threshold) / squares[j] : 0
                if new != old {
                    let delta = new - old
                    for i in 0..<n { residual[i] -= columns[j][i] * delta }
                    w[j] = new
                }
                largestChange = max(largestChange, abs(new - old))
                largestWeight = max(largestWeight, abs(new))
            }
            // scikit-learn's first stopping test: the largest update small against the largest coefficient.
            if largestWeight == 0 || largestChange / largestWeight < tolerance || scale == 0 { break }
        }
        let intercept = yMean - zip(xMean, w).reduce(0) { $0 + $1.0 * $1.1 }
        return Lasso(coefficients: w, intercept: intercept, alpha: alpha)
    }

    /// scikit-learn's α grid for `LassoCV`: α_max = max_j |x_jᵀ (y − ȳ)| / n over centred columns, then `count`
    /// values log-spaced down to `ratio` · α_max.
    public static func alphaGrid(_ rows: [[Double]], _ y: [Double], count: Int = 100, ratio: Double = 1e-3) -> [Double] {
        let n = rows.count, p = rows.first?.count ?? 0
        let yMean = y.reduce(0, +) / Double(n)
        var largest = 0.0
        for j in 0..<p {
            let mean = rows.reduce(0) { $0 + $1[j] } / Double(n)
            var dot = 0.0
            for i in 0..<n { dot += (rows[i][j] - mean) * (y[i] - yMean) }
            largest = max(largest, abs(dot) / Double(n))
        }
        if largest == 0 { largest = 1e-12 }
        return (0..<count).map { k in largest * Foundation.pow(ratio, Double(k) / Double(count - 1)) }
    }

    /// The α of the grid with the smallest mean held-out squared error over `folds` (each fold: held-out rows),
    /// and that error.
    public static func crossValidate(_ rows: [[Double]], _ y: [Double], folds: [[Int]]) -> (alpha: Double, meanSquaredError: Double) {
        let grid = alphaGrid(rows, y)
        var errors = [Double](repeating: 0, count: grid.count)
        for held in folds {
            let train = CrossValidation.complement(held, rows.count)
            let trainRows = train.map { rows[$0] }, trainY = train.map { y[$0] }
            let testRows = held.map { rows[$0] }
            var start: [Double]? = nil
            for (k, alpha) in grid.enumerated() {
                let model = fit(trainRows, trainY, alpha: alpha, start: start)
                start = model.coefficients
                let predicted = model.predict(testRows)
                let mse = zip(predicted, held.map { y[$0] }).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(held.count)
                errors[k] += mse / Double(folds.count)
            }
        }
        let best = errors.indices.min { errors[$0] < errors[$1] }!
        return (grid[best], errors[best])
    }
}

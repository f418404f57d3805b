import Foundation

/// L2-penalized logistic regression with scikit-learn's `LogisticRegression(C:)` objective,
/// ½‖w‖² + C Σ_i log-loss_i with an unpenalized intercept, fitted by Newton's method (the objective is strictly
/// convex, so this reaches lbfgs's optimum up to its tolerance); and `LogisticRegressionCV`'s choice of C.
public struct PenalizedLogistic: Sendable {
    /// Intercept first, then one coefficient per covariate.
    public var coefficients: [Double]
    /// The inverse penalty it was fitted with.
    public var c: Double

    /// scikit-learn's default grid of `LogisticRegressionCV(Cs=10)`: 10^−4 … 10^4, ten values log-spaced.
    public static let defaultGrid: [Double] = (0..<10).map { Foundation.pow(10, -4 + 8 * Double($0) / 9) }

    /// Fits P(z = 1 | x).
    public static func fit(_ rows: [[Double]], _ z: [Double], c: Double, maxIterations: Int = 100) -> PenalizedLogistic {
        let p = (rows.first?.count ?? 0) + 1
        var beta = [Double](repeating: 0, count: p)
        for _ in 0..<maxIterations {
            var gradient = [Double](repeating: 0, count: p)
            var hessian = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
            for (i, row) in rows.enumerated() {
                let x = [1] + row
                let probability = LogisticRegression.sigmoid(LogisticRegression.linear(beta, row))
                let weight = probability * (1 - probability)
                for a in 0..<p {
                    gradient[a] += c * (probability - z[i]) * x[a]
                    for b in a..<p { hessian[a][b] += c * weight * x[a] * x[b] }
                }
            }
            for a in 1..<p { gradient[a] += beta[a]; hessian[a][a] += 1 }
            for a in 0..<p { for b in 0..<a { hessian[a][b] = hessian[b][a] } }
            // The unpenalized intercept under separation can make the system singular: a tiny ridge keeps it solvable.
            hessian[0][0] += 1e-12
            guard let step = DenseSolve.solve(hessian, gradient) else { break }
            var largest = 0.0
            for a in 0..<p { beta[a] -= step[a]; largest = max(largest, abs(step[a])) }
            if largest < 1e-10 { break }
        }
        return PenalizedLogistic(coefficients: beta, c: c)
    }

    /// P(z = 1 | x) per row.
    public func predict(_ rows: [[Double]]) -> [Double] {
        rows.map { LogisticRegression.sigmoid(LogisticRegression.linear(coefficients, $0)) }
    }

    /// The C of `grid` with the highest mean held-out accuracy over `folds` (ties: the smallest C, as
    /// scikit-learn), and that accuracy.
    public static func crossValidate(_ rows: [[Double]], _ z: [Double], folds: [[Int]], grid: [Double] = defaultGrid) -> (c: Double, accuracy: Double) {
        var accuracy = [Double](repeating: 0, count: grid.count)
        for held in folds {
            let train = CrossValidation.complement(held, rows.count)
            for (k, c) in grid.enumerated() {
                let model = fit(train.map { rows[$0] }, train.map { z[$0] }, c: c)
                let predicted = model.predict(held.map { rows[$0] })
                let right = zip(predicted, held).filter { ($0.0 > 0.5 ? 1.0 : 0.0) == z[$0.1] }.count
                accuracy[k] += Double(right) / Double(held.count) / Double(folds.count)
            }
        }
        var best = 0
        for k in grid.indices where accuracy[k] > accuracy[best] { best = k }
        return (grid[best], accuracy[best])
    }
}

/// Gaussian elimination with partial pivoting for the small dense systems of the nuisance fits.
enum DenseSolve {
    static func solve(_ matrix: [[Double]], _ rhs: [Double]) -> [Double]? {
        var a = matrix, b = rhs
        let n = b.count
        for column in 0..<n {
            var pivot = column
            for row in column..<n where abs(a[row][column]) > abs(a[pivot][column]) { pivot = row }
            guard abs(a[pivot][column]) > 1e-300 else { return nil }
            a.swapAt(column, pivot); b.swapAt(column, pivot)
            for row in (column + 1)..<n {
                let factor = a[row][column] / a[column][column]
                guard factor != 0 else { continue }
                for k in column..<n { a[row][k] -= factor * a[column][k] }
                b[row] -= factor * b[column]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = b[row]
            for k in (row + 1)..<n { sum -= a[row][k] * x[k] }
            x[row] = sum / a[row][row]
        }
        return x
    }
}

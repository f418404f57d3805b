import Foundation

/// Unpenalized logistic regression with an intercept, fitted by iteratively reweighted least squares (Newton's
/// method), for propensity scores. Each Newton step is a weighted minimum-norm least-squares solve, so redundant
/// covariates do not break it; under separation the iterations stop after `maxIterations` and the propensities
/// are kept inside [`floor`, 1 − `floor`] where they are used.
public struct LogisticRegression: Sendable, Hashable {
    /// Intercept first, then one coefficient per covariate.
    public var coefficients: [Double]
    /// Newton steps taken (at most `maxIterations`; fewer when the coefficients converged).
    public var iterations: Int

    /// Smallest propensity `predict` returns (and 1 − this the largest), so inverse weights stay finite.
    public static let floor = 1e-6

    /// Fits P(z = 1 | x).
    public static func fit(_ rows: [[Double]], _ z: [Double], maxIterations: Int = 100) throws -> LogisticRegression {
        try LeastSquares.check(rows, z)
        let n = rows.count, p = rows[0].count
        var beta = [Double](repeating: 0, count: p + 1)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            var columns = [[Double]](repeating: [Double](repeating: 0, count: n), count: p + 1)
            var response = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let eta = linear(beta, rows[i])
                let mu = min(max(sigmoid(eta), 1e-12), 1 - 1e-12)
                let w = mu * (1 - mu), root = w.squareRoot()
                columns[0][i] = root
                for j in 0..<p { columns[j + 1][i] = root * rows[i][j] }
                response[i] = root * (eta + (z[i] - mu) / w)
            }
            let (next, _) = LeastSquares.minimumNorm(columns: columns, y: response)
            let change = zip(next, beta).map { abs($0 - $1) }.max() ?? 0
            beta = next
            if change < 1e-10 { break }
        }
        return LogisticRegression(coefficients: beta, iterations: iterations)
    }

    /// P(z = 1 | x) for each row, kept inside [floor, 1 − floor].
    public func predict(_ rows: [[Double]]) -> [Double] {
        rows.map { min(max(Self.sigmoid(Self.linear(coefficients, $0)), Self.floor), 1 - Self.floor) }
    }

    static func linear(_ beta: [Double], _ row: [Double]) -> Double {
        var eta = beta[0]
        for j in row.indices { eta += beta[j + 1] * row[j] }
        return eta
    }

    static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }
}

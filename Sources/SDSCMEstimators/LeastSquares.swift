/// Linear least squares with scikit-learn's `LinearRegression` semantics, which published benchmark numbers
/// depend on: centre the design and the response, take the minimum-norm solution (singular values below
/// `ε · max(n, p) · σ_max` count as zero, as LAPACK's `gelsd` with NumPy's default cut-off), then set the intercept
/// from the means. With a rank-deficient design (a covariate level absent from one treatment arm) this differs
/// from solving with an intercept column, and the difference reaches the ATE.
public struct LinearFit: Sendable, Hashable {
    /// One coefficient per design column.
    public var coefficients: [Double]
    /// Mean response minus the fitted coefficients times the mean row.
    public var intercept: Double
    /// Number of singular values kept.
    public var rank: Int

    /// `intercept + x · coefficients` for each row.
    public func predict(_ rows: [[Double]]) -> [Double] {
        rows.map { row in zip(row, coefficients).reduce(intercept) { $0 + $1.0 * $1.1 } }
    }
}

/// Thin SVD and least-squares solvers on small dense designs (n rows × p columns, p up to a few dozen).
public enum LeastSquares {
    /// Ordinary least squares with an intercept, by scikit-learn's rule (see `LinearFit`).
    public static func fit(_ rows: [[Double]], _ y: [Double]) throws -> LinearFit {
        try check(rows, y)
        let n = rows.count, p = rows.first?.count ?? 0
        let xMean = (0..<p).map { j in rows.reduce(0) { $0 + $1[j] } / Double(n) }
        let yMean = y.reduce(0, +) / Double(n)
        let columns = (0..<p).map { j in rows.map { $0[j] - xMean[j] } }
        let centred = y.map { $0 - yMean }
        let (b, rank) = minimumNorm(columns: columns, y: centred)
        let intercept = yMean - zip(xMean, b).reduce(0) { $0 + $1.0 * $1.1 }
        return LinearFit(coefficients: b, intercept: intercept, rank: rank)
    }

    /// Minimum-norm solution of `X b ≈ y` without an intercept (columns of X given), and the rank used.
    public static func minimumNorm(columns: [[Double]], y: [Double]) -> (solution: [Double], rank: Int) {
        let (u, sigma, v) = decompose(columns)
        let p = columns.count
        let cutoff = (sigma.max() ?? 0) * Double.ulpOfOne * Double(max(y.count, p))
        var b = [Double](repeating: 0, count: p)
        var rank = 0
        for k in 0..<p where sigma[k] > cutoff && sigma[k] > 0 {
            rank += 1
            // u[k] holds U_k σ_k, so (U_k · y) / σ_k = (u[k] · y) / σ_k².
            let coefficient = dot(u[k], y) / (sigma[k] * sigma[k])
            for j in 0..<p { b[j] += coefficient * v[k][j] }
        }
        return (b, rank)
    }

    /// One-sided Jacobi SVD: returns the rotated columns (U_k σ_k), the singular values and the right singular
    /// vectors (as rows). Accurate to rounding for every singular value, which the rank decision needs.
    static func decompose(_ columns: [[Double]]) -> (u: [[Double]], sigma: [Double], v: [[Double]]) {
        var a = columns
        let p = a.count
        var v = (0..<p).map { i in (0..<p).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0..<80 {
            var rotated = false
            for i in 0..<max(0, p - 1) {
                for j in (i + 1)..<p {
                    let alpha = dot(a[i], a[i]), beta = dot(a[j], a[j]), gamma = dot(a[i], a[j])
                    guard gamma != 0, abs(gamma) > 1e-15 * (alpha * beta).squareRoot() else { continue }
                    rotated = true
                    let zeta = (beta - alpha) / (2 * gamma)
                    let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                    let c = 1 / (1 + t * t).squareRoot(), s = c * t
                    // Move the columns out so that rotating them in place copies nothing.
                    var (ai, aj) = (a[i], a[j])
                    (a[i], a[j]) = ([], [])
                    rotate(&ai, &aj, c, s)
                    (a[i], a[j]) = (ai, aj)
                    var (vi, vj) = (v[i], v[j])
                    (v[i], v[j]) = ([], [])
                    rotate(&vi, &vj, c, s)
                    (v[i], v[j]) = (vi, vj)
                }
            }
            if !rotated { break }
        }
        return (a, a.map { dot($0, $0).squareRoot() }, v)
    }

    static func rotate(_ x: inout [Double], _ y: inout [Double], _ c: Double, _ s: Double) {
        for k in x.indices {
            let xi = x[k], yi = y[k]
            x[k] = c * xi - s * yi
            y[k] = s * xi + c * yi
        }
    }

    static func dot(_ x: [Double], _ y: [Double]) -> Double {
        var sum = 0.0
        for k in x.indices { sum += x[k] * y[k] }
        return sum
    }

    static func check(_ rows: [[Double]], _ y: [Double]) throws {
        guard !rows.isEmpty, rows.count == y.count else {
            throw EstimationError.invalidData("the design has \(rows.count) rows and the response \(y.count) values")
        }
        let p = rows[0].count
        if let bad = rows.firstIndex(where: { $0.count != p }) {
            throw EstimationError.invalidData("row \(bad) has \(rows[bad].count) covariates, row 0 has \(p)")
        }
        if let bad = y.firstIndex(where: { !$0.isFinite }) ?? rows.firstIndex(where: { $0.contains { !$0.isFinite } }) {
            throw EstimationError.invalidData("row \(bad) has a value that is not finite")
        }
    }
}

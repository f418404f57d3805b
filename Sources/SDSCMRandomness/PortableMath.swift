/// Elementary functions computed with IEEE-754 additions, multiplications and divisions only, so they give the
/// same bits on every platform and C library.
///
/// Noise must be reproducible byte for byte: a Gumbel variate that differs in its last bit between glibc and
/// Apple's libm could flip an argmax and change a sampled token. Accuracy is a few ulp, far below anything a
/// sampler can notice.
public enum PortableMath {
    /// Natural logarithm of a positive, finite `x` (NaN otherwise; `-infinity` at 0).
    @inlinable
    public static func log(_ x: Double) -> Double {
        guard x > 0 else { return x == 0 ? -.infinity : .nan }
        guard x.isFinite else { return x }
        // x = m · 2^k with m in [1/√2, √2), then log m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716.
        var m = x.significand  // [1, 2)
        var k = Double(x.exponent)
        if m > 1.4142135623730951 {
            m *= 0.5
            k += 1
        }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        // atanh(s)/s = Σ s^(2n)/(2n+1); 12 terms leave a truncation error below 1e-19 relative.
        var series = 1.0 / 25.0
        var n = 11.0
        while n >= 0 {
            series = series * s2 + 1.0 / (2 * n + 1)
            n -= 1
        }
        // ln 2 split into a part exact in k·high and a tail, so large exponents lose no precision.
        let ln2High = 0.6931471803691238
        let ln2Low = 1.9082149292705877e-10
        return k * ln2High + (2 * s * series + k * ln2Low)
    }

    /// e^x, to a few ulp; 0 below about −745 and infinity above about 709.8.
    @inlinable
    public static func exp(_ x: Double) -> Double {
        guard !x.isNaN else { return x }
        if x > 709.782712893384 { return .infinity }
        if x < -745.1332191019412 { return 0 }
        // x = k·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split so that k·high is exact).
        let k = (x * 1.4426950408889634).rounded(.toNearestOrEven)
        let r = (x - k * 0.6931471803691238) - k * 1.9082149292705877e-10
        // Taylor series of e^r in Horner form, 1 + r(1 + r/2(1 + r/3(…))): 14 terms leave a truncation error
        // below 1e-18 for |r| ≤ 0.35, and the leading 1 is added last so it costs one rounding.
        var tail = 0.0  // (e^r − 1) / r, built from the innermost term out
        var n = 14.0
        while n >= 2 {
            tail = (1 + tail) * r / n
            n -= 1
        }
        let sum = 1 + r * (1 + tail)
        // Scale by 2^k; near the ends of the range in two steps, so that 2^k itself never overflows and a
        // subnormal result is rounded once.
        let exponent = Int(k)
        if exponent < -1000 {
            return sum * Double(sign: .plus, exponent: exponent + 600, significand: 1) * 0x1p-600
        }
        if exponent > 1000 {
            return sum * Double(sign: .plus, exponent: exponent - 600, significand: 1) * 0x1p600
        }
        return sum * Double(sign: .plus, exponent: exponent, significand: 1)
    }
}

/// Elementwise and reduction kernels of the transformer forward pass, on raw `Float` buffers.
///
/// Each kernel fixes its order of operations so that results are identical across batch shapes and threads.
/// `exp` is a vectorized polynomial (relative error below 2e-7 over the float range) because libm's `expf`, called
/// per element, took four times as long as all the SiLUs of a forward pass.
package enum VectorMath {
    // MARK: exp

    /// e^x for eight lanes; x below -87.3 gives 0, above 88.7 gives +inf.
    @inline(__always)
    package static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Each comparison mask is formed once and used once: a mask kept alive across the polynomial is
        // materialised lane by lane through memory (measured: exp took 5× longer).
        let low = SIMD8<Float>(repeating: -87.33), high = SIMD8<Float>(repeating: 88.72)
        let clamped = pointwiseMin(pointwiseMax(x, low), high)
        // n = round(x / ln 2) with the 1.5·2^23 trick (exact for |n| < 2^22).
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = multiplyAdd(magic, clamped, SIMD8(repeating: 1.442_695_040_888_963_4))
        let n = shifted - magic
        // r = x - n·ln 2, with ln 2 split in two for precision.
        var r = multiplyAdd(clamped, n, SIMD8(repeating: -0.693_359_375))
        r = multiplyAdd(r, n, SIMD8(repeating: 2.121_944_4e-4))
        // e^r on [-ln2/2, ln2/2] (Cephes expf coefficients).
        var p = SIMD8<Float>(repeating: 1.987_569_150_0e-4)
        p = multiplyAdd(SIMD8(repeating: 1.398_199_950_7e-3), p, r)
        p = multiplyAdd(SIMD8(repeating: 8.333_451_907_3e-3), p, r)
        p = multiplyAdd(SIMD8(repeating: 4.166_579_589_4e-2), p, r)
        p = multiplyAdd(SIMD8(repeating: 1.666_666_545_9e-1), p, r)
        p = multiplyAdd(SIMD8(repeating: 5.000_000_120_1e-1), p, r)
        p = multiplyAdd(r + 1, p, r * r)
        // Scale by 2^n through the exponent bits.
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        let result = p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
        // Below the clamp the result is 0 and above it infinity, as for the exact function.
        return result.replacing(with: 0, where: x .< low).replacing(with: .infinity, where: x .> high)
    }

    /// e^x for one value, through the vector routine (so scalar and vector paths agree).
    @inline(__always)
    package static func exp(_ x: Float) -> Float { exp(SIMD8(repeating: x))[0] }

    // MARK: Activations

    /// x / (1 + e^-x), in place.
    package static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = load(x, i)
            store(v / (1 + exp(-v)), x, i)
            i &+= 8
        }
        while i < count {
            x[i] = x[i] / (1 + exp(-x[i]))
            i &+= 1
        }
    }

    /// GELU with the tanh approximation (GPT-2's), in place.
    package static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
            let inner = SIMD8<Float>(repeating: 0.797_884_560_802_865_4) * (v + SIMD8(repeating: 0.044_715) * v * v * v)
            // tanh(y) = 1 - 2 / (e^{2y} + 1)
            let tanh = 1 - 2 / (exp(2 * inner) + 1)
            return 0.5 * v * (1 + tanh)
        }
        var i = 0
        while i + 8 <= count {
            store(apply(load(x, i)), x, i)
            i &+= 8
        }
        while i < count {
            x[i] = apply(SIMD8(repeating: x[i]))[0]
            i &+= 1
        }
    }

    /// `a[i] *= b[i]`.
    package static func multiply(_ a: UnsafeMutablePointer<Float>, by b: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            store(load(a, i) * load(b, i), a, i)
            i &+= 8
        }
        while i < count {
            a[i] *= b[i]
            i &+= 1
        }
    }

    /// `a[i] += b[i]`.
    package static func add(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            store(load(a, i) + load(b, i), a, i)
            i &+= 8
        }
        while i < count {
            a[i] += b[i]
            i &+= 1
        }
    }

    // MARK: Normalization

    /// RMSNorm as llama.cpp computes it: the sum of squares in Double, then x · 1/sqrt(mean + eps), then · weight.
    package static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, count: Int, epsilon: Float,
        into y: UnsafeMutablePointer<Float>
    ) {
        var sum = 0.0
        for i in 0..<count { sum += Double(x[i]) * Double(x[i]) }
        let scale = 1 / (Float(sum / Double(count)) + epsilon).squareRoot()
        for i in 0..<count { y[i] = x[i] * scale }
        if let weight { multiply(y, by: weight, count: count) }
    }

    /// LayerNorm as llama.cpp computes it (mean and variance in Double), then · weight + bias.
    package static func layerNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, count: Int,
        epsilon: Float, into y: UnsafeMutablePointer<Float>
    ) {
        var sum = 0.0
        for i in 0..<count { sum += Double(x[i]) }
        let mean = Float(sum / Double(count))
        var variance = 0.0
        for i in 0..<count {
            let centered = x[i] - mean
            y[i] = centered
            variance += Double(centered) * Double(centered)
        }
        let scale = 1 / (Float(variance / Double(count)) + epsilon).squareRoot()
        for i in 0..<count { y[i] *= scale }
        multiply(y, by: weight, count: count)
        if let bias { add(y, bias, count: count) }
    }

    // MARK: Softmax and dot products

    /// In-place softmax of `count` values (max subtracted; the sum in eight float lanes reduced in a fixed order).
    package static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var maxima = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= count {
            let v = load(x, i)
            maxima.replace(with: v, where: v .> maxima)
            i &+= 8
        }
        var maximum = maxima.max()
        while i < count {
            maximum = max(maximum, x[i])
            i &+= 1
        }
        var lanes = SIMD8<Float>()
        i = 0
        let m = SIMD8<Float>(repeating: maximum)
        while i + 8 <= count {
            let e = exp(load(x, i) - m)
            store(e, x, i)
            lanes += e
            i &+= 8
        }
        var sum = horizontalSum(lanes)
        while i < count {
            x[i] = exp(x[i] - maximum)
            sum += x[i]
            i &+= 1
        }
        let inverse = 1 / sum
        i = 0
        while i + 8 <= count {
            store(load(x, i) * inverse, x, i)
            i &+= 8
        }
        while i < count {
            x[i] *= inverse
            i &+= 1
        }
    }

    /// Σ a[i]·b[i] in the kernels' fixed order.
    @inline(__always)
    package static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        MatrixMultiply.dot(a, b, count)
    }

    /// y += alpha · x.
    @inline(__always)
    package static func addScaled(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ alpha: Float, count: Int) {
        let a = SIMD8<Float>(repeating: alpha)
        var i = 0
        while i + 8 <= count {
            store(multiplyAdd(load(y, i), a, load(x, i)), y, i)
            i &+= 8
        }
        while i < count {
            y[i] = multiplyAdd(y[i], alpha, x[i])
            i &+= 1
        }
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>, _ offset: Int) -> SIMD8<Float> {
        UnsafeRawPointer(pointer + offset).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func load(_ pointer: UnsafeMutablePointer<Float>, _ offset: Int) -> SIMD8<Float> {
        UnsafeRawPointer(pointer + offset).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>, _ offset: Int) {
        UnsafeMutableRawPointer(pointer + offset).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}

/// Numerically stable log-softmax over a full logit vector (max subtracted, the sum of exponentials in Double).
public enum LogSoftmax {
    /// log p_i = l_i − max − log Σ exp(l_j − max), for the requested indices (all when nil).
    public static func logProbabilities(_ logits: [Float], selecting indices: [Int]? = nil) -> [Float] {
        let normalizer = logNormalizer(logits)
        if let indices { return indices.map { Float(Double(logits[$0]) - normalizer) } }
        return logits.map { Float(Double($0) - normalizer) }
    }

    /// max + log Σ exp(l_j − max), in Double.
    public static func logNormalizer(_ logits: [Float]) -> Double {
        guard let maximum = logits.max(), maximum.isFinite else { return logits.max().map(Double.init) ?? 0 }
        var sum = 0.0
        for value in logits { sum += Foundation_exp(Double(value - maximum)) }
        return Double(maximum) + Foundation_log(sum)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func Foundation_exp(_ x: Double) -> Double { Glibc.exp(x) }
@inline(__always) func Foundation_log(_ x: Double) -> Double { Glibc.log(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func Foundation_exp(_ x: Double) -> Double { Darwin.exp(x) }
@inline(__always) func Foundation_log(_ x: Double) -> Double { Darwin.log(x) }
#endif

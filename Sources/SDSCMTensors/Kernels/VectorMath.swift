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
        // Clamped with masks rather than `pointwiseMin/Max`, which stay outlined generic calls (same values, NaN
        // included).
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
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
    /// `exact` squares in Double; `llamaCpp` rounds each square to Float first, as ggml does (a different mean
    /// in about one row in fifty on the tiny models).
    package static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, count: Int, epsilon: Float,
        numerics: NumericsMode = .exact, into y: UnsafeMutablePointer<Float>
    ) {
        var sum = 0.0
        if numerics == .llamaCpp {
            for i in 0..<count { sum += Double(x[i] * x[i]) }
        } else {
            for i in 0..<count { sum += Double(x[i]) * Double(x[i]) }
        }
        let scale = 1 / (Float(sum / Double(count)) + epsilon).squareRoot()
        for i in 0..<count { y[i] = x[i] * scale }
        if let weight { multiply(y, by: weight, count: count) }
    }

    /// LayerNorm as llama.cpp computes it (mean and variance in Double), then · weight + bias.
    /// `llamaCpp` follows ggml's rounding instead (`LlamaCppVectorMath.layerNorm`).
    package static func layerNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, count: Int,
        epsilon: Float, numerics: NumericsMode = .exact, into y: UnsafeMutablePointer<Float>
    ) {
        if numerics == .llamaCpp {
            LlamaCppVectorMath.layerNorm(x, count: count, epsilon: epsilon, into: y)
            multiply(y, by: weight, count: count)
            if let bias { add(y, bias, count: count) }
            return
        }
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

    /// The dot products of `a` with eight vectors, each bit-identical to `dot(a, b[i], count:)` (same 8-lane order,
    /// same reduction), interleaved so that eight independent accumulators hide the multiply-add latency that a
    /// single dot product waits on.
    @inline(__always)
    package static func dot8(_ a: UnsafePointer<Float>, _ b: UnsafePointer<UnsafePointer<Float>>, count: Int,
                             into result: UnsafeMutablePointer<Float>) {
        let b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6], b7 = b[7]
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>()
        var c4 = SIMD8<Float>(), c5 = SIMD8<Float>(), c6 = SIMD8<Float>(), c7 = SIMD8<Float>()
        var i = 0
        let end = count & ~7
        while i < end {
            let x = load(a, i)
            c0 = multiplyAdd(c0, x, load(b0, i)); c1 = multiplyAdd(c1, x, load(b1, i))
            c2 = multiplyAdd(c2, x, load(b2, i)); c3 = multiplyAdd(c3, x, load(b3, i))
            c4 = multiplyAdd(c4, x, load(b4, i)); c5 = multiplyAdd(c5, x, load(b5, i))
            c6 = multiplyAdd(c6, x, load(b6, i)); c7 = multiplyAdd(c7, x, load(b7, i))
            i &+= 8
        }
        result[0] = MatrixMultiply.finish(c0, a, b0, count); result[1] = MatrixMultiply.finish(c1, a, b1, count)
        result[2] = MatrixMultiply.finish(c2, a, b2, count); result[3] = MatrixMultiply.finish(c3, a, b3, count)
        result[4] = MatrixMultiply.finish(c4, a, b4, count); result[5] = MatrixMultiply.finish(c5, a, b5, count)
        result[6] = MatrixMultiply.finish(c6, a, b6, count); result[7] = MatrixMultiply.finish(c7, a, b7, count)
    }

    /// `result = Σ_j weights[j] · vectors[j]` (j = 0..<count, each of `dimension` floats): each element starts at 0
    /// and takes one fused multiply-add per j in order (the order of the former one-vector-at-a-time update), with
    /// up to 64 elements held in registers across all j instead of a load-add-store chain through memory per j.
    @inline(__always)
    package static func weightedSum(_ vectors: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<Float>,
                                    count: Int, dimension: Int, into result: UnsafeMutablePointer<Float>) {
        var d = 0
        while d + 64 <= dimension {
            var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>()
            var c4 = SIMD8<Float>(), c5 = SIMD8<Float>(), c6 = SIMD8<Float>(), c7 = SIMD8<Float>()
            for j in 0..<count {
                let v = vectors[j] + d, w = SIMD8<Float>(repeating: weights[j])
                c0 = multiplyAdd(c0, w, load(v, 0)); c1 = multiplyAdd(c1, w, load(v, 8))
                c2 = multiplyAdd(c2, w, load(v, 16)); c3 = multiplyAdd(c3, w, load(v, 24))
                c4 = multiplyAdd(c4, w, load(v, 32)); c5 = multiplyAdd(c5, w, load(v, 40))
                c6 = multiplyAdd(c6, w, load(v, 48)); c7 = multiplyAdd(c7, w, load(v, 56))
            }
            store(c0, result, d); store(c1, result, d + 8); store(c2, result, d + 16); store(c3, result, d + 24)
            store(c4, result, d + 32); store(c5, result, d + 40); store(c6, result, d + 48); store(c7, result, d + 56)
            d += 64
        }
        while d + 8 <= dimension {
            var c = SIMD8<Float>()
            for j in 0..<count { c = multiplyAdd(c, SIMD8<Float>(repeating: weights[j]), load(vectors[j] + d, 0)) }
            store(c, result, d)
            d += 8
        }
        while d < dimension {
            var c: Float = 0
            for j in 0..<count { c = multiplyAdd(c, weights[j], vectors[j][d]) }
            result[d] = c
            d += 1
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

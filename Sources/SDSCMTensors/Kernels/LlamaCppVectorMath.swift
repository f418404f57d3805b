import Foundation

/// ggml's vectorized elementwise functions and norms as its AVX-512 build computes them, for
/// `NumericsMode.llamaCpp` (checked bit for bit against llama.cpp's intermediate tensors:
/// `LlamaCppIntermediatesTests`, fixture from Tests/Tools/kernel-fixtures/make_llama_intermediates.py).
package enum LlamaCppVectorMath {
    /// `_mm512_reduce_add_ps` of the register whose lanes 0–7 are `low` and 8–15 are `high`: lanes i + (i + 8), then
    /// the package's eight-lane `horizontalSum`, whose tree (i + (i + 4), then (0 + 2) + (1 + 3)) is the rest of it.
    @inline(__always)
    static func reduce(_ low: SIMD8<Float>, _ high: SIMD8<Float>) -> Float {
        horizontalSum(low + high)
    }

    /// ggml's AVX-512 `ggml_v_expf`: 2^n · p(b), with n = round(x / ln 2), b the Cody–Waite reduced argument and
    /// `_mm512_scalef_ps` for the scaling (one rounding, subnormal results included); |n| > 192 gives 0 or +∞.
    @inline(__always)
    package static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let r = SIMD8<Float>(repeating: 0x1.8p23)
        let z = multiplyAdd(r, x, SIMD8(repeating: 0x1.715476p+0))
        let n = z - r
        let b = multiplyAdd(multiplyAdd(x, -n, SIMD8(repeating: 0x1.62e4p-1)), -n, SIMD8(repeating: 0x1.7f7d1cp-20))
        let u = b * b
        // j = ((c5·b + c4)·u + (c3·b + c2))·u + (c1·b + 1), each step one fused multiply-add.
        let high = multiplyAdd(SIMD8(repeating: 0x1.573e2ep-5), SIMD8(repeating: 0x1.0e4020p-7), b)
        let middle = multiplyAdd(multiplyAdd(SIMD8(repeating: 0x1.fffdb6p-2), SIMD8(repeating: 0x1.555e66p-3), b), high, u)
        let j = multiplyAdd(multiplyAdd(SIMD8(repeating: 1), SIMD8(repeating: 0x1.ffffecp-1), b), middle, u)
        // n as an integer from z's low significand bits (exact while |n| < 2²²; lanes beyond ±192 are replaced
        // below). j·2ⁿ in two exact-then-rounding steps: 2^a with a in the normal range such that j·2^a is exact,
        // then 2^(n − a), so the one rounding happens where scalef's does.
        let bits = unsafeBitCast(z, to: SIMD8<Int32>.self) &- unsafeBitCast(r, to: SIMD8<Int32>.self)
        let tiny = bits .< -125
        var a = bits.replacing(with: 127, where: bits .> 127)
        a.replace(with: bits &+ 100, where: tiny)
        let first = unsafeBitCast((a &+ 127) &<< 23, to: SIMD8<Float>.self)
        let second = unsafeBitCast(((bits &- a) &+ 127) &<< 23, to: SIMD8<Float>.self)
        var result = (j * first) * second
        let magnitude = unsafeBitCast(unsafeBitCast(n, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
        let outside = magnitude .> SIMD8<Float>(repeating: 192)
        if any(outside) {
            let alternative = SIMD8<Float>(repeating: 0).replacing(with: .infinity, where: n .> SIMD8<Float>(repeating: 0))
            result.replace(with: alternative, where: outside)
        }
        return result
    }

    /// ggml's `ggml_vec_swiglu_f32` on one row: gate ← gate / (1 + e^(0 − gate)) · up, e^ by `exp`, for groups of
    /// 16 elements; the rest (ggml's scalar tail) through the C library's `expf`.
    package static func swiglu(_ gate: UnsafeMutablePointer<Float>, times up: UnsafePointer<Float>, count: Int) {
        let one = SIMD8<Float>(repeating: 1)
        @inline(__always) func eight(_ i: Int) {
            let v = VectorMath.load(gate, i)
            VectorMath.store(v / (one + exp(SIMD8<Float>() - v)) * VectorMath.load(up, i), gate, i)
        }
        var i = 0
        while i + 16 <= count {
            eight(i); eight(i + 8)
            i += 16
        }
        while i < count {
            gate[i] = gate[i] / (1 + Foundation.expf(-gate[i])) * up[i]
            i += 1
        }
    }

    /// ggml's GELU table (`ggml_table_gelu_f16`): for every half-precision x, half(gelu(x)) with gelu as ggml's
    /// compiled `ggml_gelu_f32` evaluates it, 0.5x · (1 + tanhf(√(2/π)x · (1 + 0.044715x·x))) in Float with the
    /// inner 1 + (0.044715x)·x fused (checked on every GELU of llama.cpp's tiny Gemma 3 evaluation).
    static let geluTable: [Float] = (0..<65536).map { bits in
        let x = HalfPrecision.float(fromHalfBits: UInt16(bits))
        let inner = multiplyAdd(Float(1), Float(0.044715) * x, x)
        let t = Foundation.tanhf(Float(0.79788456080286535587989211986876) * x * inner)
        return HalfPrecision.float(fromHalfBits: ActivationRounding.halfBits(Float(0.5) * x * (1 + t)))
    }

    /// GELU of one value as ggml's `ggml_vec_gelu_f32` (its half-precision table build): 0 at or below −10, x at or
    /// above 10, otherwise the table entry of x rounded to half precision.
    @inline(__always)
    static func gelu(_ x: Float, table: UnsafePointer<Float>) -> Float {
        if x <= -10 { return 0 }
        if x >= 10 { return x }
        return table[Int(ActivationRounding.halfBits(x))]
    }

    /// `ggml_vec_gelu_f32` in place (GPT-2's feed-forward).
    package static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        geluTable.withUnsafeBufferPointer { table in
            for i in 0..<count { x[i] = gelu(x[i], table: table.baseAddress!) }
        }
    }

    /// `ggml_vec_geglu_f32`: gate ← gelu(gate) · up (Gemma's feed-forward); at or above 10 the product is x · up,
    /// at or below −10 it is 0, as ggml writes them.
    package static func geglu(_ gate: UnsafeMutablePointer<Float>, times up: UnsafePointer<Float>, count: Int) {
        geluTable.withUnsafeBufferPointer { table in
            for i in 0..<count {
                let x = gate[i]
                gate[i] = x <= -10 ? 0 : gelu(x, table: table.baseAddress!) * up[i]
            }
        }
    }

    /// ggml's LayerNorm before its weight and bias (`ggml_compute_forward_norm_f32`): the mean is the Double sum
    /// rounded to Float, divided in Float; x − mean in Float; the variance sums Float squares, 16-lane trees of
    /// aligned groups then the remaining elements, in Double; then x · 1/sqrt(variance + eps).
    package static func layerNorm(_ x: UnsafePointer<Float>, count: Int, epsilon: Float, into y: UnsafeMutablePointer<Float>) {
        var total = 0.0
        for i in 0..<count { total += Double(x[i]) }
        let mean = Float(total) / Float(count)
        var sum = 0.0
        var i = 0
        let m = SIMD8<Float>(repeating: mean)
        while i + 16 <= count {
            let low = VectorMath.load(x, i) - m, high = VectorMath.load(x, i + 8) - m
            VectorMath.store(low, y, i)
            VectorMath.store(high, y, i + 8)
            sum += Double(reduce(low * low, high * high))
            i += 16
        }
        while i < count {
            let v = x[i] - mean
            y[i] = v
            sum += Double(v * v)
            i += 1
        }
        let variance = Float(sum / Double(count))
        let scale = 1 / (variance + epsilon).squareRoot()
        for i in 0..<count { y[i] = y[i] * scale }
    }
}

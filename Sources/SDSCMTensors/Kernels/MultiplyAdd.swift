// The one place that decides how kernels multiply and add.
//
// With SDSCM_FMA (x86_64 built for Haswell, or arm64) products are fused; otherwise they are a multiply followed by an
// add, because `addingProduct` without an FMA target compiles to a libm `fmaf` call per lane (30× slower). Every
// kernel accumulates through these functions, so within one build all code paths (batched prefill, single-token
// decode, any tile shape, any thread count) round identically.

/// `accumulator + a * b`, fused where the build targets FMA hardware.
@inlinable @inline(__always)
func multiplyAdd(_ accumulator: SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    #if SDSCM_FMA
    return accumulator.addingProduct(a, b)
    #else
    return accumulator + a * b
    #endif
}

/// Scalar `accumulator + a * b`, with the same rounding rule as the vector form.
@inlinable @inline(__always)
func multiplyAdd(_ accumulator: Float, _ a: Float, _ b: Float) -> Float {
    #if SDSCM_FMA
    return accumulator.addingProduct(a, b)
    #else
    return accumulator + a * b
    #endif
}

/// The sum of the eight lanes, in a fixed order (so that results never depend on how a sum was split).
@inlinable @inline(__always)
func horizontalSum(_ v: SIMD8<Float>) -> Float {
    let half = v.lowHalf + v.highHalf
    return (half[0] + half[2]) + (half[1] + half[3])
}

/// Whether this build fuses multiply-adds (reported by `sdscm bench`).
public let kernelsUseFusedMultiplyAdd: Bool = {
    #if SDSCM_FMA
    return true
    #else
    return false
    #endif
}()

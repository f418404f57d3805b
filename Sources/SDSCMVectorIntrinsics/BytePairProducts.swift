// Built with -parse-stdlib: `Builtin` reaches LLVM's x86 intrinsics, which Swift's SIMD types cannot spell (LLVM
// recognizes `vpdpbusd` in plain Swift only as a whole-block reduction to one scalar, which costs more than it
// saves). The standard library is imported explicitly, as -parse-stdlib requires.
import Swift

/// Products of unsigned and signed bytes summed in groups of four, added to eight 32-bit lanes:
/// lane j of the result is `accumulator[j] + Σ_{i<4} u[4j+i]·s[4j+i]`.
///
/// The lanes are the ones ggml's `mul_sum_us8_pairs_float` produces, so a dot product built on them can follow
/// llama.cpp's float operations exactly. The integers are exact on every path: `vpdpbusd` (AVX-512 VNNI), else
/// `vpmaddubsw` + `vpmaddwd` (AVX2), else scalar code. The AVX2 path saturates a pair `u[2i]·s[2i] +
/// u[2i+1]·s[2i+1]` to Int16, so callers keep `u ≤ 128` with `|s| ≤ 127` (every pair then fits), as ggml does.
@inlinable @inline(__always)
public func addingBytePairProducts(_ accumulator: SIMD8<Int32>, _ u: SIMD32<UInt8>, _ s: SIMD32<Int8>) -> SIMD8<Int32> {
    #if SDSCM_VNNI
    let a = unsafeBitCast(u, to: SIMD8<Int32>.self), b = unsafeBitCast(s, to: SIMD8<Int32>.self)
    var result = SIMD8<Int32>()
    result._storage._value = Builtin.int_x86_avx512_vpdpbusd_256(accumulator._storage._value, a._storage._value,
                                                                  b._storage._value)
    return result
    #elseif SDSCM_AVX2
    var pairs = SIMD16<Int16>()
    pairs._storage._value = Builtin.int_x86_avx2_pmadd_ub_sw(u._storage._value, s._storage._value)
    var quads = SIMD8<Int32>()
    quads._storage._value = Builtin.int_x86_avx2_pmadd_wd(pairs._storage._value,
                                                          SIMD16<Int16>(repeating: 1)._storage._value)
    return accumulator &+ quads
    #else
    return addingQuadSums(accumulator) { Int32(u[$0]) &* Int32(s[$0]) }
    #endif
}

/// Products of signed bytes summed in groups of four, added to eight 32-bit lanes: lane j of the result is
/// `accumulator[j] + Σ_{i<4} x[4j+i]·y[4j+i]`.
///
/// As ggml's `mul_sum_i8_pairs_float`: |x| against y carrying x's sign (`vpsignb` twice; |-128| reads as the unsigned byte 128), then
/// `addingBytePairProducts`. Exact for every x when y lies in [-127, 127] (with y = -128 the sign flip wraps, as
/// ggml's does).
@inlinable @inline(__always)
public func addingSignedBytePairProducts(_ accumulator: SIMD8<Int32>, _ x: SIMD32<Int8>, _ y: SIMD32<Int8>) -> SIMD8<Int32> {
    #if SDSCM_AVX2
    var magnitude = SIMD32<UInt8>(), signed = SIMD32<Int8>()
    magnitude._storage._value = Builtin.int_x86_avx2_psign_b(x._storage._value, x._storage._value)
    signed._storage._value = Builtin.int_x86_avx2_psign_b(y._storage._value, x._storage._value)
    return addingBytePairProducts(accumulator, magnitude, signed)
    #else
    return addingQuadSums(accumulator) { Int32(x[$0]) &* Int32(y[$0]) }
    #endif
}

/// The scalar form of both: lane j gains `product(4j) + … + product(4j + 3)`.
@inlinable @inline(__always)
func addingQuadSums(_ accumulator: SIMD8<Int32>, _ product: (Int) -> Int32) -> SIMD8<Int32> {
    var result = accumulator
    for lane in 0..<8 {
        var sum: Int32 = 0
        for i in 4 * lane..<4 * lane + 4 { sum &+= product(i) }
        result[lane] &+= sum
    }
    return result
}

/// Whether `addingBytePairProducts` runs on `vpdpbusd` (reported by `sdscm bench`).
public let bytePairProductsUseVNNI: Bool = {
    #if SDSCM_VNNI
    return true
    #else
    return false
    #endif
}()

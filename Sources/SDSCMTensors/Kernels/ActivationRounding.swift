import SDSCMGGUF

/// How activations enter a matmul with quantized weights.
public enum NumericsMode: String, Sendable, CaseIterable {
    /// Activations stay `Float`: the product is the exact math of the stored weights (up to float rounding).
    /// Matches an exact float64 evaluation to about 1e-6 relative.
    case exact
    /// Activations are first rounded the way llama.cpp's CPU backend quantizes them for its integer dot
    /// products: to 8-bit blocks (Q8_0 for Q4_0/Q5_0/Q8_0 weights, Q8_1 for Q4_1/Q5_1, Q8_K for K-quants) or to
    /// half precision for F16 weights. Q4_1, Q5_0, Q8_0 and Q6_K weights are then multiplied with integer dot
    /// products in the order of ggml's x86 `vec_dot` kernels, giving its dot products bit for bit (and decoding
    /// faster than `exact`); other formats multiply the rounded activations in float, which reproduces llama.cpp's
    /// results to within its float summation order.
    case llamaCpp = "llama.cpp"
}

/// Rounds activation rows as ggml's x86 CPU backend does before a quantized dot product, returning values the
/// float kernels then multiply exactly (formats without an integer kernel; see `IntegerDotProduct`).
enum ActivationRounding {
    /// The format ggml converts activations to for `weights` (nil: they stay F32).
    static func partner(for weights: GGMLType) -> GGMLType? {
        switch weights {
        case .f16: return .f16
        case .q4_0, .q5_0, .q8_0: return .q8_0
        case .q4_1, .q5_1: return .q8_1
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return .q8_K
        default: return nil
        }
    }

    /// Rounds `count` floats (a whole number of blocks) in place to `format`.
    static func round(_ x: UnsafeMutablePointer<Float>, count: Int, to format: GGMLType) {
        switch format {
        case .f16:
            for i in 0..<count { x[i] = HalfPrecision.float(fromHalfBits: halfBits(x[i])) }
        case .q8_0, .q8_1:
            // The value each 8-bit activation stands for: q · half(d).
            withUnsafeTemporaryAllocation(of: Int8.self, capacity: 32) { q in
                var block = 0
                while block + 32 <= count {
                    let values = x + block
                    let scale = HalfPrecision.float(fromHalfBits: halfBits(ActivationQuantizer.eightBitBlock(values, into: q.baseAddress!).d))
                    for j in 0..<32 { values[j] = Float(q[j]) * scale }
                    block += 32
                }
            }
        case .q8_K:
            // q · d, d a float.
            withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { q in
                var block = 0
                while block + 256 <= count {
                    let values = x + block
                    let d = ActivationQuantizer.superBlock(values, into: q.baseAddress!)
                    for j in 0..<256 { values[j] = Float(q[j]) * d }
                    block += 256
                }
            }
        default:
            break
        }
    }

    /// IEEE half bits of `value`, rounding to nearest even (as F16C and ggml's conversion do).
    @inline(__always)
    static func halfBits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        var mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF { return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0) }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            guard halfExponent >= -10 else { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - halfExponent)
            var half = mantissa >> shift
            let remainder = mantissa & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(halfExponent) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }
        return sign | UInt16(truncatingIfNeeded: half)
    }
}

/// Conversions from the 16-bit float formats stored in GGUF files.
///
/// `Float(Float16(bitPattern:))` is exact but, in a default (SSE2) x86_64 build, compiles to a call into
/// compiler-rt (`__extendhfsf2`) that made quantized kernels 4× slower in our measurements. Builds for FMA hardware
/// (SDSCM_FMA: Haswell-class x86_64 with F16C, or arm64) use the hardware conversion; others use the bit
/// manipulation below, exact for every one of the 65,536 inputs (tested exhaustively).
public enum HalfPrecision {
    /// IEEE binary16 bits to `Float`, exactly (subnormals, infinities and NaN payloads included).
    @inlinable @inline(__always)
    public static func float(fromHalfBits bits: UInt16) -> Float {
        #if SDSCM_FMA && !(os(macOS) && arch(x86_64))
        // Builds that target FMA hardware also have F16C (x86_64 Haswell) or native halves (arm64): one instruction.
        return Float(Float16(bitPattern: bits))
        #else
        let sign = UInt32(bits & 0x8000) << 16
        let magnitude = UInt32(bits & 0x7FFF) << 13
        // Re-bias the exponent by multiplying by 2^112: exact for normals and turns half subnormals into float
        // normals. Half infinities and NaNs land at or above 2^16 and get the float's all-ones exponent.
        var value = Float(bitPattern: magnitude) * Float(bitPattern: 0x7780_0000)
        if value >= 65536 {
            value = Float(bitPattern: value.bitPattern | 0x7F80_0000)
        }
        return Float(bitPattern: value.bitPattern | sign)
        #endif
    }

    /// bfloat16 bits to `Float`, exactly (bfloat16 is the upper half of a binary32).
    @inlinable @inline(__always)
    public static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}

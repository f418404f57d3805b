/// ggml's activation quantizers, each defined once: the integer kernels read their bytes, and the float path of
/// `--numerics llama.cpp` multiplies the values they stand for (`ActivationRounding`), so every format sees the same
/// rounding.
enum ActivationQuantizer {
    /// `quantize_row_q8_0`/`quantize_row_q8_1` (AVX2) on one 32-element block: `d = amax/127`,
    /// `q = nearest-even(x · 127/amax)`. Writes the 32 bytes; returns the unrounded `d` (ggml stores it as a half)
    /// and Σq (Q8_1 stores half(d·Σq)). NaN or infinity gives −128, as `cvtps2dq` + `packsswb` do, never a trap.
    @inline(__always)
    static func eightBitBlock(_ x: UnsafePointer<Float>, into q: UnsafeMutablePointer<Int8>) -> (d: Float, sum: Int32) {
        var amax: Float = 0
        for j in 0..<32 { amax = max(amax, abs(x[j])) }
        let inverse: Float = amax != 0 ? 127 / amax : 0
        var sum: Int32 = 0
        for j in 0..<32 {
            let r = (x[j] * inverse).rounded(.toNearestOrEven)
            let byte: Int8 = r >= -128 && r <= 127 ? Int8(r) : (r > 127 ? 127 : -128)
            q[j] = byte
            sum &+= Int32(byte)
        }
        return (amax / 127, sum)
    }

    /// `quantize_row_q8_K_ref` on one 256-element block: the element of largest magnitude (the first, if tied) sets
    /// `iscale = −127/max`; `q = min(127, nearest-even(iscale·x))`; `d = 1/iscale`. Writes the 256 bytes; returns
    /// `d` (0 for an all-zero block, whose bytes are all 0). NaN gives 0, as ggml's `nearest_int` does.
    @inline(__always)
    static func superBlock(_ x: UnsafePointer<Float>, into q: UnsafeMutablePointer<Int8>) -> Float {
        var amax: Float = 0, signedMax: Float = 0
        for j in 0..<256 where abs(x[j]) > amax {
            amax = abs(x[j])
            signedMax = x[j]
        }
        guard amax != 0 else {
            q.update(repeating: 0, count: 256)
            return 0
        }
        let inverse = -127 / signedMax
        for j in 0..<256 {
            let r = (inverse * x[j]).rounded(.toNearestOrEven)
            q[j] = r.isNaN ? 0 : Int8(max(-128, min(127, r)))
        }
        return 1 / inverse
    }
}

// The 256-element "K-quant" super-block formats (ggml-common.h: block_q2_K … block_q8_K). Each follows
// dequantize_row_q*_K in ggml-quants.c, keeping its order of float operations so results match bit for bit.

/// `{u8 scales[16]; u8 qs[64]; half d; half dmin}`: 16 groups of 16 with 4-bit scale and min; 2-bit quants.
func dequantizeQ2_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = x.half(80)
    let dmin = x.half(82)
    var output = 0
    var scaleIndex = 0
    for half in 0..<2 {
        let q = 16 + 32 * half
        for shift in stride(from: 0, to: 8, by: 2) {
            for part in 0..<2 {
                let scale = x.byte(scaleIndex)
                scaleIndex += 1
                let dl = d * Float(scale & 0x0F)
                let ml = dmin * Float(scale >> 4)
                for l in 0..<16 {
                    y[output] = dl * Float((x.byte(q + 16 * part + l) >> UInt8(shift)) & 3) - ml
                    output += 1
                }
            }
        }
    }
}

/// `{u8 hmask[32]; u8 qs[64]; u8 scales[12]; half d}`: 16 groups of 16 with signed 6-bit scales; 2 low bits in qs
/// and the third bit in hmask (a clear bit subtracts 4).
func dequantizeQ3_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = x.half(108)
    var scales = (Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0),
                  Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0), Int8(0))
    withUnsafeMutableBytes(of: &scales) { unpacked in
        for group in 0..<16 {
            let low = group < 8 ? x.byte(96 + group) & 0x0F : x.byte(96 + group - 8) >> 4
            let high = (x.byte(96 + 8 + group % 4) >> UInt8(2 * (group / 4))) & 3
            unpacked[group] = UInt8(bitPattern: Int8(bitPattern: low | (high << 4)) &- 32)
        }
    }
    withUnsafeBytes(of: &scales) { unpacked in
        var output = 0
        var group = 0
        var mask: UInt8 = 1
        for half in 0..<2 {
            let q = 32 + 32 * half
            for shift in stride(from: 0, to: 8, by: 2) {
                for part in 0..<2 {
                    let dl = d * Float(Int8(bitPattern: unpacked[group]))
                    group += 1
                    for l in 0..<16 {
                        let index = 16 * part + l
                        let low = Int((x.byte(q + index) >> UInt8(shift)) & 3)
                        let value = low - (x.byte(index) & mask != 0 ? 0 : 4)
                        y[output] = dl * Float(value)
                        output += 1
                    }
                }
                mask <<= 1
            }
        }
    }
}

/// ggml's `get_scale_min_k4`: the j-th 6-bit scale and min packed in the 12 scale bytes at `scales`.
@inline(__always)
func scaleAndMinK4(_ j: Int, _ x: UnsafeRawPointer, scales: Int) -> (scale: UInt8, min: UInt8) {
    let q = { (i: Int) in x.byte(scales + i) }
    if j < 4 {
        return (q(j) & 63, q(j + 4) & 63)
    }
    return ((q(j + 4) & 0x0F) | ((q(j - 4) >> 6) << 4), (q(j + 4) >> 4) | ((q(j) >> 6) << 4))
}

/// `{half d; half dmin; u8 scales[12]; u8 qs[128]}`: 8 sub-blocks of 32 with 6-bit scales and mins; 4-bit quants.
func dequantizeQ4_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = x.half(0)
    let dmin = x.half(2)
    for chunk in 0..<4 {
        let (scale1, min1) = scaleAndMinK4(2 * chunk, x, scales: 4)
        let (scale2, min2) = scaleAndMinK4(2 * chunk + 1, x, scales: 4)
        let d1 = d * Float(scale1), m1 = dmin * Float(min1)
        let d2 = d * Float(scale2), m2 = dmin * Float(min2)
        let q = 16 + 32 * chunk
        for l in 0..<32 {
            let byte = x.byte(q + l)
            y[64 * chunk + l] = d1 * Float(byte & 0x0F) - m1
            y[64 * chunk + 32 + l] = d2 * Float(byte >> 4) - m2
        }
    }
}

/// `{half d; half dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}`: Q4_K plus a fifth bit per element from qh.
func dequantizeQ5_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = x.half(0)
    let dmin = x.half(2)
    var mask1: UInt8 = 1
    var mask2: UInt8 = 2
    for chunk in 0..<4 {
        let (scale1, min1) = scaleAndMinK4(2 * chunk, x, scales: 4)
        let (scale2, min2) = scaleAndMinK4(2 * chunk + 1, x, scales: 4)
        let d1 = d * Float(scale1), m1 = dmin * Float(min1)
        let d2 = d * Float(scale2), m2 = dmin * Float(min2)
        let q = 48 + 32 * chunk
        for l in 0..<32 {
            let byte = x.byte(q + l)
            let high = x.byte(16 + l)
            y[64 * chunk + l] = d1 * Float((byte & 0x0F) + (high & mask1 != 0 ? 16 : 0)) - m1
            y[64 * chunk + 32 + l] = d2 * Float((byte >> 4) + (high & mask2 != 0 ? 16 : 0)) - m2
        }
        mask1 <<= 2
        mask2 <<= 2
    }
}

/// `{u8 ql[128]; u8 qh[64]; i8 scales[16]; half d}`: 16 groups of 16 with signed 8-bit scales; 6-bit quants
/// centred on 32. Note `d` is the last field.
func dequantizeQ6_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = x.half(208)
    for half in 0..<2 {
        let ql = 64 * half
        let qh = 128 + 32 * half
        let sc = 192 + 8 * half
        let out = 128 * half
        for l in 0..<32 {
            let group = l / 16
            let high = x.byte(qh + l)
            let q1 = Int((x.byte(ql + l) & 0x0F) | ((high & 3) << 4)) - 32
            let q2 = Int((x.byte(ql + l + 32) & 0x0F) | (((high >> 2) & 3) << 4)) - 32
            let q3 = Int((x.byte(ql + l) >> 4) | (((high >> 4) & 3) << 4)) - 32
            let q4 = Int((x.byte(ql + l + 32) >> 4) | (((high >> 6) & 3) << 4)) - 32
            let scale = { (i: Int) in Float(Int8(bitPattern: x.byte(sc + group + i))) }
            y[out + l] = d * scale(0) * Float(q1)
            y[out + l + 32] = d * scale(2) * Float(q2)
            y[out + l + 64] = d * scale(4) * Float(q3)
            y[out + l + 96] = d * scale(6) * Float(q4)
        }
    }
}

/// `{float d; i8 qs[256]; i16 bsums[16]}`: y = d·q (the block sums are a matmul aid, not needed here).
func dequantizeQ8_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = Float(bitPattern: x.loadLE(UInt32.self, 0))
    for j in 0..<256 {
        y[j] = d * Float(Int8(bitPattern: x.byte(4 + j)))
    }
}

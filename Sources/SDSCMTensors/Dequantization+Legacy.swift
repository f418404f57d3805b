// The 32-element block formats (ggml-common.h: block_q4_0, block_q4_1, block_q5_0, block_q5_1, block_q8_0).
// In all of them the low nibbles of qs[0..<16] are elements 0..<16 and the high nibbles elements 16..<32.

/// `{half d; u8 qs[16]}`: y = (q − 8)·d.
func dequantizeQ4_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = x.half(0)
    for j in 0..<16 {
        let q = x.byte(2 + j)
        y[j] = Float(Int(q & 0x0F) - 8) * d
        y[j + 16] = Float(Int(q >> 4) - 8) * d
    }
}

/// `{half d; half m; u8 qs[16]}`: y = q·d + m.
func dequantizeQ4_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = x.half(0)
    let m = x.half(2)
    for j in 0..<16 {
        let q = x.byte(4 + j)
        y[j] = Float(q & 0x0F) * d + m
        y[j + 16] = Float(q >> 4) * d + m
    }
}

/// `{half d; u8 qh[4]; u8 qs[16]}`: bit j of the little-endian u32 qh is the fifth bit of element j; y = (q − 16)·d.
func dequantizeQ5_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = x.half(0)
    let qh = x.loadLE(UInt32.self, 2)
    for j in 0..<16 {
        let q = UInt32(x.byte(6 + j))
        let high0 = ((qh >> UInt32(j)) << 4) & 0x10
        let high1 = (qh >> UInt32(j + 12)) & 0x10
        y[j] = Float(Int((q & 0x0F) | high0) - 16) * d
        y[j + 16] = Float(Int((q >> 4) | high1) - 16) * d
    }
}

/// `{half d; half m; u8 qh[4]; u8 qs[16]}`: as Q5_0 but unsigned with a minimum, y = q·d + m.
func dequantizeQ5_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = x.half(0)
    let m = x.half(2)
    let qh = x.loadLE(UInt32.self, 4)
    for j in 0..<16 {
        let q = UInt32(x.byte(8 + j))
        let high0 = ((qh >> UInt32(j)) << 4) & 0x10
        let high1 = (qh >> UInt32(j + 12)) & 0x10
        y[j] = Float((q & 0x0F) | high0) * d + m
        y[j + 16] = Float((q >> 4) | high1) * d + m
    }
}

/// `{half d; i8 qs[32]}`: y = q·d.
func dequantizeQ8_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = x.half(0)
    for j in 0..<32 {
        y[j] = Float(Int8(bitPattern: x.byte(2 + j))) * d
    }
}

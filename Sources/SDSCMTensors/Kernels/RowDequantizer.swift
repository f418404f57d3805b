import SDSCMGGUF

/// Dequantizes whole rows of a weight matrix into `Float` for the matmul kernels.
///
/// The common model formats have vectorized routines here; each performs the same float operations in the same
/// order as the reference dequantizers in `Dequantization` (tested bit for bit), so that a weight means the same
/// number whichever path reads it. Other supported formats fall back to the reference routine.
enum RowDequantizer {
    /// Formats with a vectorized routine.
    static let vectorizedTypes: Set<GGMLType> = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q4_K, .q6_K]

    /// Dequantizes one row of `count` elements (a multiple of the block size).
    @inline(__always)
    static func dequantize(_ source: UnsafeRawPointer, type: GGMLType, count: Int, into destination: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32: destination.update(from: source.assumingMemoryBound(to: Float.self), count: count)
        case .f16: f16(source, count, destination)
        case .bf16: bf16(source, count, destination)
        case .q8_0: q8_0(source, count / 32, destination)
        case .q4_0: q4_0(source, count / 32, destination)
        case .q4_1: q4_1(source, count / 32, destination)
        case .q5_0: q5_0(source, count / 32, destination)
        case .q4_K: q4_K(source, count / 256, destination)
        case .q6_K: q6_K(source, count / 256, destination)
        default: Dequantization.dequantize(source, type: type, blocks: count / type.blockSize, into: destination)
        }
    }

    // MARK: Helpers

    /// Zero-extends eight bytes, written lane by lane: the standard library's generic `init(truncatingIfNeeded:)`
    /// stays an outlined call in these loops, while the eight-argument initializer becomes one `vpmovzxbd`.
    @inline(__always)
    static func widen(_ v: SIMD8<UInt8>) -> SIMD8<Int32> {
        SIMD8<Int32>(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]), Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7]))
    }

    /// Zero-extends eight 16-bit values (see `widen(_: SIMD8<UInt8>)`).
    @inline(__always)
    static func widen(_ v: SIMD8<UInt16>) -> SIMD8<UInt32> {
        SIMD8<UInt32>(UInt32(v[0]), UInt32(v[1]), UInt32(v[2]), UInt32(v[3]), UInt32(v[4]), UInt32(v[5]), UInt32(v[6]), UInt32(v[7]))
    }

    @inline(__always)
    static func halves(_ bits: SIMD8<UInt16>) -> SIMD8<Float> {
        let wide = widen(bits)
        let sign = (wide & 0x8000) &<< 16
        let magnitude = (wide & 0x7FFF) &<< 13
        var value = unsafeBitCast(magnitude, to: SIMD8<Float>.self) * SIMD8<Float>(repeating: Float(bitPattern: 0x7780_0000))
        let special = value .>= SIMD8<Float>(repeating: 65536)
        let bitsOut = unsafeBitCast(value, to: SIMD8<UInt32>.self)
        value = unsafeBitCast(bitsOut.replacing(with: bitsOut | 0x7F80_0000, where: special), to: SIMD8<Float>.self)
        return unsafeBitCast(unsafeBitCast(value, to: SIMD8<UInt32>.self) | sign, to: SIMD8<Float>.self)
    }

    @inline(__always)
    static func half(_ pointer: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfPrecision.float(fromHalfBits: UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// Integers to floats exactly (|v| < 2²⁴), written lane by lane: the standard library's generic
    /// `SIMD8<Float>(SIMD8<Int32>)` is an outlined call in kernel loops that cost a tenth of decode time, while the
    /// eight-argument initializer is transparent and becomes one `vcvtdq2ps` (the add-a-magic-number trick used
    /// before took two instructions).
    @inline(__always)
    static func floats(_ v: SIMD8<Int32>) -> SIMD8<Float> {
        SIMD8<Float>(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]), Float(v[4]), Float(v[5]), Float(v[6]), Float(v[7]))
    }

    @inline(__always)
    static func floats(_ bytes: SIMD8<UInt8>) -> SIMD8<Float> {
        floats(widen(bytes))
    }

    @inline(__always)
    static func store(_ value: SIMD8<Float>, _ destination: UnsafeMutablePointer<Float>, _ offset: Int) {
        UnsafeMutableRawPointer(destination + offset).storeBytes(of: value, as: SIMD8<Float>.self)
    }

    // MARK: Formats

    static func f16(_ source: UnsafeRawPointer, _ count: Int, _ y: UnsafeMutablePointer<Float>) {
        var index = 0
        while index + 8 <= count {
            store(halves(source.loadUnaligned(fromByteOffset: index * 2, as: SIMD8<UInt16>.self)), y, index)
            index &+= 8
        }
        while index < count {
            y[index] = half(source, index * 2)
            index &+= 1
        }
    }

    static func bf16(_ source: UnsafeRawPointer, _ count: Int, _ y: UnsafeMutablePointer<Float>) {
        for index in 0..<count {
            y[index] = HalfPrecision.float(fromBFloat16Bits: source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
        }
    }

    /// Signed bytes to floats exactly: sign-extended lane by lane (one `vpmovsxbd`, as `widen` gives `vpmovzxbd`;
    /// the generic conversion is an outlined call) and converted (`vcvtdq2ps`).
    @inline(__always)
    static func floats(signed bytes: SIMD8<UInt8>) -> SIMD8<Float> {
        let v = unsafeBitCast(bytes, to: SIMD8<Int8>.self)
        return floats(SIMD8<Int32>(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]),
                                   Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7])))
    }

    /// One Q8_0 block as four vectors; the single definition both the row dequantizer and the fused decode
    /// kernel use, so a weight has one value whichever path reads it.
    @inline(__always)
    static func q8_0Block(_ x: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let d = SIMD8<Float>(repeating: half(x, 0))
        let q = x.loadUnaligned(fromByteOffset: 2, as: SIMD32<UInt8>.self)
        let low = q.lowHalf, high = q.highHalf
        return (floats(signed: low.lowHalf) * d, floats(signed: low.highHalf) * d,
                floats(signed: high.lowHalf) * d, floats(signed: high.highHalf) * d)
    }

    /// One Q4_1 block as four vectors (see `q8_0Block`). q·d is exact in Float (a 4-bit integer times a half's
    /// 11-bit significand), so the fused `m + q·d` rounds exactly as the separate product and sum do: every build
    /// gets the values ggml's dequantizer gives, with one instruction fewer per eight weights where FMA exists.
    @inline(__always)
    static func q4_1Block(_ x: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let d = SIMD8<Float>(repeating: half(x, 0))
        let m = SIMD8<Float>(repeating: half(x, 2))
        let q = x.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
        let low = q & 0x0F, high = q &>> 4
        return (multiplyAdd(m, floats(low.lowHalf), d), multiplyAdd(m, floats(low.highHalf), d),
                multiplyAdd(m, floats(high.lowHalf), d), multiplyAdd(m, floats(high.highHalf), d))
    }

    static func q8_0(_ source: UnsafeRawPointer, _ blocks: Int, _ y: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let (v0, v1, v2, v3) = q8_0Block(source + block * 34)
            let out = y + block * 32
            store(v0, out, 0); store(v1, out, 8); store(v2, out, 16); store(v3, out, 24)
        }
    }

    static func q4_0(_ source: UnsafeRawPointer, _ blocks: Int, _ y: UnsafeMutablePointer<Float>) {
        let eight = SIMD8<Float>(repeating: 8)
        for block in 0..<blocks {
            let x = source + block * 18
            let d = SIMD8<Float>(repeating: half(x, 0))
            let q = x.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
            let low = q & 0x0F, high = q &>> 4
            let out = y + block * 32
            store((floats(low.lowHalf) - eight) * d, out, 0)
            store((floats(low.highHalf) - eight) * d, out, 8)
            store((floats(high.lowHalf) - eight) * d, out, 16)
            store((floats(high.highHalf) - eight) * d, out, 24)
        }
    }

    static func q4_1(_ source: UnsafeRawPointer, _ blocks: Int, _ y: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let (v0, v1, v2, v3) = q4_1Block(source + block * 20)
            let out = y + block * 32
            store(v0, out, 0); store(v1, out, 8); store(v2, out, 16); store(v3, out, 24)
        }
    }

    /// One Q5_0 block as four vectors (see `q8_0Block`): 4 low bits from the nibbles, the fifth from `qh`.
    /// (Not q·d − 16·d in one fused operation: equal values, but q = 16 with a negative d would give +0 for ggml's −0.)
    @inline(__always)
    static func q5_0Block(_ x: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let d = SIMD8<Float>(repeating: half(x, 0))
        let qh = SIMD8<UInt32>(repeating: UInt32(littleEndian: x.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))
        let q = x.loadUnaligned(fromByteOffset: 6, as: SIMD16<UInt8>.self)
        let low = q & 0x0F, high = q &>> 4
        let bitIndex = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        @inline(__always) func part(_ nibbles: SIMD8<UInt8>, _ shift: UInt32) -> SIMD8<Float> {
            let bits = (qh &>> (bitIndex &+ shift)) & 1
            let values = unsafeBitCast(widen(nibbles), to: SIMD8<UInt32>.self) | (bits &<< 4)
            return (floats(unsafeBitCast(values, to: SIMD8<Int32>.self)) - SIMD8<Float>(repeating: 16)) * d
        }
        return (part(low.lowHalf, 0), part(low.highHalf, 8), part(high.lowHalf, 16), part(high.highHalf, 24))
    }

    static func q5_0(_ source: UnsafeRawPointer, _ blocks: Int, _ y: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let (v0, v1, v2, v3) = q5_0Block(source + block * 22)
            let out = y + block * 32
            store(v0, out, 0); store(v1, out, 8); store(v2, out, 16); store(v3, out, 24)
        }
    }

    static func q4_K(_ source: UnsafeRawPointer, _ blocks: Int, _ y: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let x = source + block * 144
            let d = half(x, 0), dmin = half(x, 2)
            let out = y + block * 256
            for chunk in 0..<4 {
                let (scale1, min1) = scaleAndMinK4(2 * chunk, x, scales: 4)
                let (scale2, min2) = scaleAndMinK4(2 * chunk + 1, x, scales: 4)
                // d·scale (a half's 11-bit significand times a 6-bit integer) and its product with a 4-bit q are
                // exact in Float, so the fused q·d1 + offset1 (offset = −dmin·min) rounds as the separate product
                // and difference do.
                let d1 = SIMD8<Float>(repeating: d * Float(scale1)), offset1 = SIMD8<Float>(repeating: -(dmin * Float(min1)))
                let d2 = SIMD8<Float>(repeating: d * Float(scale2)), offset2 = SIMD8<Float>(repeating: -(dmin * Float(min2)))
                for half in 0..<2 {
                    let q = x.loadUnaligned(fromByteOffset: 16 + 32 * chunk + 16 * half, as: SIMD16<UInt8>.self)
                    let low = q & 0x0F, high = q &>> 4
                    let base = 64 * chunk + 16 * half
                    store(multiplyAdd(offset1, d1, floats(low.lowHalf)), out, base)
                    store(multiplyAdd(offset1, d1, floats(low.highHalf)), out, base + 8)
                    store(multiplyAdd(offset2, d2, floats(high.lowHalf)), out, base + 32)
                    store(multiplyAdd(offset2, d2, floats(high.highHalf)), out, base + 40)
                }
            }
        }
    }

    static func q6_K(_ source: UnsafeRawPointer, _ blocks: Int, _ y: UnsafeMutablePointer<Float>) {
        let thirtyTwo = SIMD8<Int32>(repeating: 32)
        for block in 0..<blocks {
            let x = source + block * 210
            let d = half(x, 208)
            for half in 0..<2 {
                let ql = 64 * half, qh = 128 + 32 * half, sc = 192 + 8 * half
                let out = y + block * 256 + 128 * half
                for part in 0..<4 {
                    let l = 8 * part
                    let group = part / 2
                    let low0 = widen(x.loadUnaligned(fromByteOffset: ql + l, as: SIMD8<UInt8>.self))
                    let low1 = widen(x.loadUnaligned(fromByteOffset: ql + l + 32, as: SIMD8<UInt8>.self))
                    let high = widen(x.loadUnaligned(fromByteOffset: qh + l, as: SIMD8<UInt8>.self))
                    let q1 = ((low0 & 0x0F) | ((high & 3) &<< 4)) &- thirtyTwo
                    let q2 = ((low1 & 0x0F) | (((high &>> 2) & 3) &<< 4)) &- thirtyTwo
                    let q3 = ((low0 &>> 4) | (((high &>> 4) & 3) &<< 4)) &- thirtyTwo
                    let q4 = ((low1 &>> 4) | (((high &>> 6) & 3) &<< 4)) &- thirtyTwo
                    func scale(_ i: Int) -> SIMD8<Float> {
                        SIMD8<Float>(repeating: d * Float(Int8(bitPattern: x.load(fromByteOffset: sc + group + i, as: UInt8.self))))
                    }
                    store(scale(0) * floats(q1), out, l)
                    store(scale(2) * floats(q2), out, l + 32)
                    store(scale(4) * floats(q3), out, l + 64)
                    store(scale(6) * floats(q4), out, l + 96)
                }
            }
        }
    }
}

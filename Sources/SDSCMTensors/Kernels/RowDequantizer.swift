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
        case .q8_0: blocks(Q8_0Decoder.self, source, count, destination)
        case .q4_0: blocks(Q4_0Decoder.self, source, count, destination)
        case .q4_1: blocks(Q4_1Decoder.self, source, count, destination)
        case .q5_0: blocks(Q5_0Decoder.self, source, count, destination)
        case .q4_K: blocks(Q4_KDecoder.self, source, count, destination)
        case .q6_K: blocks(Q6_KDecoder.self, source, count, destination)
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

    /// Sign-extends eight bytes (see `widen(_: SIMD8<UInt8>)`): one `vpmovsxbd`.
    @inline(__always)
    static func widen(_ v: SIMD8<Int8>) -> SIMD8<Int32> {
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

    /// A row of `count` elements of a block format, chunk by chunk through the decoder the fused decode kernel
    /// also uses.
    @inline(__always)
    static func blocks<Decoder: BlockDecoder>(
        _: Decoder.Type, _ source: UnsafeRawPointer, _ count: Int, _ y: UnsafeMutablePointer<Float>
    ) {
        let elementsPerBlock = 32 * Decoder.chunksPerBlock
        for block in 0..<count / elementsPerBlock {
            let x = source + block * Decoder.bytesPerBlock
            let factors = Decoder.factors(x)
            for chunk in 0..<Decoder.chunksPerBlock {
                let (v0, v1, v2, v3) = Decoder.decode(x, factors, chunk: chunk)
                let out = y + block * elementsPerBlock + 32 * chunk
                store(v0, out, 0); store(v1, out, 8); store(v2, out, 16); store(v3, out, 24)
            }
        }
    }

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
        floats(widen(unsafeBitCast(bytes, to: SIMD8<Int8>.self)))
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

    /// One Q4_0 block as four vectors (see `q8_0Block`): (q − 8)·d, both steps exact but the product.
    @inline(__always)
    static func q4_0Block(_ x: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let d = SIMD8<Float>(repeating: half(x, 0)), eight = SIMD8<Float>(repeating: 8)
        let q = x.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
        let low = q & 0x0F, high = q &>> 4
        return ((floats(low.lowHalf) - eight) * d, (floats(low.highHalf) - eight) * d,
                (floats(high.lowHalf) - eight) * d, (floats(high.highHalf) - eight) * d)
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

    /// What a Q4_K super-block's chunks share: d·scale and −dmin·min of each 32-element sub-block.
    struct Q4_KFactors {
        var scales: SIMD8<Float>
        var offsets: SIMD8<Float>
    }

    /// ggml's `get_scale_min_k4` for all eight sub-blocks at once, on 32-bit lanes (x86 has no per-lane byte
    /// shifts): scale j < 4 is `s[j] & 63`, scale j ≥ 4 is `s[j+4] & 15 | (s[j−4] >> 6) << 4`; min j < 4 is
    /// `s[j+4] & 63`, min j ≥ 4 is `s[j+4] >> 4 | (s[j] >> 6) << 4`, where `s` are the 12 scale bytes.
    @inline(__always)
    static func q4_KFactors(_ x: UnsafeRawPointer) -> Q4_KFactors {
        let d = half(x, 0), dmin = half(x, 2)
        let s = x.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
        let scaleLow = widen(SIMD8<UInt8>(s[0], s[1], s[2], s[3], s[8], s[9], s[10], s[11]))
        let minLow = widen(SIMD8<UInt8>(s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11]))
        let scaleHigh = (widen(SIMD8<UInt8>(0, 0, 0, 0, s[0], s[1], s[2], s[3])) &>> 6) &<< 4
        let minHigh = (widen(SIMD8<UInt8>(0, 0, 0, 0, s[4], s[5], s[6], s[7])) &>> 6) &<< 4
        let mask = SIMD8<Int32>(63, 63, 63, 63, 15, 15, 15, 15)
        let minShift = SIMD8<Int32>(0, 0, 0, 0, 4, 4, 4, 4)
        let scales = (scaleLow & mask) | scaleHigh
        let mins = ((minLow &>> minShift) & mask) | minHigh
        return Q4_KFactors(scales: floats(scales) * SIMD8<Float>(repeating: d),
                           offsets: -(floats(mins) * SIMD8<Float>(repeating: dmin)))
    }

    /// Sub-block `j` of a Q4_K super-block: low nibbles of bytes 32⌊j/2⌋… for even j, high nibbles for odd.
    /// d·scale (a half's 11-bit significand times a 6-bit integer) and its product with a 4-bit q are exact in
    /// Float, so the fused q·d·scale + offset rounds as ggml's separate product and difference do.
    @inline(__always)
    static func q4_KChunk(_ x: UnsafeRawPointer, _ factors: Q4_KFactors, _ j: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        // Sixteen-byte halves: the standard library's 32-lane operations stay lane-by-lane loops here.
        let bytes = 16 + 32 * (j >> 1)
        let q0 = x.loadUnaligned(fromByteOffset: bytes, as: SIMD16<UInt8>.self)
        let q1 = x.loadUnaligned(fromByteOffset: bytes + 16, as: SIMD16<UInt8>.self)
        let even = j & 1 == 0
        let n0 = even ? q0 & 0x0F : q0 &>> 4, n1 = even ? q1 & 0x0F : q1 &>> 4
        let scale = SIMD8<Float>(repeating: factors.scales[j]), offset = SIMD8<Float>(repeating: factors.offsets[j])
        return (multiplyAdd(offset, scale, floats(n0.lowHalf)), multiplyAdd(offset, scale, floats(n0.highHalf)),
                multiplyAdd(offset, scale, floats(n1.lowHalf)), multiplyAdd(offset, scale, floats(n1.highHalf)))
    }

    /// d·scale of a Q6_K super-block's 16 groups of 16 (exact: 11 by 8 significant bits).
    @inline(__always)
    static func q6_KFactors(_ x: UnsafeRawPointer) -> SIMD16<Float> {
        let d = SIMD8<Float>(repeating: half(x, 208))
        let scales = x.loadUnaligned(fromByteOffset: 192, as: SIMD16<UInt8>.self)
        return SIMD16<Float>(lowHalf: floats(signed: scales.lowHalf) * d, highHalf: floats(signed: scales.highHalf) * d)
    }

    /// Elements 32j…32j+31 of a Q6_K super-block. Half h = ⌊j/4⌋ holds four 32-element parts p = j mod 4: low
    /// nibbles of `ql[64h…]` (p = 0) or `ql[64h+32…]` (p = 1), high nibbles of the same (p = 2, 3), each with bits
    /// 2p, 2p+1 of `qh[32h…]` on top; its first 16 elements use scale 8h+2p, the next 16 scale 8h+2p+1.
    @inline(__always)
    static func q6_KChunk(_ x: UnsafeRawPointer, _ scales: SIMD16<Float>, _ j: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let (q0, q1) = q6_KLevels(x, j)
        let h = j >> 2, p = j & 3
        let first = SIMD8<Float>(repeating: scales[8 * h + 2 * p]), second = SIMD8<Float>(repeating: scales[8 * h + 2 * p + 1])
        let centre = SIMD8<Float>(repeating: 32)
        // q − 32 is exact in Float either way; the product is the reference's d·scale × (q − 32).
        return (first * (floats(q0.lowHalf) - centre), first * (floats(q0.highHalf) - centre),
                second * (floats(q1.lowHalf) - centre), second * (floats(q1.highHalf) - centre))
    }

    /// The unsigned 6-bit levels q (value = d·scale·(q − 32)) of elements 32j…32j+31 of a Q6_K super-block, as
    /// two sixteen-byte halves (the standard library's 32-lane operations stay lane-by-lane loops here).
    @inline(__always)
    static func q6_KLevels(_ x: UnsafeRawPointer, _ j: Int) -> (SIMD16<UInt8>, SIMD16<UInt8>) {
        let h = j >> 2, p = j & 3
        let low = 64 * h + 32 * (p & 1), high = 128 + 32 * h
        let nibbleShift: UInt8 = p < 2 ? 0 : 4, bitShift = UInt8(2 * p)
        @inline(__always) func levels(_ offset: Int) -> SIMD16<UInt8> {
            let ql = x.loadUnaligned(fromByteOffset: low + offset, as: SIMD16<UInt8>.self)
            let qh = x.loadUnaligned(fromByteOffset: high + offset, as: SIMD16<UInt8>.self)
            return ((ql &>> nibbleShift) & 0x0F) | (((qh &>> bitShift) & 3) &<< 4)
        }
        return (levels(0), levels(16))
    }
}

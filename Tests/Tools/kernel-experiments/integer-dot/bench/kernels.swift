// Q8_0 x Q8_0 and Q4_1 x Q8_1 row dot products: integer (reduction-shaped, lowers to vpmaddwd / vpdpbusd)
// and float (dequantize block to SIMD8<Float>, FMA with float activations) versions.
// Activations are pre-quantized once per GEMV into: xq (Int8, k), xd (Float per block), xs (Float per block, Q8_1 d*sum).

@inline(__always) func ld32s(_ p: UnsafeRawPointer, _ i: Int) -> SIMD32<Int8> { p.loadUnaligned(fromByteOffset: i, as: SIMD32<Int8>.self) }
@inline(__always) func ld32u(_ p: UnsafeRawPointer, _ i: Int) -> SIMD32<UInt8> { p.loadUnaligned(fromByteOffset: i, as: SIMD32<UInt8>.self) }
@inline(__always) func ld16u(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<UInt8> { p.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self) }
@inline(__always) func half(_ p: UnsafeRawPointer, _ i: Int) -> Float {
    Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
}
/// 16 packed nibbles -> 32 UInt8 (low nibbles are elements 0..15, high nibbles 16..31), straight-line.
@inline(__always) func nibbles(_ q: SIMD16<UInt8>) -> SIMD32<UInt8> {
    let l = q & 0x0F
    let h = SIMD16<UInt8>(q[0] >> 4, q[1] >> 4, q[2] >> 4, q[3] >> 4, q[4] >> 4, q[5] >> 4, q[6] >> 4, q[7] >> 4,
                          q[8] >> 4, q[9] >> 4, q[10] >> 4, q[11] >> 4, q[12] >> 4, q[13] >> 4, q[14] >> 4, q[15] >> 4)
    return SIMD32<UInt8>(l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7], l[8], l[9], l[10], l[11], l[12], l[13], l[14], l[15],
                         h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15])
}
/// The integer block dot: reduce(add(mul(ext a, ext b))) -- the shape LLVM turns into vpmaddwd / vpdpbusd.
@inline(__always) func idot(_ a: SIMD32<Int8>, _ b: SIMD32<Int8>) -> Int32 { hsum(w32(a) &* w32(b)) }
@inline(__always) func idot(_ a: SIMD32<UInt8>, _ b: SIMD32<Int8>) -> Int32 { hsum(w32(a) &* w32(b)) }

// ---------- integer kernels ----------
@inline(never) public func gemvQ8_0Int(_ w: UnsafeRawPointer, rows: Int, k: Int, xq: UnsafePointer<Int8>, xd: UnsafePointer<Float>,
                                       _ y: UnsafeMutablePointer<Float>) {
    let blocks = k / 32, rb = blocks * 34
    let xr = UnsafeRawPointer(xq)
    var r = 0
    while r + 2 <= rows {
        let r0 = w + r * rb, r1 = r0 + rb
        var c0: Float = 0, c1: Float = 0
        for b in 0..<blocks {
            let x = ld32s(xr, 32 * b), d = xd[b]
            c0 = c0.addingProduct(Float(idot(ld32s(r0, 34 * b + 2), x)), half(r0, 34 * b) * d)
            c1 = c1.addingProduct(Float(idot(ld32s(r1, 34 * b + 2), x)), half(r1, 34 * b) * d)
        }
        y[r] = c0; y[r + 1] = c1; r += 2
    }
    while r < rows {
        let r0 = w + r * rb; var c0: Float = 0
        for b in 0..<blocks { c0 = c0.addingProduct(Float(idot(ld32s(r0, 34 * b + 2), ld32s(xr, 32 * b))), half(r0, 34 * b) * xd[b]) }
        y[r] = c0; r += 1
    }
}

@inline(never) public func gemvQ4_1Int(_ w: UnsafeRawPointer, rows: Int, k: Int, xq: UnsafePointer<Int8>, xd: UnsafePointer<Float>,
                                       xs: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let blocks = k / 32, rb = blocks * 20
    let xr = UnsafeRawPointer(xq)
    var r = 0
    while r + 2 <= rows {
        let r0 = w + r * rb, r1 = r0 + rb
        var c0: Float = 0, c1: Float = 0
        for b in 0..<blocks {
            let x = ld32s(xr, 32 * b), d = xd[b], s = xs[b]
            let o = 20 * b
            c0 = c0.addingProduct(Float(idot(nibbles(ld16u(r0, o + 4)), x)), half(r0, o) * d).addingProduct(half(r0, o + 2), s)
            c1 = c1.addingProduct(Float(idot(nibbles(ld16u(r1, o + 4)), x)), half(r1, o) * d).addingProduct(half(r1, o + 2), s)
        }
        y[r] = c0; y[r + 1] = c1; r += 2
    }
    while r < rows {
        let r0 = w + r * rb; var c0: Float = 0
        for b in 0..<blocks {
            let o = 20 * b
            c0 = c0.addingProduct(Float(idot(nibbles(ld16u(r0, o + 4)), ld32s(xr, 32 * b))), half(r0, o) * xd[b]).addingProduct(half(r0, o + 2), xs[b])
        }
        y[r] = c0; r += 1
    }
}

// ---------- float kernels (engine-style: dequantize block in registers, FMA with float activations) ----------
@inline(__always) func f8(_ v: SIMD32<Int8>, _ o: Int) -> SIMD8<Float> {
    SIMD8<Float>(Float(v[o]), Float(v[o + 1]), Float(v[o + 2]), Float(v[o + 3]), Float(v[o + 4]), Float(v[o + 5]), Float(v[o + 6]), Float(v[o + 7]))
}
@inline(__always) func f8(_ v: SIMD32<UInt8>, _ o: Int) -> SIMD8<Float> {
    SIMD8<Float>(Float(v[o]), Float(v[o + 1]), Float(v[o + 2]), Float(v[o + 3]), Float(v[o + 4]), Float(v[o + 5]), Float(v[o + 6]), Float(v[o + 7]))
}
@inline(__always) func ldf(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> { UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) }
@inline(__always) func hsumf(_ v: SIMD8<Float>) -> Float { let h = v.lowHalf + v.highHalf; return (h[0] + h[2]) + (h[1] + h[3]) }
@inline(__always) func q8Block(_ p: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    let d = SIMD8<Float>(repeating: half(p, 0)); let q = ld32s(p, 2)
    return (f8(q, 0) * d, f8(q, 8) * d, f8(q, 16) * d, f8(q, 24) * d)
}
@inline(__always) func q41Block(_ p: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    let d = SIMD8<Float>(repeating: half(p, 0)), m = SIMD8<Float>(repeating: half(p, 2)); let q = nibbles(ld16u(p, 4))
    return (f8(q, 0) * d + m, f8(q, 8) * d + m, f8(q, 16) * d + m, f8(q, 24) * d + m)
}
@inline(__always) func fma4(_ c: SIMD8<Float>, _ w: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>), _ x: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
    c.addingProduct(w.0, ldf(x, i)).addingProduct(w.1, ldf(x, i + 8)).addingProduct(w.2, ldf(x, i + 16)).addingProduct(w.3, ldf(x, i + 24))
}
@inline(never) public func gemvFloat(q41: Bool, _ w: UnsafeRawPointer, rows: Int, k: Int, x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let blocks = k / 32, bb = q41 ? 20 : 34, rb = blocks * bb
    var r = 0
    while r + 2 <= rows {
        let r0 = w + r * rb, r1 = r0 + rb
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>()
        if q41 {
            for b in 0..<blocks { c0 = fma4(c0, q41Block(r0 + bb * b), x, 32 * b); c1 = fma4(c1, q41Block(r1 + bb * b), x, 32 * b) }
        } else {
            for b in 0..<blocks { c0 = fma4(c0, q8Block(r0 + bb * b), x, 32 * b); c1 = fma4(c1, q8Block(r1 + bb * b), x, 32 * b) }
        }
        y[r] = hsumf(c0); y[r + 1] = hsumf(c1); r += 2
    }
}

// ---------- one row at a time (no shared activation widening between rows) ----------
@inline(never) public func gemvQ8_0Int1(_ w: UnsafeRawPointer, rows: Int, k: Int, xq: UnsafePointer<Int8>, xd: UnsafePointer<Float>,
                                        _ y: UnsafeMutablePointer<Float>) {
    let blocks = k / 32, rb = blocks * 34
    let xr = UnsafeRawPointer(xq)
    for r in 0..<rows {
        let r0 = w + r * rb; var c0: Float = 0
        for b in 0..<blocks { c0 = c0.addingProduct(Float(idot(ld32s(r0, 34 * b + 2), ld32s(xr, 32 * b))), half(r0, 34 * b) * xd[b]) }
        y[r] = c0
    }
}
@inline(never) public func gemvQ4_1Int1(_ w: UnsafeRawPointer, rows: Int, k: Int, xq: UnsafePointer<Int8>, xd: UnsafePointer<Float>,
                                        xs: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let blocks = k / 32, rb = blocks * 20
    let xr = UnsafeRawPointer(xq)
    for r in 0..<rows {
        let r0 = w + r * rb; var c0: Float = 0
        for b in 0..<blocks {
            let o = 20 * b
            c0 = c0.addingProduct(Float(idot(nibbles(ld16u(r0, o + 4)), ld32s(xr, 32 * b))), half(r0, o) * xd[b]).addingProduct(half(r0, o + 2), xs[b])
        }
        y[r] = c0
    }
}

// ---------- one row, 8 blocks per step: 8 block sums -> SIMD8<Int32> -> SIMD8<Float> FMA with 8 scales ----------
@inline(never) public func gemvQ8_0Int8(_ w: UnsafeRawPointer, rows: Int, k: Int, xq: UnsafePointer<Int8>, xd: UnsafePointer<Float>,
                                        _ y: UnsafeMutablePointer<Float>) {
    let blocks = k / 32, rb = blocks * 34
    let xr = UnsafeRawPointer(xq)
    for r in 0..<rows {
        let p = w + r * rb
        var acc = SIMD8<Float>()
        var b = 0
        @inline(__always) func s(_ i: Int) -> Int32 { idot(ld32s(p, 34 * (b + i) + 2), ld32s(xr, 32 * (b + i))) }
        @inline(__always) func h(_ i: Int) -> Float { half(p, 34 * (b + i)) }
        while b + 8 <= blocks {
            let isum = SIMD8<Int32>(s(0), s(1), s(2), s(3), s(4), s(5), s(6), s(7))
            let scale = SIMD8<Float>(h(0), h(1), h(2), h(3), h(4), h(5), h(6), h(7)) * ldf(xd, b)
            acc = acc.addingProduct(f32(isum), scale)
            b += 8
        }
        var c = hsumf(acc)
        while b < blocks { c = c.addingProduct(Float(s(0)), h(0) * xd[b]); b += 1 }
        y[r] = c
    }
}
@inline(never) public func gemvQ4_1Int8(_ w: UnsafeRawPointer, rows: Int, k: Int, xq: UnsafePointer<Int8>, xd: UnsafePointer<Float>,
                                        xs: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let blocks = k / 32, rb = blocks * 20
    let xr = UnsafeRawPointer(xq)
    for r in 0..<rows {
        let p = w + r * rb
        var acc = SIMD8<Float>()
        var b = 0
        @inline(__always) func s(_ i: Int) -> Int32 { idot(nibbles(ld16u(p, 20 * (b + i) + 4)), ld32s(xr, 32 * (b + i))) }
        @inline(__always) func h(_ i: Int, _ o: Int) -> Float { half(p, 20 * (b + i) + o) }
        while b + 8 <= blocks {
            let isum = SIMD8<Int32>(s(0), s(1), s(2), s(3), s(4), s(5), s(6), s(7))
            let d = SIMD8<Float>(h(0, 0), h(1, 0), h(2, 0), h(3, 0), h(4, 0), h(5, 0), h(6, 0), h(7, 0)) * ldf(xd, b)
            let m = SIMD8<Float>(h(0, 2), h(1, 2), h(2, 2), h(3, 2), h(4, 2), h(5, 2), h(6, 2), h(7, 2))
            acc = acc.addingProduct(f32(isum), d).addingProduct(m, ldf(xs, b))
            b += 8
        }
        var c = hsumf(acc)
        while b < blocks { c = c.addingProduct(Float(s(0)), h(0, 0) * xd[b]).addingProduct(h(0, 2), xs[b]); b += 1 }
        y[r] = c
    }
}

// Shapes through the straight-line helpers (helpers2.swift). Same math as cand2.swift.
@inline(never) public func p3_s8s8_reduce(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var s: Int32 = 0; var i = 0
    while i < n { s &+= hsum(w32(ld32s(a, i)) &* w32(ld32s(b, i))); i += 32 }
    return s
}
@inline(never) public func p3_u8s8_reduce(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var s: Int32 = 0; var i = 0
    while i < n { s &+= hsum(w32(ld32u(a, i)) &* w32(ld32s(b, i))); i += 32 }
    return s
}
@inline(never) public func q3_s8s8_mul_evod(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>(); var i = 0
    while i < n { let p = w32(ld32s(a, i)) &* w32(ld32s(b, i)); acc &+= ev(p) &+ od(p); i += 32 }
    return hsum(acc)
}
@inline(never) public func q3_u8s8_mul_evod(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>(); var i = 0
    while i < n { let p = w32(ld32u(a, i)) &* w32(ld32s(b, i)); acc &+= ev(p) &+ od(p); i += 32 }
    return hsum(acc)
}
@inline(never) public func r3_s8s8_evod_mul(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>(); var i = 0
    while i < n { let x = w32(ld32s(a, i)), y = w32(ld32s(b, i)); acc &+= ev(x) &* ev(y) &+ od(x) &* od(y); i += 32 }
    return hsum(acc)
}
@inline(never) public func s3_u8s8_quad(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD8<Int32>(); var i = 0
    while i < n {
        let p = w32(ld32u(a, i)) &* w32(ld32s(b, i)); let e = ev(p), o = od(p)
        acc &+= (ev(e) &+ od(e)) &+ (ev(o) &+ od(o)); i += 32
    }
    return hsum(acc)
}
@inline(never) public func s3_s8s8_quad(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD8<Int32>(); var i = 0
    while i < n {
        let p = w32(ld32s(a, i)) &* w32(ld32s(b, i)); let e = ev(p), o = od(p)
        acc &+= (ev(e) &+ od(e)) &+ (ev(o) &+ od(o)); i += 32
    }
    return hsum(acc)
}
@inline(never) public func t3_s8s8_vecacc(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD32<Int32>(); var i = 0
    while i < n { acc &+= w32(ld32s(a, i)) &* w32(ld32s(b, i)); i += 32 }
    return hsum(acc)
}
// V: Int16 multiply (exact for |q| <= 127 x 127... and for -128*-128=16384), then widen even/odd and add
@inline(never) public func v3_s8s8_i16mul(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>(); var i = 0
    while i < n { let p = w16(ld32s(a, i)) &* w16(ld32s(b, i)); acc &+= w32(ev(p)) &+ w32(od(p)); i += 32 }
    return hsum(acc)
}
// H: pmaddubsw pattern: (zext u8 * sext s8) pair sums, signed-saturated to Int16, then widened
@inline(never) public func h3_u8s8_maddubs(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>(); var i = 0
    while i < n {
        let x = w32(ld32u(a, i)), y = w32(ld32s(b, i))
        let s = ev(x) &* ev(y) &+ od(x) &* od(y)
        let c = s.replacing(with: -32768, where: s .< -32768).replacing(with: 32767, where: s .> 32767)
        acc &+= w32(SIMD16<Int16>(c[0].i16, c[1].i16, c[2].i16, c[3].i16, c[4].i16, c[5].i16, c[6].i16, c[7].i16,
                                  c[8].i16, c[9].i16, c[10].i16, c[11].i16, c[12].i16, c[13].i16, c[14].i16, c[15].i16))
        i += 32
    }
    return hsum(acc)
}
extension Int32 { @inline(__always) var i16: Int16 { Int16(truncatingIfNeeded: self) } }

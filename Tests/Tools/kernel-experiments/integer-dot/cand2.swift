// Same shapes as candidates.swift, but through the force-inlined helpers.
// P: per block 32 products widened to Int32, per-block lane sum (reduce(add(mul(ext,ext))))  -> VNNI vpdpbusd candidate
@inline(never) public func p_s8s8_reduce(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var s: Int32 = 0; var i = 0
    while i < n { s &+= sum(i32(ld32s(a, i)) &* i32(ld32s(b, i))); i += 32 }
    return s
}
@inline(never) public func p_u8s8_reduce(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var s: Int32 = 0; var i = 0
    while i < n { s &+= sum(i32(ld32u(a, i)) &* i32(ld32s(b, i))); i += 32 }
    return s
}
// Q: mul in Int32 then add even+odd lanes (pmaddwd "mul first" pattern), vector accumulator
@inline(never) public func q_s8s8_mul_evenodd(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>(); var i = 0
    while i < n { let p = i32(ld32s(a, i)) &* i32(ld32s(b, i)); acc &+= even(p) &+ odd(p); i += 32 }
    return sum(acc)
}
@inline(never) public func q_u8s8_mul_evenodd(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>(); var i = 0
    while i < n { let p = i32(ld32u(a, i)) &* i32(ld32s(b, i)); acc &+= even(p) &+ odd(p); i += 32 }
    return sum(acc)
}
// R: even/odd first then widen, mul, add (pmaddwd "ext first" pattern)
@inline(never) public func r_s8s8_evenodd_mul(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>(); var i = 0
    while i < n {
        let x = i32(ld32s(a, i)), y = i32(ld32s(b, i))
        acc &+= even(x) &* even(y) &+ odd(x) &* odd(y); i += 32
    }
    return sum(acc)
}
// S: quad sum (4 adjacent products per Int32 lane: vpdpbusd lane semantics), vector accumulator SIMD8
@inline(never) public func s_u8s8_quad(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD8<Int32>(); var i = 0
    while i < n {
        let p = i32(ld32u(a, i)) &* i32(ld32s(b, i))
        let e = even(p), o = odd(p)
        acc &+= (even(e) &+ odd(e)) &+ (even(o) &+ odd(o)); i += 32
    }
    return sum(acc)
}
@inline(never) public func s_s8s8_quad(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD8<Int32>(); var i = 0
    while i < n {
        let p = i32(ld32s(a, i)) &* i32(ld32s(b, i))
        let e = even(p), o = odd(p)
        acc &+= (even(e) &+ odd(e)) &+ (even(o) &+ odd(o)); i += 32
    }
    return sum(acc)
}
// T: vector accumulator of full products, SIMD32<Int32> (no pairing)
@inline(never) public func t_s8s8_vecacc(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    var acc = SIMD32<Int32>(); var i = 0
    while i < n { acc &+= i32(ld32s(a, i)) &* i32(ld32s(b, i)); i += 32 }
    return sum(acc)
}
// U: per-block scalar loop with fixed trip count 32 (what a block kernel would write)
@inline(never) public func u_s8s8_blockscalar(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    let x = a.assumingMemoryBound(to: Int8.self), y = b.assumingMemoryBound(to: Int8.self)
    var s: Int32 = 0; var i = 0
    while i < n { var t: Int32 = 0; for j in 0..<32 { t &+= Int32(x[i + j]) &* Int32(y[i + j]) }; s &+= t; i += 32 }
    return s
}
@inline(never) public func u_u8s8_blockscalar(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
    let x = a.assumingMemoryBound(to: UInt8.self), y = b.assumingMemoryBound(to: Int8.self)
    var s: Int32 = 0; var i = 0
    while i < n { var t: Int32 = 0; for j in 0..<32 { t &+= Int32(x[i + j]) &* Int32(y[i + j]) }; s &+= t; i += 32 }
    return s
}

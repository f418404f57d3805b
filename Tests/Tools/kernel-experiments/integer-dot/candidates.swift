// Candidate formulations of an int8 x int8 (and uint8 x int8) dot product over `n` elements (n % 32 == 0).
// Each returns the exact Int32 sum. Compile with -emit-assembly and count instructions per function.

@inline(__always) func ld32s(_ p: UnsafePointer<Int8>, _ i: Int) -> SIMD32<Int8> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD32<Int8>.self)
}
@inline(__always) func ld32u(_ p: UnsafePointer<UInt8>, _ i: Int) -> SIMD32<UInt8> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD32<UInt8>.self)
}

// A: plain scalar loop, wrapping Int32 ops (spec §3: auto-vectorizes to vpmovsxbw+vpmaddwd on haswell).
@inline(never) public func dotA_scalar(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var s: Int32 = 0
    for i in 0..<n { s &+= Int32(a[i]) &* Int32(b[i]) }
    return s
}

// B: widen to Int16, &* in Int16, then pairwise add even/odd after widening to Int32.
@inline(never) public func dotB_i16mul_evenodd(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>()
    var i = 0
    while i < n {
        let p = SIMD32<Int16>(truncatingIfNeeded: ld32s(a, i)) &* SIMD32<Int16>(truncatingIfNeeded: ld32s(b, i))
        acc &+= SIMD16<Int32>(truncatingIfNeeded: p.evenHalf) &+ SIMD16<Int32>(truncatingIfNeeded: p.oddHalf)
        i += 32
    }
    return acc.wrappedSum()
}

// C: widen even/odd lanes to Int32 directly, multiply in Int32, add (the textbook pmaddwd pattern).
@inline(never) public func dotC_i32_evenodd(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>()
    var i = 0
    while i < n {
        let x = SIMD32<Int16>(truncatingIfNeeded: ld32s(a, i)), y = SIMD32<Int16>(truncatingIfNeeded: ld32s(b, i))
        acc &+= SIMD16<Int32>(truncatingIfNeeded: x.evenHalf) &* SIMD16<Int32>(truncatingIfNeeded: y.evenHalf)
              &+ SIMD16<Int32>(truncatingIfNeeded: x.oddHalf) &* SIMD16<Int32>(truncatingIfNeeded: y.oddHalf)
        i += 32
    }
    return acc.wrappedSum()
}

// D: widen everything to SIMD32<Int32>, multiply, wrappedSum per block (reduce(add(mul(sext,sext)))).
@inline(never) public func dotD_i32_wrappedSum(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var s: Int32 = 0
    var i = 0
    while i < n {
        s &+= (SIMD32<Int32>(truncatingIfNeeded: ld32s(a, i)) &* SIMD32<Int32>(truncatingIfNeeded: ld32s(b, i))).wrappedSum()
        i += 32
    }
    return s
}

// E: widen to SIMD32<Int32>, multiply, accumulate vector (sum lanes once at the end).
@inline(never) public func dotE_i32_vecacc(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var acc = SIMD32<Int32>()
    var i = 0
    while i < n {
        acc &+= SIMD32<Int32>(truncatingIfNeeded: ld32s(a, i)) &* SIMD32<Int32>(truncatingIfNeeded: ld32s(b, i))
        i += 32
    }
    return acc.wrappedSum()
}

// F: unsigned x signed (Q4_1 nibbles x Q8_1), zext*sext in Int32, wrappedSum per block.
@inline(never) public func dotF_u8s8_wrappedSum(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var s: Int32 = 0
    var i = 0
    while i < n {
        s &+= (SIMD32<Int32>(truncatingIfNeeded: ld32u(a, i)) &* SIMD32<Int32>(truncatingIfNeeded: ld32s(b, i))).wrappedSum()
        i += 32
    }
    return s
}

// G: unsigned x signed, even/odd Int32 products, vector accumulator.
@inline(never) public func dotG_u8s8_evenodd(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>()
    var i = 0
    while i < n {
        let x = SIMD32<Int16>(truncatingIfNeeded: ld32u(a, i)), y = SIMD32<Int16>(truncatingIfNeeded: ld32s(b, i))
        acc &+= SIMD16<Int32>(truncatingIfNeeded: x.evenHalf) &* SIMD16<Int32>(truncatingIfNeeded: y.evenHalf)
              &+ SIMD16<Int32>(truncatingIfNeeded: x.oddHalf) &* SIMD16<Int32>(truncatingIfNeeded: y.oddHalf)
        i += 32
    }
    return acc.wrappedSum()
}

// H: pmaddubsw pattern: zext(u8)*sext(s8) even+odd in Int32, signed-saturate to Int16 (clamp), truncate.
// Then widen the Int16 pair sums with an even/odd madd against 1.
@inline(never) public func dotH_maddubs_sat(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var acc = SIMD8<Int32>()
    var i = 0
    while i < n {
        let x = SIMD32<Int32>(truncatingIfNeeded: ld32u(a, i)), y = SIMD32<Int32>(truncatingIfNeeded: ld32s(b, i))
        let s = x.evenHalf &* y.evenHalf &+ x.oddHalf &* y.oddHalf
        let c = s.clamped(lowerBound: SIMD16(repeating: -32768), upperBound: SIMD16(repeating: 32767))
        let h = SIMD16<Int16>(truncatingIfNeeded: c)
        acc &+= SIMD8<Int32>(truncatingIfNeeded: h.evenHalf) &+ SIMD8<Int32>(truncatingIfNeeded: h.oddHalf)
        i += 32
    }
    return acc.wrappedSum()
}

// I: Int16 inputs (pre-widened) then vector accumulate acc += even*even + odd*odd: VNNI vpdpwssd candidate.
@inline(never) public func dotI_i16_vpdpwssd(_ a: UnsafePointer<Int16>, _ b: UnsafePointer<Int16>, _ n: Int) -> Int32 {
    var acc = SIMD8<Int32>()
    var i = 0
    while i < n {
        let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Int16>.self)
        let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Int16>.self)
        acc &+= SIMD8<Int32>(truncatingIfNeeded: x.evenHalf) &* SIMD8<Int32>(truncatingIfNeeded: y.evenHalf)
              &+ SIMD8<Int32>(truncatingIfNeeded: x.oddHalf) &* SIMD8<Int32>(truncatingIfNeeded: y.oddHalf)
        i += 16
    }
    return acc.wrappedSum()
}

// J: scalar u8 x s8 loop (auto-vectorizer).
@inline(never) public func dotJ_scalar_u8s8(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var s: Int32 = 0
    for i in 0..<n { s &+= Int32(a[i]) &* Int32(b[i]) }
    return s
}

// K: u8 x s8, widen to Int32 in 4-lane groups: sum of 4 adjacent products (the vpdpbusd lane shape), vector acc.
@inline(never) public func dotK_u8s8_quad(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var acc = SIMD8<Int32>()
    var i = 0
    while i < n {
        let p = SIMD32<Int32>(truncatingIfNeeded: ld32u(a, i)) &* SIMD32<Int32>(truncatingIfNeeded: ld32s(b, i))
        let e = p.evenHalf, o = p.oddHalf
        acc &+= (e.evenHalf &+ o.evenHalf) &+ (e.oddHalf &+ o.oddHalf)
        i += 32
    }
    return acc.wrappedSum()
}

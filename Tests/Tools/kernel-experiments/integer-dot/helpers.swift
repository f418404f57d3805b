// Force-inlined replacements for stdlib SIMD conversions / even-odd halves / lane sums, which are plain
// scalar loops in the stdlib (@inlinable, not @_transparent) and are often NOT inlined by the SIL inliner.

@inline(__always) func ld32s(_ p: UnsafeRawPointer, _ i: Int) -> SIMD32<Int8> { p.loadUnaligned(fromByteOffset: i, as: SIMD32<Int8>.self) }
@inline(__always) func ld32u(_ p: UnsafeRawPointer, _ i: Int) -> SIMD32<UInt8> { p.loadUnaligned(fromByteOffset: i, as: SIMD32<UInt8>.self) }
@inline(__always) func ld16u(_ p: UnsafeRawPointer, _ i: Int) -> SIMD16<UInt8> { p.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self) }

@inline(__always) func i32(_ v: SIMD32<Int8>) -> SIMD32<Int32> {
    var r = SIMD32<Int32>(); for i in 0..<32 { r[i] = Int32(truncatingIfNeeded: v[i]) }; return r
}
@inline(__always) func i32(_ v: SIMD32<UInt8>) -> SIMD32<Int32> {
    var r = SIMD32<Int32>(); for i in 0..<32 { r[i] = Int32(truncatingIfNeeded: v[i]) }; return r
}
@inline(__always) func i16(_ v: SIMD32<Int8>) -> SIMD32<Int16> {
    var r = SIMD32<Int16>(); for i in 0..<32 { r[i] = Int16(truncatingIfNeeded: v[i]) }; return r
}
@inline(__always) func i16(_ v: SIMD32<UInt8>) -> SIMD32<Int16> {
    var r = SIMD32<Int16>(); for i in 0..<32 { r[i] = Int16(truncatingIfNeeded: v[i]) }; return r
}
@inline(__always) func i32(_ v: SIMD16<Int16>) -> SIMD16<Int32> {
    var r = SIMD16<Int32>(); for i in 0..<16 { r[i] = Int32(truncatingIfNeeded: v[i]) }; return r
}
@inline(__always) func even(_ v: SIMD32<Int32>) -> SIMD16<Int32> {
    var r = SIMD16<Int32>(); for i in 0..<16 { r[i] = v[2 * i] }; return r
}
@inline(__always) func odd(_ v: SIMD32<Int32>) -> SIMD16<Int32> {
    var r = SIMD16<Int32>(); for i in 0..<16 { r[i] = v[2 * i + 1] }; return r
}
@inline(__always) func even(_ v: SIMD16<Int32>) -> SIMD8<Int32> {
    var r = SIMD8<Int32>(); for i in 0..<8 { r[i] = v[2 * i] }; return r
}
@inline(__always) func odd(_ v: SIMD16<Int32>) -> SIMD8<Int32> {
    var r = SIMD8<Int32>(); for i in 0..<8 { r[i] = v[2 * i + 1] }; return r
}
@inline(__always) func sum(_ v: SIMD32<Int32>) -> Int32 {
    var s: Int32 = 0; for i in 0..<32 { s &+= v[i] }; return s
}
@inline(__always) func sum(_ v: SIMD16<Int32>) -> Int32 {
    var s: Int32 = 0; for i in 0..<16 { s &+= v[i] }; return s
}
@inline(__always) func sum(_ v: SIMD8<Int32>) -> Int32 {
    var s: Int32 = 0; for i in 0..<8 { s &+= v[i] }; return s
}

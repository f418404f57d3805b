@inline(never) public func dotF16(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>(); var i = 0
    while i < n {
        acc = acc.addingProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self), UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)); i += 16
    }
    return acc.sum()
}
@inline(never) public func add64(_ a: UnsafeMutablePointer<Int8>, _ b: UnsafePointer<Int8>, _ n: Int) {
    var i = 0
    while i < n {
        let v = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD64<Int8>.self) &+ UnsafeRawPointer(b + i).loadUnaligned(as: SIMD64<Int8>.self)
        UnsafeMutableRawPointer(a + i).storeBytes(of: v, as: SIMD64<Int8>.self); i += 64
    }
}
@inline(never) public func scalarDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var s: Int32 = 0; for i in 0..<n { s &+= Int32(a[i]) &* Int32(b[i]) }; return s
}

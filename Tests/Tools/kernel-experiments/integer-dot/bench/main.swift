#if canImport(Glibc)
import Glibc
#endif

// xorshift RNG (deterministic)
var rng: UInt64 = 0x9E3779B97F4A7C15
@inline(__always) func nextU() -> UInt64 { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng }
func randFloat() -> Float { Float(nextU() >> 40) / Float(1 << 24) * 2 - 1 }
func halfBits(_ f: Float) -> UInt16 { Float16(f).bitPattern }
func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec) }

struct Weights { let q8: UnsafeMutableRawPointer; let q41: UnsafeMutableRawPointer }
func makeWeights(rows: Int, k: Int, fullRange: Bool) -> Weights {
    let blocks = k / 32
    let q8 = UnsafeMutableRawPointer.allocate(byteCount: rows * blocks * 34, alignment: 64)
    let q41 = UnsafeMutableRawPointer.allocate(byteCount: rows * blocks * 20, alignment: 64)
    for r in 0..<rows { for b in 0..<blocks {
        let p = q8 + (r * blocks + b) * 34
        p.storeBytes(of: halfBits(0.01 + abs(randFloat()) * 0.02), as: UInt16.self)
        for j in 0..<32 { let v = Int8(truncatingIfNeeded: Int(nextU() % 256) - 128); p.storeBytes(of: fullRange ? v : max(v, -127), toByteOffset: 2 + j, as: Int8.self) }
        let q = q41 + (r * blocks + b) * 20
        q.storeBytes(of: halfBits(0.01 + abs(randFloat()) * 0.02), as: UInt16.self)
        q.storeBytes(of: halfBits(-0.1 * abs(randFloat())), toByteOffset: 2, as: UInt16.self)
        for j in 0..<16 { q.storeBytes(of: UInt8(truncatingIfNeeded: nextU()), toByteOffset: 4 + j, as: UInt8.self) }
    } }
    return Weights(q8: q8, q41: q41)
}
/// ggml-style activation quantization (Q8_0 / Q8_1): d = amax/127, q = round(x/d); s = d * sum(q).
func quantize(_ x: UnsafePointer<Float>, k: Int, xq: UnsafeMutablePointer<Int8>, xd: UnsafeMutablePointer<Float>, xs: UnsafeMutablePointer<Float>, fullRange: Bool) {
    for b in 0..<k / 32 {
        var amax: Float = 0
        for j in 0..<32 { amax = max(amax, abs(x[32 * b + j])) }
        let d = amax / 127, inv: Float = amax != 0 ? 127 / amax : 0
        var sum: Int32 = 0
        for j in 0..<32 {
            var q = Int32((x[32 * b + j] * inv).rounded(.toNearestOrEven))
            if fullRange && j == 5 { q = -128 }   // exercise the -128 corner in the exactness test
            xq[32 * b + j] = Int8(q); sum += q
        }
        xd[b] = Float(Float16(d)); xs[b] = Float(Float16(d * Float(sum)))
    }
}
// Scalar Int32 references (same float accumulation order as the SIMD kernels).
func refQ8(_ w: UnsafeRawPointer, row r: Int, k: Int, xq: UnsafePointer<Int8>, xd: UnsafePointer<Float>, isums: inout [Int32]) -> Float {
    let blocks = k / 32; var c: Float = 0
    for b in 0..<blocks {
        let p = w + (r * blocks + b) * 34; var s: Int32 = 0
        for j in 0..<32 { s += Int32(p.load(fromByteOffset: 2 + j, as: Int8.self)) * Int32(xq[32 * b + j]) }
        isums.append(s)
        c = c.addingProduct(Float(s), half(p, 0) * xd[b])
    }
    return c
}
func refQ41(_ w: UnsafeRawPointer, row r: Int, k: Int, xq: UnsafePointer<Int8>, xd: UnsafePointer<Float>, xs: UnsafePointer<Float>) -> Float {
    let blocks = k / 32; var c: Float = 0
    for b in 0..<blocks {
        let p = w + (r * blocks + b) * 20; var s: Int32 = 0
        for j in 0..<16 {
            let byte = p.load(fromByteOffset: 4 + j, as: UInt8.self)
            s += Int32(byte & 15) * Int32(xq[32 * b + j]) + Int32(byte >> 4) * Int32(xq[32 * b + j + 16])
        }
        c = c.addingProduct(Float(s), half(p, 0) * xd[b]).addingProduct(half(p, 2), xs[b])
    }
    return c
}

func median(_ f: () -> Void, reps: Int) -> Double {
    for _ in 0..<5 { f() }
    var t: [Double] = []
    for _ in 0..<reps { let a = now(); f(); t.append(now() - a) }
    t.sort(); return t[reps / 2]
}

let target = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "?"
var allExact = true
for (rows, k) in [(1536, 576), (576, 1536)] {
    let blocks = k / 32
    let x = UnsafeMutablePointer<Float>.allocate(capacity: k); for i in 0..<k { x[i] = randFloat() }
    let xq = UnsafeMutablePointer<Int8>.allocate(capacity: k), xd = UnsafeMutablePointer<Float>.allocate(capacity: blocks),
        xs = UnsafeMutablePointer<Float>.allocate(capacity: blocks), xf = UnsafeMutablePointer<Float>.allocate(capacity: k)
    let y = UnsafeMutablePointer<Float>.allocate(capacity: rows), y2 = UnsafeMutablePointer<Float>.allocate(capacity: rows)
    // exactness: full int8 range incl. -128 in weights and activations
    do {
        let w = makeWeights(rows: rows, k: k, fullRange: true)
        quantize(x, k: k, xq: xq, xd: xd, xs: xs, fullRange: true)
        gemvQ8_0Int(w.q8, rows: rows, k: k, xq: xq, xd: xd, y)
        gemvQ4_1Int(w.q41, rows: rows, k: k, xq: xq, xd: xd, xs: xs, y2)
        let y3 = UnsafeMutablePointer<Float>.allocate(capacity: rows), y4 = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        gemvQ8_0Int1(w.q8, rows: rows, k: k, xq: xq, xd: xd, y3)
        gemvQ4_1Int1(w.q41, rows: rows, k: k, xq: xq, xd: xd, xs: xs, y4)
        var bad8 = 0, bad41 = 0
        for r in 0..<rows {
            var isums: [Int32] = []
            let e8 = refQ8(w.q8, row: r, k: k, xq: xq, xd: xd, isums: &isums).bitPattern
            if e8 != y[r].bitPattern || e8 != y3[r].bitPattern { bad8 += 1 }
            let e41 = refQ41(w.q41, row: r, k: k, xq: xq, xd: xd, xs: xs).bitPattern
            if e41 != y2[r].bitPattern || e41 != y4[r].bitPattern { bad41 += 1 }
        }
        if bad8 + bad41 != 0 { allExact = false }
        print("[\(target)] exact \(rows)x\(k): Q8_0 mismatching rows \(bad8)/\(rows), Q4_1 mismatching rows \(bad41)/\(rows) (bitwise vs scalar Int32 ref)")
    }
    let w = makeWeights(rows: rows, k: k, fullRange: false)
    quantize(x, k: k, xq: xq, xd: xd, xs: xs, fullRange: false)
    for i in 0..<k { xf[i] = Float(xq[i]) * xd[i / 32] }
    let reps = 301
    let tq = median({ quantize(x, k: k, xq: xq, xd: xd, xs: xs, fullRange: false) }, reps: reps)
    let t8i = median({ gemvQ8_0Int(w.q8, rows: rows, k: k, xq: xq, xd: xd, y) }, reps: reps)
    let t8i1 = median({ gemvQ8_0Int1(w.q8, rows: rows, k: k, xq: xq, xd: xd, y) }, reps: reps)
    let t8i8 = median({ gemvQ8_0Int8(w.q8, rows: rows, k: k, xq: xq, xd: xd, y2) }, reps: reps)
    var d8 = 0; for r in 0..<rows where abs(y[r] - y2[r]) > 1e-5 * max(1, abs(y[r])) { d8 += 1 }
    let t8f = median({ gemvFloat(q41: false, w.q8, rows: rows, k: k, x: xf, y2) }, reps: reps)
    var maxRel8: Float = 0; for r in 0..<rows { maxRel8 = max(maxRel8, abs(y[r] - y2[r]) / max(1e-3, abs(y2[r]))) }
    let t4i = median({ gemvQ4_1Int(w.q41, rows: rows, k: k, xq: xq, xd: xd, xs: xs, y) }, reps: reps)
    let t4i1 = median({ gemvQ4_1Int1(w.q41, rows: rows, k: k, xq: xq, xd: xd, xs: xs, y) }, reps: reps)
    let t4i8 = median({ gemvQ4_1Int8(w.q41, rows: rows, k: k, xq: xq, xd: xd, xs: xs, y2) }, reps: reps)
    var d4 = 0; for r in 0..<rows where abs(y[r] - y2[r]) > 1e-4 * max(1, abs(y[r])) { d4 += 1 }
    let t4f = median({ gemvFloat(q41: true, w.q41, rows: rows, k: k, x: xf, y2) }, reps: reps)
    var maxRel4: Float = 0; for r in 0..<rows { maxRel4 = max(maxRel4, abs(y[r] - y2[r]) / max(1e-2, abs(y2[r]))) }
    func line(_ name: String, _ t: Double) -> String {
        let s = "\(name): \(Int(t / 1000)) us  \(Int(t / Double(rows))) ns/row  \(Double(Int(Double(rows * k) / t * 100)) / 100) weights/ns"
        return s
    }
    print("[\(target)] \(rows)x\(k)  (act quantize \(Int(tq)) ns)")
    for (n, t) in [("Q8_0 int 2-row", t8i), ("Q8_0 int 1-row", t8i1), ("Q8_0 int 8-blk", t8i8), ("Q8_0 float    ", t8f), ("Q4_1 int 2-row", t4i), ("Q4_1 int 1-row", t4i1), ("Q4_1 int 8-blk", t4i8), ("Q4_1 float    ", t4f)] { print("   " + line(n, t)) }
    print("   8-blk vs 1-row rows differing beyond reassociation tolerance: q8 \(d8) q41 \(d4)")
    print("   int vs float max rel diff: q8 \(maxRel8) q41 \(maxRel4)")
}
print(allExact ? "ALL EXACT" : "MISMATCH")

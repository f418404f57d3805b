import GGUF

/// `C = A · Wᵀ` for a weight matrix in any supported ggml format, multithreaded over weight rows.
///
/// Every output is one dot product computed the same way regardless of batch size, tile or thread: an 8-lane
/// accumulator runs over k in order, its lanes are summed in a fixed tree, and a tail of K mod 8 elements is added
/// in order. So logits of a token do not depend on whether it was evaluated alone, in a batch, or after a forked
/// cache, and not on the thread count.
///
/// Weight rows are dequantized eight at a time into a per-thread buffer and reused for all rows of A; rows of A
/// go through a 4×2 register tile (8 accumulators), and leftover rows through a 1×8 tile.
enum MatrixMultiply {
    /// Rows of W dequantized together.
    static let panel = 8

    /// - Parameters:
    ///   - weights: N×K matrix rows (`rows` picks a subset and order; nil means all N).
    ///   - input: M×K row-major activations.
    ///   - output: M×`outputStride` row-major; column j receives weight row `rows?[j] ?? j`.
    static func multiply(
        _ weights: WeightMatrix, rows: [Int]?, input: UnsafePointer<Float>, inputRows: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int, numerics: Numerics, pool: ComputePool
    ) {
        let columns = rows?.count ?? weights.rows
        let k = weights.columns
        guard columns > 0, inputRows > 0 else { return }
        if numerics == .llamaCpp, let format = ActivationRounding.partner(for: weights.type) {
            let rounded = UnsafeMutablePointer<Float>.allocate(capacity: inputRows * k)
            defer { rounded.deallocate() }
            rounded.initialize(from: input, count: inputRows * k)
            for row in 0..<inputRows { ActivationRounding.round(rounded + row * k, count: k, to: format) }
            multiply(weights, rows: rows, input: rounded, inputRows: inputRows, output: output,
                     outputStride: outputStride, numerics: .exact, pool: pool)
            if format == .q8_1 {
                correctHalfPrecisionSums(weights, rows: rows, input: input, inputRows: inputRows, output: output,
                                         outputStride: outputStride, pool: pool)
            }
            return
        }
        let ranges = pool.ranges(columns, alignment: panel)
        let inputBox = UncheckedSendable(input), outputBox = UncheckedSendable(output)
        pool.run(parts: ranges.count) { part in
            let range = ranges[part]
            guard !range.isEmpty else { return }
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: panel * k)
            defer { scratch.deallocate() }
            var column = range.lowerBound
            while column < range.upperBound {
                let width = min(panel, range.upperBound - column)
                for r in 0..<width {
                    let row = rows?[column + r] ?? (column + r)
                    RowDequantizer.dequantize(weights.row(row), type: weights.type, count: k, into: scratch + r * k)
                }
                multiplyPanel(
                    input: inputBox.value, inputRows: inputRows, k: k, panel: scratch, width: width,
                    output: outputBox.value + column, outputStride: outputStride)
                column += width
            }
        }
    }

    /// ggml's Q4_1/Q5_1 dot product adds `m · s` per block, where `s = d·Σq` of the activation block is stored as
    /// a half. The rounded activations already give `m · d·Σq` exactly; this adds `m · (half(d·Σq) − half(d)·Σq)`
    /// per block so the result is llama.cpp's, not just its activation rounding.
    static func correctHalfPrecisionSums(
        _ weights: WeightMatrix, rows: [Int]?, input: UnsafePointer<Float>, inputRows: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int, pool: ComputePool
    ) {
        let k = weights.columns, blocks = k / 32
        let corrections = UnsafeMutablePointer<Float>.allocate(capacity: inputRows * blocks)
        defer { corrections.deallocate() }
        for row in 0..<inputRows {
            for block in 0..<blocks {
                let x = input + row * k + block * 32
                var amax: Float = 0
                for j in 0..<32 { amax = max(amax, abs(x[j])) }
                let d = amax / 127
                let inverse: Float = amax != 0 ? 127 / amax : 0
                var sum: Float = 0
                for j in 0..<32 { sum += (x[j] * inverse).rounded(.toNearestOrEven) }
                let stored = HalfPrecision.float(fromHalfBits: ActivationRounding.halfBits(d * sum))
                let implied = HalfPrecision.float(fromHalfBits: ActivationRounding.halfBits(d)) * sum
                corrections[row * blocks + block] = stored - implied
            }
        }
        let columns = rows?.count ?? weights.rows
        let ranges = pool.ranges(columns)
        let outputBox = UncheckedSendable(output), correctionBox = UncheckedSendable(corrections)
        let blockBytes = weights.type.bytesPerBlock
        pool.run(parts: ranges.count) { part in
            for column in ranges[part] {
                let row = weights.row(rows?[column] ?? column)
                for inputRow in 0..<inputRows {
                    var total: Float = 0
                    for block in 0..<blocks {
                        let minimum = HalfPrecision.float(fromHalfBits: UInt16(littleEndian:
                            row.loadUnaligned(fromByteOffset: block * blockBytes + 2, as: UInt16.self)))
                        total += minimum * correctionBox.value[inputRow * blocks + block]
                    }
                    outputBox.value[inputRow * outputStride + column] += total
                }
            }
        }
    }

    /// Multiplies all rows of A by `width` (≤ 8) dequantized weight rows.
    @inline(__always)
    static func multiplyPanel(
        input: UnsafePointer<Float>, inputRows: Int, k: Int, panel: UnsafePointer<Float>, width: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        var m = 0
        if width == 8 {
            while m + 4 <= inputRows {
                for pair in stride(from: 0, to: 8, by: 2) {
                    tile4x2(input + m * k, k, panel + pair * k, output + m * outputStride + pair, outputStride)
                }
                m += 4
            }
            while m < inputRows {
                tile1x8(input + m * k, k, panel, output + m * outputStride)
                m += 1
            }
        } else {
            for row in 0..<inputRows {
                for c in 0..<width {
                    output[row * outputStride + c] = dot(input + row * k, panel + c * k, k)
                }
            }
        }
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>, _ offset: Int) -> SIMD8<Float> {
        UnsafeRawPointer(pointer + offset).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Adds the K mod 8 tail to a reduced accumulator, in order.
    @inline(__always)
    static func finish(_ accumulator: SIMD8<Float>, _ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ k: Int) -> Float {
        var sum = horizontalSum(accumulator)
        var index = k & ~7
        while index < k {
            sum = multiplyAdd(sum, a[index], w[index])
            index &+= 1
        }
        return sum
    }

    /// One output: the reference order every tile reproduces.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ k: Int) -> Float {
        var accumulator = SIMD8<Float>()
        var index = 0
        let end = k & ~7
        while index < end {
            accumulator = multiplyAdd(accumulator, load(a, index), load(w, index))
            index &+= 8
        }
        return finish(accumulator, a, w, k)
    }

    /// Four rows of A × two weight rows.
    @inline(__always)
    static func tile4x2(
        _ a: UnsafePointer<Float>, _ k: Int, _ w: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        _ ldc: Int
    ) {
        let a0 = a, a1 = a + k, a2 = a + 2 * k, a3 = a + 3 * k
        let w0 = w, w1 = w + k
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var index = 0
        let end = k & ~7
        while index < end {
            let x0 = load(w0, index), x1 = load(w1, index)
            let r0 = load(a0, index), r1 = load(a1, index), r2 = load(a2, index), r3 = load(a3, index)
            c00 = multiplyAdd(c00, r0, x0); c01 = multiplyAdd(c01, r0, x1)
            c10 = multiplyAdd(c10, r1, x0); c11 = multiplyAdd(c11, r1, x1)
            c20 = multiplyAdd(c20, r2, x0); c21 = multiplyAdd(c21, r2, x1)
            c30 = multiplyAdd(c30, r3, x0); c31 = multiplyAdd(c31, r3, x1)
            index &+= 8
        }
        c[0] = finish(c00, a0, w0, k); c[1] = finish(c01, a0, w1, k)
        c[ldc] = finish(c10, a1, w0, k); c[ldc + 1] = finish(c11, a1, w1, k)
        c[2 * ldc] = finish(c20, a2, w0, k); c[2 * ldc + 1] = finish(c21, a2, w1, k)
        c[3 * ldc] = finish(c30, a3, w0, k); c[3 * ldc + 1] = finish(c31, a3, w1, k)
    }

    /// One row of A × eight weight rows (the decode shape: eight independent accumulators hide FMA latency).
    @inline(__always)
    static func tile1x8(_ a: UnsafePointer<Float>, _ k: Int, _ w: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>()
        var c4 = SIMD8<Float>(), c5 = SIMD8<Float>(), c6 = SIMD8<Float>(), c7 = SIMD8<Float>()
        var index = 0
        let end = k & ~7
        while index < end {
            let r = load(a, index)
            c0 = multiplyAdd(c0, r, load(w, index)); c1 = multiplyAdd(c1, r, load(w + k, index))
            c2 = multiplyAdd(c2, r, load(w + 2 * k, index)); c3 = multiplyAdd(c3, r, load(w + 3 * k, index))
            c4 = multiplyAdd(c4, r, load(w + 4 * k, index)); c5 = multiplyAdd(c5, r, load(w + 5 * k, index))
            c6 = multiplyAdd(c6, r, load(w + 6 * k, index)); c7 = multiplyAdd(c7, r, load(w + 7 * k, index))
            index &+= 8
        }
        c[0] = finish(c0, a, w, k); c[1] = finish(c1, a, w + k, k)
        c[2] = finish(c2, a, w + 2 * k, k); c[3] = finish(c3, a, w + 3 * k, k)
        c[4] = finish(c4, a, w + 4 * k, k); c[5] = finish(c5, a, w + 5 * k, k)
        c[6] = finish(c6, a, w + 6 * k, k); c[7] = finish(c7, a, w + 7 * k, k)
    }
}

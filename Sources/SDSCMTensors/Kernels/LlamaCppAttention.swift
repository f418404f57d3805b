// llama.cpp's CPU attention arithmetic (F32 cache, no flash attention) as its AVX-512 build performs it, operation
// by operation, for `NumericsMode.llamaCpp`. Checked on llama.cpp's own intermediate tensors, read through its
// evaluation callback (`LlamaCppIntermediatesTests`; Tests/Tools/kernel-fixtures/make_llama_intermediates.py): its
// scores, softmax and weighted values equal these bit for bit.
//
// Where each order comes from:
// - scores: the query is a permuted, non-contiguous view, so `ggml_mul_mat` falls back to `ggml_vec_dot_f32`.
// - weighted values: the softmax output is contiguous and the cache is padded to a multiple of 16 keys, so for a
//   batch of two or more tokens `llamafile_sgemm` (tinyBLAS) takes it. llama.cpp decoding one token uses
//   `ggml_vec_dot_f32` there instead, so llama.cpp's own values depend on the batch; the batched order is the one
//   kept here, for every batch, so that this mode stays batch-independent.
// - 16-lane trees are `_mm512_reduce_add_ps`: lanes i and i + 8, then i and i + 4, then i and i + 2, then 0 and 1.
//
// A 16-lane register is held as two 8-lane halves (lanes 0–7, 8–15); the arithmetic is lane-wise, so the halves
// round exactly as the wide register does.

/// llama.cpp's attention arithmetic (see the file comment).
package enum LlamaCppAttention {
    /// Keys are processed in aligned groups of this many cache cells: key `p` is lane `p mod 16` of tinyBLAS's and
    /// the softmax's 16-lane registers.
    package static let lanes = 16

    /// Per-worker buffers for `attend`, sized for rows of up to `cells` cache cells.
    package final class Scratch {
        let scores: UnsafeMutablePointer<Float>
        /// Key and value of each cell of the padded row; masked cells point to `zeros`.
        package let keys: UnsafeMutablePointer<UnsafePointer<Float>>
        package let values: UnsafeMutablePointer<UnsafePointer<Float>>
        package let zeros: UnsafeMutablePointer<Float>
        let query: UnsafeMutablePointer<Float>

        package init(cells: Int, dimension: Int) {
            let cells = (cells + 2 * LlamaCppAttention.lanes) & ~(LlamaCppAttention.lanes - 1)
            scores = .allocate(capacity: cells)
            keys = .allocate(capacity: cells)
            values = .allocate(capacity: cells)
            zeros = .allocate(capacity: dimension)
            zeros.initialize(repeating: 0, count: dimension)
            query = .allocate(capacity: dimension)
        }

        deinit {
            scores.deallocate(); keys.deallocate(); values.deallocate(); zeros.deallocate(); query.deallocate()
        }

        /// Points `keys` and `values` at the cells of `row(first:last:)` in order: `cell(c)` gives cell c's key and
        /// value for c in `first...last`, and the masked cells around them get `zeros`, which `attend` never scores
        /// and weighs by exactly 0.
        @inline(__always)
        package func gather(
            first: Int, last: Int, _ cell: (Int) -> (key: UnsafePointer<Float>, value: UnsafePointer<Float>)
        ) {
            let cells = LlamaCppAttention.row(first: first, last: last)
            for c in cells {
                let j = c - cells.lowerBound
                if c >= first && c <= last {
                    (keys[j], values[j]) = cell(c)
                } else {
                    keys[j] = UnsafePointer(zeros); values[j] = UnsafePointer(zeros)
                }
            }
        }
    }

    /// The padded row of `first...last`: whole 16-cell groups from the group of `first` to the group of `last`.
    @inline(__always)
    package static func row(first: Int, last: Int) -> Range<Int> {
        (first & ~(lanes - 1))..<((last + lanes) & ~(lanes - 1))
    }

    /// Attention of `heads` consecutive query heads (each `dimension` floats from `queries`) over cache cells
    /// `first...last` of one key/value head, into `output` (same layout as `queries`), with `scratch.keys` and
    /// `scratch.values` filled by `Scratch.gather`: cells outside `first...last` are masked (score −∞, value 0), as
    /// in llama.cpp's padded cache. With
    /// `queryScale`, each query is first multiplied by it and the softmax scale is 1 (llama.cpp's Gemma graph);
    /// otherwise the softmax multiplies the scores by `scale`.
    package static func attend(
        queries: UnsafePointer<Float>, heads: Int, dimension: Int, first: Int, last: Int, scale: Float,
        queryScale: Float?, scratch: Scratch, into output: UnsafeMutablePointer<Float>
    ) {
        let cells = row(first: first, last: last)
        let count = cells.count
        for h in 0..<heads {
            var query = queries + h * dimension
            if let queryScale {
                for i in 0..<dimension { scratch.query[i] = query[i] * queryScale }
                query = UnsafePointer(scratch.query)
            }
            for j in 0..<count {
                let cell = cells.lowerBound + j
                scratch.scores[j] = cell >= first && cell <= last
                    ? score(query, scratch.keys[j], count: dimension) : -.infinity
            }
            softmax(scratch.scores, count: count, scale: queryScale == nil ? scale : 1)
            weightedSum(scratch.values, weights: scratch.scores, count: count, dimension: dimension,
                        into: output + h * dimension)
        }
    }

    /// `ggml_vec_dot_f32`: 64-element steps into four 16-lane fused multiply-add chains, combined as
    /// (c0 + c2) + (c1 + c3) and reduced (to +0 when there is no full step, as ggml's zero registers reduce); the
    /// elements after the last full step are added one at a time, each product rounded before its sum (that loop is
    /// not contracted). (Guarding the steps with an `if` made LLVM split the loop's vectors into two-lane pieces: 3×
    /// slower.)
    @inline(__always)
    package static func score(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, count: Int) -> Float {
        let steps = count & ~63
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>()
        var c4 = SIMD8<Float>(), c5 = SIMD8<Float>(), c6 = SIMD8<Float>(), c7 = SIMD8<Float>()
        var i = 0
        while i < steps {
            c0 = multiplyAdd(c0, VectorMath.load(q, i), VectorMath.load(k, i)); c1 = multiplyAdd(c1, VectorMath.load(q, i + 8), VectorMath.load(k, i + 8))
            c2 = multiplyAdd(c2, VectorMath.load(q, i + 16), VectorMath.load(k, i + 16)); c3 = multiplyAdd(c3, VectorMath.load(q, i + 24), VectorMath.load(k, i + 24))
            c4 = multiplyAdd(c4, VectorMath.load(q, i + 32), VectorMath.load(k, i + 32)); c5 = multiplyAdd(c5, VectorMath.load(q, i + 40), VectorMath.load(k, i + 40))
            c6 = multiplyAdd(c6, VectorMath.load(q, i + 48), VectorMath.load(k, i + 48)); c7 = multiplyAdd(c7, VectorMath.load(q, i + 56), VectorMath.load(k, i + 56))
            i &+= 64
        }
        // Registers (c0,c1), (c2,c3), (c4,c5), (c6,c7): first + third, second + fourth, then their sum.
        var sum = LlamaCppVectorMath.reduce((c0 + c4) + (c2 + c6), (c1 + c5) + (c3 + c7))
        for i in steps..<count {
            sum = sum + q[i] * k[i]
        }
        return sum
    }

    /// `ggml_soft_max_f32` over a row of `count` scores (a multiple of 16, cell 0 of the row at a 16-cell
    /// boundary, masked cells −∞ as llama.cpp's mask makes them): each score times `scale`; e^(x − max) by
    /// `LlamaCppVectorMath.exp`; the sum, in Double, of the 16-lane reductions of consecutive groups; then every
    /// value times Float(1 / sum).
    package static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int, scale: Float) {
        var maximum = -Float.infinity
        for i in 0..<count {
            x[i] = x[i] * scale
            maximum = max(maximum, x[i])
        }
        let m = SIMD8<Float>(repeating: maximum)
        var sum: Double = 0
        var start = 0
        while start < count {
            let low = LlamaCppVectorMath.exp(VectorMath.load(x, start) - m), high = LlamaCppVectorMath.exp(VectorMath.load(x, start + 8) - m)
            VectorMath.store(low, x, start); VectorMath.store(high, x, start + 8)
            sum += Double(LlamaCppVectorMath.reduce(low, high))
            start += lanes
        }
        let inverse = SIMD8<Float>(repeating: Float(1 / sum))
        start = 0
        while start < count {
            VectorMath.store(VectorMath.load(x, start) * inverse, x, start)
            start += 8
        }
    }

    /// tinyBLAS's product of the transposed value cache with a softmax row of `count` cells (a multiple of 16,
    /// aligned as in `softmax`): lane l accumulates weight × value of the cells ≡ l (mod 16) by fused multiply-add
    /// in cell order, and the 16 lanes are then reduced. `dimension` is a multiple of 8; eight value dimensions are
    /// carried at a time.
    package static func weightedSum(
        _ values: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<Float>, count: Int,
        dimension: Int, into result: UnsafeMutablePointer<Float>
    ) {
        var d = 0
        while d < dimension {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
            var a8 = SIMD8<Float>(), a9 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
            var a12 = SIMD8<Float>(), a13 = SIMD8<Float>(), a14 = SIMD8<Float>(), a15 = SIMD8<Float>()
            var j = 0
            while j < count {
                @inline(__always) func term(_ acc: inout SIMD8<Float>, _ lane: Int) {
                    acc = multiplyAdd(acc, SIMD8(repeating: weights[j + lane]), VectorMath.load(values[j + lane], d))
                }
                term(&a0, 0); term(&a1, 1); term(&a2, 2); term(&a3, 3)
                term(&a4, 4); term(&a5, 5); term(&a6, 6); term(&a7, 7)
                term(&a8, 8); term(&a9, 9); term(&a10, 10); term(&a11, 11)
                term(&a12, 12); term(&a13, 13); term(&a14, 14); term(&a15, 15)
                j += lanes
            }
            // The tree of `reduce`, for eight dimensions at once.
            let e0 = a0 + a8, e1 = a1 + a9, e2 = a2 + a10, e3 = a3 + a11
            let e4 = a4 + a12, e5 = a5 + a13, e6 = a6 + a14, e7 = a7 + a15
            let f0 = e0 + e4, f1 = e1 + e5, f2 = e2 + e6, f3 = e3 + e7
            VectorMath.store((f0 + f2) + (f1 + f3), result, d)
            d += 8
        }
    }
}

import SDSCMGGUF

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

    /// Formats whose one-row products decode blocks in registers (`multiplyFused`) instead of through a panel.
    static let fusedTypes: Set<GGMLType> = [.q4_0, .q4_1, .q5_0, .q8_0, .q4_K, .q6_K]

    /// One product in a group: weights, optional row selection, and where the result goes.
    struct Job {
        var weights: WeightMatrix
        var rows: [Int]?
        var output: UnsafeMutablePointer<Float>
        var outputStride: Int
        var columns: Int { rows?.count ?? weights.rows }
    }

    /// - Parameters:
    ///   - weights: N×K matrix rows (`rows` picks a subset and order; nil means all N).
    ///   - input: M×K row-major activations.
    ///   - output: M×`outputStride` row-major; column j receives weight row `rows?[j] ?? j`.
    static func multiply(
        _ weights: WeightMatrix, rows: [Int]?, input: UnsafePointer<Float>, inputRows: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int, numerics: NumericsMode, pool: ComputePool
    ) {
        multiply([Job(weights: weights, rows: rows, output: output, outputStride: outputStride)], input: input,
                 inputRows: inputRows, numerics: numerics, pool: pool)
    }

    /// Several products of the same input in one dispatch (Q, K and V; gate and up): one barrier instead of
    /// three, which matters when each product takes tens of microseconds.
    static func multiply(
        _ jobs: [Job], input: UnsafePointer<Float>, inputRows: Int, numerics: NumericsMode, pool: ComputePool
    ) {
        guard let k = jobs.first?.weights.columns, inputRows > 0 else { return }
        precondition(jobs.allSatisfy { $0.weights.columns == k }, "grouped products need the same input width")

        // llama.cpp numerics: each job reads its input rounded to its weights' partner format.
        var inputs = [UnsafePointer<Float>](repeating: input, count: jobs.count)
        var corrections = [UnsafePointer<Float>?](repeating: nil, count: jobs.count)
        var owned: [UnsafeMutablePointer<Float>] = []
        defer { owned.forEach { $0.deallocate() } }
        // llama.cpp numerics on formats with an integer kernel: the input as 8-bit blocks, once for all of them.
        var blocks: QuantizedActivations?
        if numerics == .llamaCpp, jobs.contains(where: { IntegerDotProduct.supports($0.weights.type) }) {
            blocks = QuantizedActivations(input, rows: inputRows, k: k, for: jobs.map(\.weights.type))
        }
        if numerics == .llamaCpp {
            var roundedByFormat: [GGMLType: UnsafePointer<Float>] = [:]
            var correctionsByFormat: [GGMLType: UnsafePointer<Float>] = [:]
            for (index, job) in jobs.enumerated() where !IntegerDotProduct.supports(job.weights.type) {
                guard let format = ActivationRounding.partner(for: job.weights.type) else { continue }
                if roundedByFormat[format] == nil {
                    let rounded = UnsafeMutablePointer<Float>.allocate(capacity: inputRows * k)
                    owned.append(rounded)
                    rounded.initialize(from: input, count: inputRows * k)
                    for row in 0..<inputRows { ActivationRounding.round(rounded + row * k, count: k, to: format) }
                    roundedByFormat[format] = UnsafePointer(rounded)
                    if format == .q8_1 {
                        let values = UnsafeMutablePointer<Float>.allocate(capacity: inputRows * (k / 32))
                        owned.append(values)
                        halfPrecisionSumCorrections(input: input, inputRows: inputRows, k: k, into: values)
                        correctionsByFormat[format] = UnsafePointer(values)
                    }
                }
                inputs[index] = roundedByFormat[format]!
                corrections[index] = correctionsByFormat[format]
            }
        }

        // Below about 2^17 multiply-adds a dispatch to the workers costs more than the product (a model of a
        // few hundred thousand parameters decoding one token), so small groups run on the calling thread. The
        // split never changes results: every output is computed the same way in any part.
        let work = jobs.reduce(0) { $0 + $1.columns } * k * inputRows
        let ranges = work < 1 << 17 ? jobs.map { [0..<$0.columns] } : jobs.map { pool.ranges($0.columns, alignment: panel, perThread: 4) }
        let parts = ranges.map(\.count).max() ?? 1
        let box = UncheckedSendable((jobs, inputs, corrections, blocks))
        pool.run(parts: parts) { part in
            let (jobs, inputs, corrections, blocks) = box.value
            for (index, job) in jobs.enumerated() where part < ranges[index].count {
                let range = ranges[index][part]
                guard !range.isEmpty else { continue }
                if let blocks, IntegerDotProduct.supports(job.weights.type) {
                    IntegerDotProduct.computeSlice(job, columns: range, activations: blocks)
                    continue
                }
                computeSlice(job, columns: range, input: inputs[index], inputRows: inputRows)
                if let correction = corrections[index] {
                    applyHalfPrecisionSumCorrections(job, columns: range, corrections: correction, inputRows: inputRows)
                }
            }
        }
    }

    /// Computes output columns `columns` of one product, on the calling thread.
    static func computeSlice(_ job: Job, columns range: Range<Int>, input: UnsafePointer<Float>, inputRows: Int) {
        let weights = job.weights, rows = job.rows
        let k = weights.columns
        if inputRows < 4, fusedTypes.contains(weights.type) {
            for row in 0..<inputRows {
                let x = input + row * k, y = job.output + row * job.outputStride
                switch weights.type {
                case .q4_0: multiplyFused(Q4_0Decoder.self, weights, rows: rows, columns: range, input: x, output: y)
                case .q4_1: multiplyFused(Q4_1Decoder.self, weights, rows: rows, columns: range, input: x, output: y)
                case .q5_0: multiplyFused(Q5_0Decoder.self, weights, rows: rows, columns: range, input: x, output: y)
                case .q4_K: multiplyFused(Q4_KDecoder.self, weights, rows: rows, columns: range, input: x, output: y)
                case .q6_K: multiplyFused(Q6_KDecoder.self, weights, rows: rows, columns: range, input: x, output: y)
                default: multiplyFused(Q8_0Decoder.self, weights, rows: rows, columns: range, input: x, output: y)
                }
            }
            return
        }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: panel * k)
        defer { scratch.deallocate() }
        var column = range.lowerBound
        while column < range.upperBound {
            let width = min(panel, range.upperBound - column)
            for r in 0..<width {
                let row = rows?[column + r] ?? (column + r)
                RowDequantizer.dequantize(weights.row(row), type: weights.type, count: k, into: scratch + r * k)
            }
            multiplyPanel(input: input, inputRows: inputRows, k: k, panel: scratch, width: width,
                          output: job.output + column, outputStride: job.outputStride)
            column += width
        }
    }

    /// ggml's Q4_1/Q5_1 dot product adds `m · s` per block, where `s = d·Σq` of the activation block is stored as
    /// a half. The rounded activations already give `m · half(d)·Σq`; `halfPrecisionSumCorrections` computes
    /// `half(d·Σq) − half(d)·Σq` per activation block, and `applyHalfPrecisionSumCorrections` adds `m ·` that, so
    /// the result is llama.cpp's and not just its activation rounding.
    static func halfPrecisionSumCorrections(
        input: UnsafePointer<Float>, inputRows: Int, k: Int, into corrections: UnsafeMutablePointer<Float>
    ) {
        let blocks = k / 32
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 32) { q in
            for row in 0..<inputRows {
                for block in 0..<blocks {
                    let (d, sum) = ActivationQuantizer.eightBitBlock(input + row * k + block * 32, into: q.baseAddress!)
                    let stored = HalfPrecision.float(fromHalfBits: ActivationRounding.halfBits(d * Float(sum)))
                    let implied = HalfPrecision.float(fromHalfBits: ActivationRounding.halfBits(d)) * Float(sum)
                    corrections[row * blocks + block] = stored - implied
                }
            }
        }
    }

    static func applyHalfPrecisionSumCorrections(
        _ job: Job, columns range: Range<Int>, corrections: UnsafePointer<Float>, inputRows: Int
    ) {
        let weights = job.weights
        let blocks = weights.columns / 32
        let blockBytes = weights.type.bytesPerBlock
        for column in range {
            let row = weights.row(job.rows?[column] ?? column)
            for inputRow in 0..<inputRows {
                var total: Float = 0
                for block in 0..<blocks {
                    let minimum = HalfPrecision.float(fromHalfBits: UInt16(littleEndian:
                        row.loadUnaligned(fromByteOffset: block * blockBytes + 2, as: UInt16.self)))
                    total += minimum * corrections[inputRow * blocks + block]
                }
                job.output[inputRow * job.outputStride + column] += total
            }
        }
    }

    /// One row of A times weight rows `columns`, dequantizing each 32-element chunk in registers (the decode
    /// path: with one row of A, writing dequantized weights to memory and reading them back cost as much as the
    /// arithmetic). Each output accumulates over k in the same order as `dot`, so results equal the batched path's.
    @inline(__always)
    static func multiplyFused<Decoder: BlockDecoder>(
        _: Decoder.Type, _ weights: WeightMatrix, rows: [Int]?, columns: Range<Int>, input a: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        let blocks = weights.columns / (32 * Decoder.chunksPerBlock)
        @inline(__always) func accumulate(
            _ acc: SIMD8<Float>, _ w: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>),
            _ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>, _ x3: SIMD8<Float>
        ) -> SIMD8<Float> {
            multiplyAdd(multiplyAdd(multiplyAdd(multiplyAdd(acc, x0, w.0), x1, w.1), x2, w.2), x3, w.3)
        }
        // Two weight rows at a time, for two independent multiply-add chains (one chain per row fixes the order),
        // taken half a slice apart: each row is then one sequential stream of weights. Adjacent rows read in step
        // ran at half the speed on the development machine (one thread, tg32: SmolLM2 Q8_0 34 → 65–84 tokens/s,
        // Q4_1 53 → 66–80 with the rows apart), the loads waiting on memory.
        let half = columns.count / 2
        for pair in 0..<half {
            let column = columns.lowerBound + pair, far = column + half
            let r0 = weights.row(rows?[column] ?? column), r1 = weights.row(rows?[far] ?? far)
            var c0 = SIMD8<Float>(), c1 = SIMD8<Float>()
            var offset = 0, x = a
            for _ in 0..<blocks {
                let b0 = r0 + offset, b1 = r1 + offset
                let f0 = Decoder.factors(b0), f1 = Decoder.factors(b1)
                for chunk in 0..<Decoder.chunksPerBlock {
                    let x0 = load(x, 0), x1 = load(x, 8), x2 = load(x, 16), x3 = load(x, 24)
                    c0 = accumulate(c0, Decoder.decode(b0, f0, chunk: chunk), x0, x1, x2, x3)
                    c1 = accumulate(c1, Decoder.decode(b1, f1, chunk: chunk), x0, x1, x2, x3)
                    x += 32
                }
                offset &+= Decoder.bytesPerBlock
            }
            output[column] = horizontalSum(c0); output[far] = horizontalSum(c1)
        }
        if columns.count % 2 == 1 {
            let column = columns.upperBound - 1
            let r = weights.row(rows?[column] ?? column)
            var c = SIMD8<Float>()
            var x = a
            for b in 0..<blocks {
                let block = r + b * Decoder.bytesPerBlock
                let f = Decoder.factors(block)
                for chunk in 0..<Decoder.chunksPerBlock {
                    c = accumulate(c, Decoder.decode(block, f, chunk: chunk), load(x, 0), load(x, 8), load(x, 16), load(x, 24))
                    x += 32
                }
            }
            output[column] = horizontalSum(c)
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
            #if SDSCM_AVX512
            // 32 vector registers: six rows of A × four weight rows keep 24 accumulators in flight.
            while m + 6 <= inputRows {
                tile6x4(input + m * k, k, panel, output + m * outputStride, outputStride)
                tile6x4(input + m * k, k, panel + 4 * k, output + m * outputStride + 4, outputStride)
                m += 6
            }
            #endif
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

    #if SDSCM_AVX512
    /// Six rows of A × four weight rows: 24 accumulators, 10 loads per 24 multiply-adds (AVX-512's 32 registers;
    /// with AVX2's 16 it would spill).
    @inline(__always)
    static func tile6x4(
        _ a: UnsafePointer<Float>, _ k: Int, _ w: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        _ ldc: Int
    ) {
        var acc = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(),
                   SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(),
                   SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(),
                   SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        let w0 = w, w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k
        var index = 0
        let end = k & ~7
        while index < end {
            let x0 = load(w0, index), x1 = load(w1, index), x2 = load(w2, index), x3 = load(w3, index)
            var r = load(a, index)
            acc.0 = multiplyAdd(acc.0, r, x0); acc.1 = multiplyAdd(acc.1, r, x1)
            acc.2 = multiplyAdd(acc.2, r, x2); acc.3 = multiplyAdd(acc.3, r, x3)
            r = load(a + k, index)
            acc.4 = multiplyAdd(acc.4, r, x0); acc.5 = multiplyAdd(acc.5, r, x1)
            acc.6 = multiplyAdd(acc.6, r, x2); acc.7 = multiplyAdd(acc.7, r, x3)
            r = load(a + 2 * k, index)
            acc.8 = multiplyAdd(acc.8, r, x0); acc.9 = multiplyAdd(acc.9, r, x1)
            acc.10 = multiplyAdd(acc.10, r, x2); acc.11 = multiplyAdd(acc.11, r, x3)
            r = load(a + 3 * k, index)
            acc.12 = multiplyAdd(acc.12, r, x0); acc.13 = multiplyAdd(acc.13, r, x1)
            acc.14 = multiplyAdd(acc.14, r, x2); acc.15 = multiplyAdd(acc.15, r, x3)
            r = load(a + 4 * k, index)
            acc.16 = multiplyAdd(acc.16, r, x0); acc.17 = multiplyAdd(acc.17, r, x1)
            acc.18 = multiplyAdd(acc.18, r, x2); acc.19 = multiplyAdd(acc.19, r, x3)
            r = load(a + 5 * k, index)
            acc.20 = multiplyAdd(acc.20, r, x0); acc.21 = multiplyAdd(acc.21, r, x1)
            acc.22 = multiplyAdd(acc.22, r, x2); acc.23 = multiplyAdd(acc.23, r, x3)
            index &+= 8
        }
        let rows = (a, a + k, a + 2 * k, a + 3 * k, a + 4 * k, a + 5 * k)
        c[0] = finish(acc.0, rows.0, w0, k); c[1] = finish(acc.1, rows.0, w1, k)
        c[2] = finish(acc.2, rows.0, w2, k); c[3] = finish(acc.3, rows.0, w3, k)
        c[ldc] = finish(acc.4, rows.1, w0, k); c[ldc + 1] = finish(acc.5, rows.1, w1, k)
        c[ldc + 2] = finish(acc.6, rows.1, w2, k); c[ldc + 3] = finish(acc.7, rows.1, w3, k)
        c[2 * ldc] = finish(acc.8, rows.2, w0, k); c[2 * ldc + 1] = finish(acc.9, rows.2, w1, k)
        c[2 * ldc + 2] = finish(acc.10, rows.2, w2, k); c[2 * ldc + 3] = finish(acc.11, rows.2, w3, k)
        c[3 * ldc] = finish(acc.12, rows.3, w0, k); c[3 * ldc + 1] = finish(acc.13, rows.3, w1, k)
        c[3 * ldc + 2] = finish(acc.14, rows.3, w2, k); c[3 * ldc + 3] = finish(acc.15, rows.3, w3, k)
        c[4 * ldc] = finish(acc.16, rows.4, w0, k); c[4 * ldc + 1] = finish(acc.17, rows.4, w1, k)
        c[4 * ldc + 2] = finish(acc.18, rows.4, w2, k); c[4 * ldc + 3] = finish(acc.19, rows.4, w3, k)
        c[5 * ldc] = finish(acc.20, rows.5, w0, k); c[5 * ldc + 1] = finish(acc.21, rows.5, w1, k)
        c[5 * ldc + 2] = finish(acc.22, rows.5, w2, k); c[5 * ldc + 3] = finish(acc.23, rows.5, w3, k)
    }
    #endif

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

import SDSCMGGUF
import SDSCMVectorIntrinsics

/// Activation rows as ggml's Q8_1 blocks: 32 signed bytes per block, the block's scale as the half ggml stores
/// (widened), and Q8_1's half-precision `d·Σq` (Q8_0 blocks are the same bytes and scale without the sum).
///
/// `quantize_row_q8_1` (AVX2): `d = amax/127`; `q = nearest-even(x · 127/amax)`; `d` stored as a half; `s =
/// half(d·Σq)` with the unrounded `d`.
final class ActivationBlocks {
    let rows: Int
    let blocksPerRow: Int
    let values: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>

    /// Quantizes `rows` rows of `k` floats (k a multiple of 32).
    init(_ input: UnsafePointer<Float>, rows: Int, k: Int) {
        self.rows = rows
        blocksPerRow = k / 32
        let blocks = rows * blocksPerRow
        values = .allocate(capacity: blocks * 32)
        scales = .allocate(capacity: blocks)
        sums = .allocate(capacity: blocks)
        for row in 0..<rows {
            for block in 0..<blocksPerRow {
                let index = row * blocksPerRow + block
                let x = input + row * k + block * 32, q = values + index * 32
                var amax: Float = 0
                for j in 0..<32 { amax = max(amax, abs(x[j])) }
                let d = amax / 127
                let inverse: Float = amax != 0 ? 127 / amax : 0
                var sum: Int32 = 0
                for j in 0..<32 {
                    // In range for finite input; NaN or infinity (a broken model) gives -128 as cvtps2dq + packsswb
                    // do, and never a trap.
                    let r = (x[j] * inverse).rounded(.toNearestOrEven)
                    let byte: Int8 = r >= -128 && r <= 127 ? Int8(r) : (r > 127 ? 127 : -128)
                    q[j] = byte
                    sum &+= Int32(byte)
                }
                scales[index] = HalfPrecision.float(fromHalfBits: ActivationRounding.halfBits(d))
                sums[index] = HalfPrecision.float(fromHalfBits: ActivationRounding.halfBits(d * Float(sum)))
            }
        }
    }

    deinit {
        values.deallocate(); scales.deallocate(); sums.deallocate()
    }
}

/// Quantized weight rows times 8-bit activation blocks with integer multiply-adds, following the float operations
/// of ggml's x86 `ggml_vec_dot_q4_1_q8_1` and `ggml_vec_dot_q8_0_q8_0` (AVX2 form) step by step: per block, the
/// eight integer lanes of `mul_sum_us8_pairs_float` converted to float and accumulated by one fused multiply-add
/// with `d_w·d_a`; Q4_1 adds `m·s` to a scalar in block order (`summs += m*s`, which the C compiler contracts to a
/// fused multiply-add); then `hsum_float_8(acc) (+ Σ m·s)`. Each output is that one dot product whatever the
/// batch, tile or thread, so decoding and prefill agree bit for bit, and a logit equals llama.cpp's when the rest
/// of the graph does (`LlamaCppNumericsTests`).
enum IntegerDotProduct {
    /// Formats with an integer kernel. Not Q4_0: on x86 llama.cpp repacks Q4_0 weights into interleaved 8-row
    /// blocks and multiplies them in another float order (`ggml_gemv_q4_0_8x8_q8_0`), which the float path with
    /// rounded activations follows more closely than `ggml_vec_dot_q4_0_q8_0` would.
    static func supports(_ type: GGMLType) -> Bool { type == .q4_1 || type == .q8_0 }

    /// Output columns `columns` of `job` for every row of `activations`.
    ///
    /// One weight row at a time, as ggml does: decoding streams the weights from memory, and on the development
    /// machine (AMD EPYC, Zen 4) reading two or four adjacent rows in step cut the throughput to a half or a third
    /// (Q8_0 decode on one thread: 113 tokens/s one row at a time, 49 with two, 38 with four). Two rows half a
    /// slice apart, as the float decoder reads them, measured the same as one (117 vs 120): one accumulator chain
    /// is enough here, since one multiply-add per 32 weights waits far less than their load does.
    static func computeSlice(_ job: MatrixMultiply.Job, columns range: Range<Int>, activations: ActivationBlocks) {
        let weights = job.weights, rows = job.rows, blocks = activations.blocksPerRow
        for column in range {
            let w = weights.row(rows?[column] ?? column)
            var inputRow = 0
            // Prompts: four activation rows share each decoded weight block (the row is in L1 by then).
            while inputRow + 4 <= activations.rows {
                let sums = weights.type == .q4_1
                    ? q4_1x4(w, activations, base: inputRow * blocks, blocks: blocks)
                    : q8_0x4(w, activations, base: inputRow * blocks, blocks: blocks)
                for i in 0..<4 { job.output[(inputRow + i) * job.outputStride + column] = sums[i] }
                inputRow += 4
            }
            while inputRow < activations.rows {
                let base = inputRow * blocks
                job.output[inputRow * job.outputStride + column] = weights.type == .q4_1
                    ? q4_1(w, activations, base: base, blocks: blocks)
                    : q8_0(w, activations, base: base, blocks: blocks)
                inputRow += 1
            }
        }
    }

    /// One weight row times four consecutive activation rows, each output computed exactly as `q4_1` computes it.
    @inline(__always)
    static func q4_1x4(_ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int) -> SIMD4<Float> {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        var minimums0: Float = 0, minimums1: Float = 0, minimums2: Float = 0, minimums3: Float = 0
        var x = w
        for b in 0..<blocks {
            let d = RowDequantizer.half(x, 0), m = RowDequantizer.half(x, 2), qx = nibbles(x + 4)
            @inline(__always) func step(_ acc: inout SIMD8<Float>, _ minimums: inout Float, _ row: Int) {
                let index = base + row * blocks + b
                let qy = UnsafeRawPointer(a.values + 32 * index).loadUnaligned(as: SIMD32<Int8>.self)
                minimums = multiplyAdd(minimums, m, a.sums[index])
                acc = multiplyAdd(acc, SIMD8(repeating: d * a.scales[index]),
                                  RowDequantizer.floats(addingBytePairProducts(.zero, qx, qy)))
            }
            step(&acc0, &minimums0, 0); step(&acc1, &minimums1, 1); step(&acc2, &minimums2, 2); step(&acc3, &minimums3, 3)
            x += 20
        }
        return SIMD4(horizontalSum(acc0) + minimums0, horizontalSum(acc1) + minimums1,
                     horizontalSum(acc2) + minimums2, horizontalSum(acc3) + minimums3)
    }

    /// One weight row times four consecutive activation rows, each output computed exactly as `q8_0` computes it.
    @inline(__always)
    static func q8_0x4(_ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int) -> SIMD4<Float> {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        var x = w
        for b in 0..<blocks {
            let d = RowDequantizer.half(x, 0), qx = (x + 2).loadUnaligned(as: SIMD32<Int8>.self)
            @inline(__always) func step(_ acc: inout SIMD8<Float>, _ row: Int) {
                let index = base + row * blocks + b
                let qy = UnsafeRawPointer(a.values + 32 * index).loadUnaligned(as: SIMD32<Int8>.self)
                acc = multiplyAdd(acc, SIMD8(repeating: d * a.scales[index]),
                                  RowDequantizer.floats(addingSignedBytePairProducts(.zero, qx, qy)))
            }
            step(&acc0, 0); step(&acc1, 1); step(&acc2, 2); step(&acc3, 3)
            x += 34
        }
        return SIMD4(horizontalSum(acc0), horizontalSum(acc1), horizontalSum(acc2), horizontalSum(acc3))
    }

    /// One weight row times one activation row.
    @inline(__always)
    static func q4_1(_ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int) -> Float {
        var acc = SIMD8<Float>(), minimums: Float = 0
        var x = w
        for b in 0..<blocks {
            let qy = UnsafeRawPointer(a.values + 32 * (base + b)).loadUnaligned(as: SIMD32<Int8>.self)
            minimums = multiplyAdd(minimums, RowDequantizer.half(x, 2), a.sums[base + b])
            acc = multiplyAdd(acc, SIMD8(repeating: RowDequantizer.half(x, 0) * a.scales[base + b]),
                              RowDequantizer.floats(addingBytePairProducts(.zero, nibbles(x + 4), qy)))
            x += 20
        }
        return horizontalSum(acc) + minimums
    }

    @inline(__always)
    static func q8_0(_ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int) -> Float {
        var acc = SIMD8<Float>()
        var x = w
        for b in 0..<blocks {
            let qy = UnsafeRawPointer(a.values + 32 * (base + b)).loadUnaligned(as: SIMD32<Int8>.self)
            let qx = (x + 2).loadUnaligned(as: SIMD32<Int8>.self)
            acc = multiplyAdd(acc, SIMD8(repeating: RowDequantizer.half(x, 0) * a.scales[base + b]),
                              RowDequantizer.floats(addingSignedBytePairProducts(.zero, qx, qy)))
            x += 34
        }
        return horizontalSum(acc)
    }

    /// ggml's `bytes_from_nibbles_32`: low nibbles of the 16 bytes, then their high nibbles.
    @inline(__always)
    static func nibbles(_ bytes: UnsafeRawPointer) -> SIMD32<UInt8> {
        let q = bytes.loadUnaligned(as: SIMD16<UInt8>.self)
        return SIMD32(lowHalf: q & 0x0F, highHalf: q &>> 4)
    }
}

import SDSCMGGUF
import SDSCMVectorIntrinsics

/// Activation rows as ggml's Q8_1 blocks (`ActivationQuantizer.eightBitBlock`): 32 signed bytes per block, the
/// block's scale as the half ggml stores (widened), and Q8_1's `s = half(d·Σq)` with the unrounded `d` (Q8_0 blocks
/// are the same bytes and scale without the sum).
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
                let (d, sum) = ActivationQuantizer.eightBitBlock(input + row * k + block * 32, into: values + index * 32)
                scales[index] = HalfPrecision.float(fromHalfBits: ActivationRounding.halfBits(d))
                sums[index] = HalfPrecision.float(fromHalfBits: ActivationRounding.halfBits(d * Float(sum)))
            }
        }
    }

    deinit {
        values.deallocate(); scales.deallocate(); sums.deallocate()
    }
}

/// Activation rows as ggml's Q8_K blocks (what K-quant weights multiply; `ActivationQuantizer.superBlock`): 256
/// signed bytes per block, a float scale, and the sums of each 16 bytes.
final class SuperBlockActivations {
    let rows: Int
    let blocksPerRow: Int
    let values: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let groupSums: UnsafeMutablePointer<Int32>

    /// Quantizes `rows` rows of `k` floats (k a multiple of 256).
    init(_ input: UnsafePointer<Float>, rows: Int, k: Int) {
        self.rows = rows
        blocksPerRow = k / 256
        let blocks = rows * blocksPerRow
        values = .allocate(capacity: blocks * 256)
        scales = .allocate(capacity: blocks)
        groupSums = .allocate(capacity: blocks * 16)
        for row in 0..<rows {
            for block in 0..<blocksPerRow {
                let index = row * blocksPerRow + block
                let q = values + index * 256
                scales[index] = ActivationQuantizer.superBlock(input + row * k + block * 256, into: q)
                for group in 0..<16 {
                    var sum: Int32 = 0
                    for j in 0..<16 { sum &+= Int32(q[16 * group + j]) }
                    groupSums[index * 16 + group] = sum
                }
            }
        }
    }

    deinit {
        values.deallocate(); scales.deallocate(); groupSums.deallocate()
    }
}

/// The activations a group of integer products reads, each quantized once: 32-element blocks for Q4_1, Q5_0 and
/// Q8_0 weights, 256-element super-blocks for Q6_K.
struct QuantizedActivations {
    var blocks: ActivationBlocks?
    var superBlocks: SuperBlockActivations?

    init(_ input: UnsafePointer<Float>, rows: Int, k: Int, for types: [GGMLType]) {
        if types.contains(where: { $0 != .q6_K && IntegerDotProduct.supports($0) }) {
            blocks = ActivationBlocks(input, rows: rows, k: k)
        }
        if types.contains(.q6_K) { superBlocks = SuperBlockActivations(input, rows: rows, k: k) }
    }
}

/// Quantized weight rows times 8-bit activation blocks with integer multiply-adds, following the float operations
/// of ggml's x86 `ggml_vec_dot_q4_1_q8_1`, `ggml_vec_dot_q5_0_q8_0`, `ggml_vec_dot_q8_0_q8_0` and
/// `ggml_vec_dot_q6_K_q8_K` (AVX2 form) step by step: per block, eight integer lanes converted to float and
/// accumulated by one fused multiply-add with `d_w·d_a`; Q4_1 adds `m·s` to a scalar in block order (`summs +=
/// m*s`, which the C compiler contracts to a fused multiply-add); then `hsum_float_8(acc) (+ Σ m·s)`. Each output
/// is that one dot product whatever the batch, tile or thread, so decoding and prefill agree bit for bit, and each
/// equals ggml's `vec_dot` for the same weights and activations (`IntegerKernelTests`).
enum IntegerDotProduct {
    /// Formats with an integer kernel. Not Q4_K: on x86 llama.cpp repacks it into interleaved 8-row blocks and
    /// multiplies it in another float order (`ggml_gemm_q4_K_8x8_q8_K`), which the float path with rounded
    /// activations follows more closely than its `vec_dot` would. Q4_0 is repacked too, but its repacked order is
    /// simple enough to follow (`q4_0Repacked`).
    static func supports(_ type: GGMLType) -> Bool {
        switch type {
        case .q4_0, .q4_1, .q5_0, .q8_0, .q6_K: true
        default: false
        }
    }

    /// Output columns `columns` of `job` for every row of `activations`.
    ///
    /// One weight row at a time, as ggml does: decoding streams the weights from memory, and on the development
    /// machine (AMD EPYC, Zen 4) reading two or four adjacent rows in step cut the throughput to a half or a third
    /// (Q8_0 decode on one thread: 113 tokens/s one row at a time, 49 with two, 38 with four). Two rows half a
    /// slice apart, as the float decoder reads them, measured the same as one (117 vs 120): one accumulator chain
    /// is enough here, since one multiply-add per 32 weights waits far less than their load does.
    static func computeSlice(_ job: MatrixMultiply.Job, columns range: Range<Int>, activations quantized: QuantizedActivations) {
        switch job.weights.type {
        case .q6_K:
            if let activations = quantized.superBlocks { slice(Q6_KKernel.self, job, range, activations) }
        case .q5_0:
            if let activations = quantized.blocks { slice(SignedKernel<Q5_0Bytes>.self, job, range, activations) }
        case .q4_0:
            // llama.cpp repacks Q4_0 matrices whose row count is a multiple of 8 (x86 with AVX2); others go through
            // `ggml_vec_dot_q4_0_q8_0`.
            if let activations = quantized.blocks {
                if job.weights.rows % 8 == 0 {
                    slice(Q4_0RepackedKernel.self, job, range, activations)
                } else {
                    slice(SignedKernel<Q4_0Bytes>.self, job, range, activations)
                }
            }
        default:
            if let activations = quantized.blocks { q4_1OrQ8_0Slice(job, range, activations) }
        }
    }

    // Q4_1 and Q8_0 keep the loop nest they had before Q5_0 and Q6_K came: merged into one function with the
    // others (one switch per row, or one slice function per format), Q8_0 decoding ran 15–40% slower on the
    // development machine with the same inner-loop instructions (SmolLM2 Q8_0 tg, one thread: 122 vs 84 tokens/s).
    // Each row there is only 18 blocks of a latency-bound chain, so what surrounds the loop counts.

    static func q4_1OrQ8_0Slice(_ job: MatrixMultiply.Job, _ range: Range<Int>, _ activations: ActivationBlocks) {
        let weights = job.weights, rows = job.rows, blocks = activations.blocksPerRow
        for column in range {
            let w = weights.row(rows?[column] ?? column)
            var inputRow = 0
            // Prompts: four activation rows share each decoded weight block (the row is in L1 by then).
            while inputRow + 4 <= activations.rows {
                let sums = weights.type == .q4_1
                    ? q4_1x4(w, activations, base: inputRow * blocks, blocks: blocks)
                    : signedx4(Q8_0Bytes.self, w, activations, base: inputRow * blocks, blocks: blocks)
                for i in 0..<4 { job.output[(inputRow + i) * job.outputStride + column] = sums[i] }
                inputRow += 4
            }
            while inputRow < activations.rows {
                let base = inputRow * blocks
                job.output[inputRow * job.outputStride + column] = weights.type == .q4_1
                    ? q4_1(w, activations, base: base, blocks: blocks)
                    : signed(Q8_0Bytes.self, w, activations, base: base, blocks: blocks)
                inputRow += 1
            }
        }
    }

    /// Columns `range` of `job` through `Kernel`: four activation rows share each decoded weight block (the row is in
    /// L1 by then), the rest one at a time; both compute every output the same way.
    @inline(never)
    static func slice<Kernel: IntegerRowKernel>(
        _: Kernel.Type, _ job: MatrixMultiply.Job, _ range: Range<Int>, _ activations: Kernel.Activations
    ) {
        let weights = job.weights, blocks = activations.blocksPerRow
        for column in range {
            let w = weights.row(job.rows?[column] ?? column)
            var inputRow = 0
            while inputRow + 4 <= activations.rows {
                let sums = Kernel.four(w, activations, base: inputRow * blocks, blocks: blocks)
                for i in 0..<4 { job.output[(inputRow + i) * job.outputStride + column] = sums[i] }
                inputRow += 4
            }
            while inputRow < activations.rows {
                job.output[inputRow * job.outputStride + column] = Kernel.one(w, activations, base: inputRow * blocks,
                                                                              blocks: blocks)
                inputRow += 1
            }
        }
    }

    /// One Q4_0 weight row times one activation row in the order of llama.cpp's repacked kernels
    /// (`ggml_gemv_q4_0_8x8_q8_0` and `ggml_gemm_q4_0_8x8_q8_0`, which agree): per block the exact integer
    /// Σ(q − 8)·a, converted to float and added to one float by a fused multiply-add with `d_w·d_a`, in block order.
    @inline(__always)
    static func q4_0Repacked(_ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int) -> Float {
        var acc: Float = 0
        var x = w
        for b in 0..<blocks {
            let qy = UnsafeRawPointer(a.values + 32 * (base + b)).loadUnaligned(as: SIMD32<Int8>.self)
            let sum = integerSum(addingSignedBytePairProducts(.zero, Q4_0Bytes.bytes(x), qy))
            acc = multiplyAdd(acc, Float(sum), RowDequantizer.half(x, 0) * a.scales[base + b])
            x += 18
        }
        return acc
    }

    /// One Q4_0 weight row times four consecutive activation rows, each output computed exactly as `q4_0Repacked`.
    @inline(__always)
    static func q4_0Repackedx4(_ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int) -> SIMD4<Float> {
        var acc0: Float = 0, acc1: Float = 0, acc2: Float = 0, acc3: Float = 0
        var x = w
        for b in 0..<blocks {
            let d = RowDequantizer.half(x, 0), qx = Q4_0Bytes.bytes(x)
            @inline(__always) func step(_ acc: inout Float, _ row: Int) {
                let index = base + row * blocks + b
                let qy = UnsafeRawPointer(a.values + 32 * index).loadUnaligned(as: SIMD32<Int8>.self)
                acc = multiplyAdd(acc, Float(integerSum(addingSignedBytePairProducts(.zero, qx, qy))), d * a.scales[index])
            }
            step(&acc0, 0); step(&acc1, 1); step(&acc2, 2); step(&acc3, 3)
            x += 18
        }
        return SIMD4(acc0, acc1, acc2, acc3)
    }

    /// The sum of eight integer lanes (exact; the order does not matter).
    @inline(__always)
    static func integerSum(_ v: SIMD8<Int32>) -> Int32 {
        let four = v.lowHalf &+ v.highHalf
        return (four[0] &+ four[2]) &+ (four[1] &+ four[3])
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

    /// One weight row times four consecutive activation rows, each output computed exactly as `signed` computes it.
    @inline(__always)
    static func signedx4<Format: SignedByteBlock>(
        _: Format.Type, _ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int
    ) -> SIMD4<Float> {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        var x = w
        for b in 0..<blocks {
            let d = RowDequantizer.half(x, 0), qx = Format.bytes(x)
            @inline(__always) func step(_ acc: inout SIMD8<Float>, _ row: Int) {
                let index = base + row * blocks + b
                let qy = UnsafeRawPointer(a.values + 32 * index).loadUnaligned(as: SIMD32<Int8>.self)
                acc = multiplyAdd(acc, SIMD8(repeating: d * a.scales[index]),
                                  RowDequantizer.floats(addingSignedBytePairProducts(.zero, qx, qy)))
            }
            step(&acc0, 0); step(&acc1, 1); step(&acc2, 2); step(&acc3, 3)
            x += Format.bytesPerBlock
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

    /// One weight row of a format with signed 8-bit block values times one activation row (ggml's
    /// `ggml_vec_dot_q8_0_q8_0` and `ggml_vec_dot_q5_0_q8_0`, which differ only in how the bytes are decoded).
    @inline(__always)
    static func signed<Format: SignedByteBlock>(
        _: Format.Type, _ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int
    ) -> Float {
        var acc = SIMD8<Float>()
        var x = w
        for b in 0..<blocks {
            let qy = UnsafeRawPointer(a.values + 32 * (base + b)).loadUnaligned(as: SIMD32<Int8>.self)
            let qx = Format.bytes(x)
            acc = multiplyAdd(acc, SIMD8(repeating: RowDequantizer.half(x, 0) * a.scales[base + b]),
                              RowDequantizer.floats(addingSignedBytePairProducts(.zero, qx, qy)))
            x += Format.bytesPerBlock
        }
        return horizontalSum(acc)
    }

    /// One Q6_K weight row times one Q8_K activation row, as ggml's AVX2 `ggml_vec_dot_q6_K_q8_K`: per super-block,
    /// eight integer lanes (lane l holds bytes 4l…4l+3 of every 32-element chunk, times that half-chunk's scale,
    /// minus 32·Σ scale·(group sum) over groups 2l and 2l+1 for the levels' offset of 32), converted to float and
    /// accumulated by one fused multiply-add with `d_a·d_w`; then `hsum_float_8`. The integers are exact in any
    /// order; the lanes are ggml's, since each is rounded on conversion.
    @inline(__always)
    static func q6_K(_ w: UnsafeRawPointer, _ a: SuperBlockActivations, base: Int, blocks: Int) -> Float {
        var acc = SIMD8<Float>()
        var x = w
        for b in 0..<blocks {
            let scales = q6_KScales(x)
            var sum = SIMD8<Int32>()
            for chunk in 0..<8 {
                let (q0, q1) = RowDequantizer.q6_KLevels(x, chunk)
                sum = q6_KChunk(sum, SIMD32(lowHalf: q0, highHalf: q1), scales, chunk, a, index: base + b)
            }
            acc = q6_KFinish(acc, sum, scales, x, a, index: base + b)
            x += 210
        }
        return horizontalSum(acc)
    }

    /// One Q6_K weight row times four consecutive activation rows, each output computed exactly as `q6_K` does.
    @inline(__always)
    static func q6_Kx4(_ w: UnsafeRawPointer, _ a: SuperBlockActivations, base: Int, blocks: Int) -> SIMD4<Float> {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        var x = w
        for b in 0..<blocks {
            let scales = q6_KScales(x)
            var sum0 = SIMD8<Int32>(), sum1 = SIMD8<Int32>(), sum2 = SIMD8<Int32>(), sum3 = SIMD8<Int32>()
            for chunk in 0..<8 {
                let (q0, q1) = RowDequantizer.q6_KLevels(x, chunk)
                let levels = SIMD32(lowHalf: q0, highHalf: q1)
                sum0 = q6_KChunk(sum0, levels, scales, chunk, a, index: base + b)
                sum1 = q6_KChunk(sum1, levels, scales, chunk, a, index: base + blocks + b)
                sum2 = q6_KChunk(sum2, levels, scales, chunk, a, index: base + 2 * blocks + b)
                sum3 = q6_KChunk(sum3, levels, scales, chunk, a, index: base + 3 * blocks + b)
            }
            acc0 = q6_KFinish(acc0, sum0, scales, x, a, index: base + b)
            acc1 = q6_KFinish(acc1, sum1, scales, x, a, index: base + blocks + b)
            acc2 = q6_KFinish(acc2, sum2, scales, x, a, index: base + 2 * blocks + b)
            acc3 = q6_KFinish(acc3, sum3, scales, x, a, index: base + 3 * blocks + b)
            x += 210
        }
        return SIMD4(horizontalSum(acc0), horizontalSum(acc1), horizontalSum(acc2), horizontalSum(acc3))
    }

    /// A Q6_K super-block's 16 signed scales.
    @inline(__always)
    static func q6_KScales(_ x: UnsafeRawPointer) -> SIMD16<Int8> {
        unsafeBitCast(x.loadUnaligned(fromByteOffset: 192, as: SIMD16<UInt8>.self), to: SIMD16<Int8>.self)
    }

    /// Adds chunk `chunk`'s scaled byte-pair products with activation block `index` to the integer lanes.
    @inline(__always)
    static func q6_KChunk(
        _ sum: SIMD8<Int32>, _ levels: SIMD32<UInt8>, _ scales: SIMD16<Int8>, _ chunk: Int, _ a: SuperBlockActivations,
        index: Int
    ) -> SIMD8<Int32> {
        let qy = UnsafeRawPointer(a.values + 256 * index).loadUnaligned(fromByteOffset: 32 * chunk, as: SIMD32<Int8>.self)
        let s0 = Int32(scales[2 * chunk]), s1 = Int32(scales[2 * chunk + 1])
        return sum &+ addingBytePairProducts(.zero, levels, qy) &* SIMD8<Int32>(s0, s0, s0, s0, s1, s1, s1, s1)
    }

    /// Subtracts the levels' offset of 32 (lane l: groups 2l and 2l + 1) and accumulates the super-block.
    @inline(__always)
    static func q6_KFinish(
        _ acc: SIMD8<Float>, _ sum: SIMD8<Int32>, _ scales: SIMD16<Int8>, _ x: UnsafeRawPointer,
        _ a: SuperBlockActivations, index: Int
    ) -> SIMD8<Float> {
        let groups = UnsafeRawPointer(a.groupSums + 16 * index).loadUnaligned(as: SIMD16<Int32>.self)
        let weighted = groups &* SIMD16(lowHalf: RowDequantizer.widen(scales.lowHalf), highHalf: RowDequantizer.widen(scales.highHalf))
        let even = SIMD8<Int32>(weighted[0], weighted[2], weighted[4], weighted[6],
                                weighted[8], weighted[10], weighted[12], weighted[14])
        let odd = SIMD8<Int32>(weighted[1], weighted[3], weighted[5], weighted[7],
                               weighted[9], weighted[11], weighted[13], weighted[15])
        let lanes = sum &- ((even &+ odd) &<< 5)
        return multiplyAdd(acc, SIMD8(repeating: a.scales[index] * RowDequantizer.half(x, 208)), RowDequantizer.floats(lanes))
    }

    /// ggml's `bytes_from_nibbles_32`: low nibbles of the 16 bytes, then their high nibbles.
    @inline(__always)
    static func nibbles(_ bytes: UnsafeRawPointer) -> SIMD32<UInt8> {
        let q = bytes.loadUnaligned(as: SIMD16<UInt8>.self)
        return SIMD32(lowHalf: q & 0x0F, highHalf: q &>> 4)
    }
}

/// Activation rows as one of the quantized forms the integer kernels read.
protocol QuantizedActivationRows: AnyObject {
    var rows: Int { get }
    var blocksPerRow: Int { get }
}

extension ActivationBlocks: QuantizedActivationRows {}
extension SuperBlockActivations: QuantizedActivationRows {}

/// One weight row times one activation row (`one`) or four consecutive ones (`four`, the prompt tile), each output
/// computed the same way by both.
protocol IntegerRowKernel {
    associatedtype Activations: QuantizedActivationRows
    static func one(_ w: UnsafeRawPointer, _ a: Activations, base: Int, blocks: Int) -> Float
    static func four(_ w: UnsafeRawPointer, _ a: Activations, base: Int, blocks: Int) -> SIMD4<Float>
}

/// `IntegerDotProduct.signed`/`signedx4` for one signed-byte format (Q5_0, and Q4_0 in `vec_dot` order).
enum SignedKernel<Format: SignedByteBlock>: IntegerRowKernel {
    @inline(__always)
    static func one(_ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int) -> Float {
        IntegerDotProduct.signed(Format.self, w, a, base: base, blocks: blocks)
    }
    @inline(__always)
    static func four(_ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int) -> SIMD4<Float> {
        IntegerDotProduct.signedx4(Format.self, w, a, base: base, blocks: blocks)
    }
}

/// `IntegerDotProduct.q4_0Repacked`/`q4_0Repackedx4`.
enum Q4_0RepackedKernel: IntegerRowKernel {
    @inline(__always)
    static func one(_ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int) -> Float {
        IntegerDotProduct.q4_0Repacked(w, a, base: base, blocks: blocks)
    }
    @inline(__always)
    static func four(_ w: UnsafeRawPointer, _ a: ActivationBlocks, base: Int, blocks: Int) -> SIMD4<Float> {
        IntegerDotProduct.q4_0Repackedx4(w, a, base: base, blocks: blocks)
    }
}

/// `IntegerDotProduct.q6_K`/`q6_Kx4`.
enum Q6_KKernel: IntegerRowKernel {
    @inline(__always)
    static func one(_ w: UnsafeRawPointer, _ a: SuperBlockActivations, base: Int, blocks: Int) -> Float {
        IntegerDotProduct.q6_K(w, a, base: base, blocks: blocks)
    }
    @inline(__always)
    static func four(_ w: UnsafeRawPointer, _ a: SuperBlockActivations, base: Int, blocks: Int) -> SIMD4<Float> {
        IntegerDotProduct.q6_Kx4(w, a, base: base, blocks: blocks)
    }
}

/// A 32-element weight block whose values are signed bytes times the half-precision scale at its start.
protocol SignedByteBlock {
    static var bytesPerBlock: Int { get }
    /// The block's 32 values as signed bytes, in element order.
    static func bytes(_ block: UnsafeRawPointer) -> SIMD32<Int8>
}

/// `{half d; u8 qs[16]}`: value j is nibble j (low nibbles first, ggml's `bytes_from_nibbles_32`) minus 8.
enum Q4_0Bytes: SignedByteBlock {
    static var bytesPerBlock: Int { 18 }
    @inline(__always)
    static func bytes(_ block: UnsafeRawPointer) -> SIMD32<Int8> {
        // On sixteen-byte halves: the standard library's 32-lane byte operations stay lane-by-lane loops.
        let q = block.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
        let values = SIMD32(lowHalf: (q & 0x0F) &- 8, highHalf: (q &>> 4) &- 8)
        return unsafeBitCast(values, to: SIMD32<Int8>.self)
    }
}

/// `{half d; i8 qs[32]}`.
enum Q8_0Bytes: SignedByteBlock {
    static var bytesPerBlock: Int { 34 }
    @inline(__always)
    static func bytes(_ block: UnsafeRawPointer) -> SIMD32<Int8> { (block + 2).loadUnaligned(as: SIMD32<Int8>.self) }
}

/// `{half d; u32 qh; u8 qs[16]}`: value j is the nibble (low nibbles first) plus 16 × bit j of qh, minus 16, as
/// ggml's `bytes_from_bits_32`/`andnot` forms it (a nibble with its fifth bit clear gets 0xF0 ORed in).
enum Q5_0Bytes: SignedByteBlock {
    static var bytesPerBlock: Int { 22 }
    @inline(__always)
    static func bytes(_ block: UnsafeRawPointer) -> SIMD32<Int8> {
        let qh = block.loadUnaligned(fromByteOffset: 2, as: SIMD4<UInt8>.self)
        let q = block.loadUnaligned(fromByteOffset: 6, as: SIMD16<UInt8>.self)
        let bit = SIMD16<UInt8>(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128)
        let zero = SIMD16<UInt8>(), offset = SIMD16<UInt8>(repeating: 0xF0)
        @inline(__always) func part(_ nibbles: SIMD16<UInt8>, _ b0: UInt8, _ b1: UInt8) -> SIMD16<UInt8> {
            let spread = SIMD16<UInt8>(b0, b0, b0, b0, b0, b0, b0, b0, b1, b1, b1, b1, b1, b1, b1, b1)
            return nibbles | offset.replacing(with: zero, where: (spread & bit) .!= zero)
        }
        let values = SIMD32(lowHalf: part(q & 0x0F, qh[0], qh[1]), highHalf: part(q &>> 4, qh[2], qh[3]))
        return unsafeBitCast(values, to: SIMD32<Int8>.self)
    }
}

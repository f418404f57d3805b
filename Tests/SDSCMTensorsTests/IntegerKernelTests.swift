import Foundation
import SDSCMGGUF
@testable import SDSCMTensors
import Testing
import SDSCMTestSupport

/// The integer kernels of `--numerics llama.cpp` against ggml's reference arithmetic (`ggml-quants.c`
/// `quantize_row_q8_1_ref` with the AVX2 quantizer's round-half-even, `ggml_vec_dot_*_generic`'s block formulas)
/// evaluated in Double with exact integer block sums, and against ggml's own x86 kernels bit for bit
/// (`ggml-vec-dot.json`, made by Tests/Tools/kernel-fixtures/make_ggml_dot_expected.py). Whole models against
/// llama.cpp's logits: `LlamaCppNumericsTests`.
@Suite struct IntegerKernelTests {
    /// ggml's 8-bit activation block: values, the half-rounded scale, and Q8_1's half-rounded d·Σq.
    static func quantize(_ x: ArraySlice<Float>) -> (q: [Int], d: Double, s: Double) {
        let amax = x.map { abs($0) }.max() ?? 0
        let d = amax / 127
        let inverse: Float = amax != 0 ? 127 / amax : 0
        let q = x.map { Int(($0 * inverse).rounded(.toNearestOrEven)) }
        let half = { (v: Float) in Double(HalfPrecision.float(fromHalfBits: ActivationRounding.halfBits(v))) }
        return (q, half(d), half(d * Float(q.reduce(0, +))))
    }

    /// One output by the block formula: Σ_b d_w·d_a·Σ q_w·q_a (+ m·s for Q4_1).
    static func reference(_ row: UnsafeRawPointer, type: GGMLType, input: ArraySlice<Float>) -> Double {
        let blocks = input.count / 32
        var total = 0.0
        for b in 0..<blocks {
            let a = quantize(input[(input.startIndex + 32 * b)..<(input.startIndex + 32 * b + 32)])
            let block = row + b * type.bytesPerBlock
            let d = Double(RowDequantizer.half(block, 0))
            var weights: [Int] = []
            var minimum = 0.0
            switch type {
            case .q4_1:
                let bytes = (0..<16).map { Int(block.load(fromByteOffset: 4 + $0, as: UInt8.self)) }
                weights = bytes.map { $0 & 15 } + bytes.map { $0 >> 4 }
                minimum = Double(RowDequantizer.half(block, 2))
            case .q4_0:
                let bytes = (0..<16).map { Int(block.load(fromByteOffset: 2 + $0, as: UInt8.self)) }
                weights = (bytes.map { $0 & 15 } + bytes.map { $0 >> 4 }).map { $0 - 8 }
            case .q5_0:
                let high = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
                let bytes = (0..<16).map { Int(block.load(fromByteOffset: 6 + $0, as: UInt8.self)) }
                let nibbles = bytes.map { $0 & 15 } + bytes.map { $0 >> 4 }
                weights = (0..<32).map { nibbles[$0] + 16 * Int((high >> UInt32($0)) & 1) - 16 }
            default:
                weights = (0..<32).map { Int(block.load(fromByteOffset: 2 + $0, as: Int8.self)) }
            }
            let sum = zip(weights, a.q).map { $0 * $1 }.reduce(0, +)
            total += d * a.d * Double(sum) + minimum * a.s
        }
        return total
    }

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q8_0])
    func matchesBlockArithmetic(_ type: GGMLType) throws {
        let file = try GGUFFile(path: Fixtures.path("gguf/formats.gguf"))
        let info = try #require(file.tensors.first { $0.type == type })
        let matrix = try WeightMatrix(file: file, info: info)
        let k = matrix.columns
        var generator = SeededGenerator(seed: 11)
        for m in [1, 2, 3, 5, 8] {
            // Mixed magnitudes, with exact ties (x·127/amax = n + 0.5) and all-zero blocks.
            var input = (0..<(m * k)).map { _ in Float.random(in: -2...2, using: &generator) }
            for i in stride(from: 0, to: input.count, by: 32) where i % 96 == 0 { input[i] = 127; input[i + 1] = 0.5 }
            for i in 32..<64 where m * k >= 64 { input[i] = 0 }
            let result = try matrix.multiply(input, rows: m, numerics: .llamaCpp)
            for row in 0..<m {
                for column in 0..<matrix.rows {
                    let expected = Self.reference(matrix.row(column), type: type, input: input[(row * k)..<(row * k + k)])
                    let got = Double(result[row * matrix.rows + column])
                    #expect(abs(got - expected) <= 1e-5 * max(1, abs(expected)), "\(type) m=\(m) row \(row) column \(column)")
                }
                // Each output is the same computation whatever else is in the batch.
                let alone = try matrix.multiply(Array(input[(row * k)..<(row * k + k)]), rows: 1, numerics: .llamaCpp)
                #expect(alone.map(\.bitPattern) == Array(result[(row * matrix.rows)..<((row + 1) * matrix.rows)]).map(\.bitPattern))
            }
            for threads in [2, 3] {
                let threaded = try matrix.multiply(input, rows: m, numerics: .llamaCpp, pool: ComputePool(threads: threads))
                #expect(threaded.map(\.bitPattern) == result.map(\.bitPattern))
            }
            let selected = try matrix.multiply(input, rows: m, selecting: [2, 0], numerics: .llamaCpp)
            for row in 0..<m {
                #expect(selected[row * 2] == result[row * matrix.rows + 2])
                #expect(selected[row * 2 + 1] == result[row * matrix.rows])
            }
        }
    }

    /// Every output equals the one ggml's own kernels (`from_float` of the activation format, then `vec_dot`, as
    /// llama.cpp 0.3.36 runs them on x86 with AVX2 and FMA) compute for the same weights and inputs, bit for bit.
    /// (The fixture's Q4_0 matrix has 3 rows, which llama.cpp does not repack, so `vec_dot` is its kernel too.)
    @Test(.enabled(if: kernelsUseFusedMultiplyAdd, "ggml's results are those of its FMA build"))
    func equalsGGMLKernelsBitForBit() throws {
        let file = try GGUFFile(path: Fixtures.path("gguf/formats.gguf"))
        let fixture = try #require(Fixtures.json("ggml-vec-dot.json") as? [String: Any])
        let cases = try #require(fixture["cases"] as? [[String: Any]])
        #expect(Set(cases.compactMap { $0["tensor"] as? String }) == ["q4_0", "q4_1", "q5_0", "q8_0", "q6_k"])
        for entry in cases {
            let name = try #require(entry["tensor"] as? String)
            let info = try #require(file.tensors.first { $0.name == name })
            let matrix = try WeightMatrix(file: file, info: info)
            #expect(IntegerDotProduct.supports(matrix.type), "\(name) has no integer kernel")
            let input = try #require(entry["input"] as? [Int]).map { Float(bitPattern: UInt32($0)) }
            let expected = try #require(entry["output"] as? [Int]).map(UInt32.init)
            let result = try matrix.multiply(input, rows: 1, numerics: .llamaCpp)
            #expect(result.map(\.bitPattern) == expected, "\(name): ours \(result), ggml \(expected.map { Float(bitPattern: $0) })")
            // Inside a batch of four (the prompt tile) each row is the same computation.
            let batch = try matrix.multiply(input + input.reversed() + input + input, rows: 4, numerics: .llamaCpp)
            #expect(Array(batch[0..<matrix.rows]).map(\.bitPattern) == expected, "\(name) in a batch")
        }
    }
}

import Foundation
import SDSCMGGUF
@testable import SDSCMTensors
import Testing
import SDSCMTestSupport

/// The matmul kernels against straightforward references, on every supported weight format.
@Suite struct KernelTests {
    static let formats = try? GGUFFile(path: Fixtures.path("gguf/formats.gguf"))

    /// The vectorized row dequantizers give the reference dequantizers' values bit for bit.
    @Test func vectorizedDequantizationIsBitExact() throws {
        let file = try #require(Self.formats)
        for info in file.tensors {
            let reference = try MappedTensor(file: file, info: info).dequantized()
            let matrix = try WeightMatrix(file: file, info: info)
            var rows: [Float] = []
            for row in 0..<matrix.rows { rows += try matrix.dequantizedRow(row) }
            #expect(rows.map(\.bitPattern) == reference.map(\.bitPattern), "\(info.type)")
        }
    }

    /// C = A·Wᵀ against a Double-precision product of the dequantized weights, for 1 to 7 rows of A (every tile
    /// path), all formats, selected rows, and 1–3 threads (which must agree bit for bit).
    @Test func matmulMatchesDoublePrecision() throws {
        let file = try #require(Self.formats)
        var generator = SeededGenerator(seed: 7)
        for info in file.tensors {
            let matrix = try WeightMatrix(file: file, info: info)
            let weights = try MappedTensor(file: file, info: info).dequantized()
            let k = matrix.columns
            for m in 1...7 {
                let input = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &generator) }
                let result = try matrix.multiply(input, rows: m)
                for row in 0..<m {
                    for column in 0..<matrix.rows {
                        var exact = 0.0
                        var magnitude = 0.0
                        for i in 0..<k {
                            exact += Double(input[row * k + i]) * Double(weights[column * k + i])
                            magnitude += abs(Double(input[row * k + i]) * Double(weights[column * k + i]))
                        }
                        // The BF16 fixture holds random exponents up to 1e38; products that overflow Float are not a test.
                        guard magnitude < 1e30 else { continue }
                        let error = abs(Double(result[row * matrix.rows + column]) - exact)
                        #expect(error <= 1e-5 * max(1, magnitude), "\(info.type) m=\(m)")
                    }
                }
                for threads in [2, 3] {
                    let threaded = try matrix.multiply(input, rows: m, pool: ComputePool(threads: threads))
                    #expect(threaded.map(\.bitPattern) == result.map(\.bitPattern))
                }
                let selected = try matrix.multiply(input, rows: m, selecting: [2, 0])
                for row in 0..<m {
                    #expect(selected[row * 2] == result[row * matrix.rows + 2])
                    #expect(selected[row * 2 + 1] == result[row * matrix.rows])
                }
            }
        }
    }

    /// A row's product computed alone (the fused decode kernels of Q4_1, Q5_0, Q8_0, Q4_K and Q6_K, which decode
    /// blocks in registers) equals the same row inside a batch (dequantized panels and register tiles) bit for bit,
    /// for every format: decoding a token must give the logits its prefill gave.
    @Test func oneRowEqualsTheSameRowInABatch() throws {
        let file = try #require(Self.formats)
        var generator = SeededGenerator(seed: 11)
        #expect(Set(file.tensors.map(\.type)).isSuperset(of: MatrixMultiply.fusedTypes), "fixture lacks a fused format")
        for info in file.tensors {
            let matrix = try WeightMatrix(file: file, info: info)
            let k = matrix.columns, m = 6
            let input = (0..<(m * k)).map { _ in Float.random(in: -2...2, using: &generator) }
            let batched = try matrix.multiply(input, rows: m)
            for row in 0..<m {
                let alone = try matrix.multiply(Array(input[(row * k)..<((row + 1) * k)]), rows: 1)
                #expect(alone.map(\.bitPattern) == batched[(row * matrix.rows)..<((row + 1) * matrix.rows)].map(\.bitPattern),
                        "\(info.type) row \(row)")
            }
        }
    }

    @Test func errors() throws {
        let file = try #require(Self.formats)
        let matrix = try WeightMatrix(file: file, info: try file.tensor(named: "q4_k"))
        #expect(throws: TensorError.self) { try matrix.multiply([1, 2, 3], rows: 1) }
        #expect(throws: TensorError.rowOutOfRange(tensor: "q4_k", row: 3, rowCount: 3)) {
            try matrix.multiply([Float](repeating: 0, count: 512), rows: 1, selecting: [3])
        }
    }

    @Test func halfRoundingMatchesTheStandardLibrary() {
        #if !(os(macOS) && arch(x86_64))
        var generator = SeededGenerator(seed: 16)
        var checked = 0
        for _ in 0..<200_000 {
            let value = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator))
            guard value.isFinite else { continue }
            #expect(ActivationRounding.halfBits(value) == Float16(value).bitPattern, "\(value)")
            checked += 1
        }
        // Values near half precision's range and subnormals, where rounding is subtle.
        for bits in stride(from: UInt32(0x3300_0000), to: 0x4780_0000, by: 4099) {
            let value = Float(bitPattern: bits)
            #expect(ActivationRounding.halfBits(value) == Float16(value).bitPattern, "\(value)")
        }
        #expect(checked > 100_000)
        #endif
    }

    @Test func vectorExpIsAccurate() {
        for x in stride(from: Float(-87), through: 88, by: 0.173) {
            let ours = Double(VectorMath.exp(x))
            let exact = Foundation.exp(Double(x))
            #expect(abs(ours - exact) <= 3e-7 * exact, "\(x)")
        }
        #expect(VectorMath.exp(-100) == 0)
        #expect(VectorMath.exp(100) == .infinity)
    }
}

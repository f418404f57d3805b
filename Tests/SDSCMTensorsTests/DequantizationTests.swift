import Foundation
import SDSCMGGUF
import SDSCMTensors
import Testing
import SDSCMTestSupport

/// Every supported type against gguf-py's reference dequantizers (Tests/Tools/gguf-fixtures/make_fixtures.py):
/// bit-exact, because both evaluate the same float operations in the same order.
@Suite struct DequantizationTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        let name: String
        let type: String
        let shape: [Int]
        let values: [Float]
        var testDescription: String { type }
    }

    static let expected: [Expected] = {
        guard let document = try? Fixtures.json("gguf/formats.json") as? [String: Any],
              let tensors = document["tensors"] as? [[String: Any]] else { return [] }
        return tensors.map { entry in
            let hex = Array((entry["float32_le_hex"] as? String ?? "").utf8)
            var bytes: [UInt8] = []
            for index in stride(from: 0, to: hex.count - 1, by: 2) {
                bytes.append(UInt8(String(decoding: hex[index...index + 1], as: UTF8.self), radix: 16) ?? 0)
            }
            let values = stride(from: 0, to: bytes.count, by: 4).map { i in
                Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
            }
            return Expected(name: entry["name"] as? String ?? "", type: entry["type"] as? String ?? "",
                            shape: entry["shape"] as? [Int] ?? [], values: values)
        }
    }()

    @Test func theFixtureCoversEverySupportedType() {
        #expect(Set(Self.expected.map(\.type)) == Set(Dequantization.supportedTypes.map(\.description)))
        #expect(Self.expected.count == 14)
    }

    @Test(arguments: expected)
    func matchesGGUFPyBitForBit(_ expected: Expected) throws {
        let file = try GGUFFile(path: Fixtures.path("gguf/formats.gguf"))
        let tensor = try file.mappedTensor(named: expected.name)
        #expect(tensor.info.type.description == expected.type)
        #expect(tensor.info.shape == expected.shape)
        let whole = try tensor.dequantized()
        #expect(whole.count == expected.values.count)
        let mismatches = zip(whole, expected.values).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(mismatches == 0, "\(mismatches) of \(whole.count) values differ")

        // Row access returns the same values as the whole-tensor path.
        for row in 0..<tensor.info.rowCount {
            let values = try tensor.row(row)
            let slice = Array(expected.values[(row * tensor.info.rowLength)..<((row + 1) * tensor.info.rowLength)])
            #expect(values.map(\.bitPattern) == slice.map(\.bitPattern))
        }

        // And the byte-array entry point agrees too.
        let viaBytes = try Dequantization.dequantize(try file.data(of: tensor.info), as: tensor.info.type)
        #expect(viaBytes.map(\.bitPattern) == expected.values.map(\.bitPattern))
    }

    @Test func errors() throws {
        #expect(throws: TensorError.unsupportedType(.iq2_XXS, operation: "dequantization", tensor: nil)) {
            try Dequantization.dequantize([UInt8](repeating: 0, count: 66), as: .iq2_XXS)
        }
        #expect(throws: TensorError.byteCountNotWholeBlocks(type: .q4_0, byteCount: 19)) {
            try Dequantization.dequantize([UInt8](repeating: 0, count: 19), as: .q4_0)
        }
        let file = try GGUFFile(path: Fixtures.path("gguf/formats.gguf"))
        let tensor = try file.mappedTensor(named: "q4_k")
        #expect(throws: TensorError.rowOutOfRange(tensor: "q4_k", row: 3, rowCount: 3)) { try tensor.row(3) }
        #expect(throws: TensorError.rowOutOfRange(tensor: "q4_k", row: -1, rowCount: 3)) { try tensor.row(-1) }
        #expect(throws: GGUFError.tensorNotFound("missing")) { try file.mappedTensor(named: "missing") }
        let message = String(describing: TensorError.unsupportedType(.iq2_XXS, operation: "dequantization", tensor: "w"))
        #expect(message.contains("'w'") && message.contains("IQ2_XXS"))
    }

    /// Independent hand-computed blocks for the simplest formats, so a fixture bug cannot hide a kernel bug.
    @Test func handComputedBlocks() throws {
        // Q8_0: d = 0.5 (0x3800), quants 0, 1, -1, 127, -128, …
        var q8: [UInt8] = [0x00, 0x38] + [0, 1, 0xFF, 127, 0x80] + [UInt8](repeating: 2, count: 27)
        #expect(try Dequantization.dequantize(q8, as: .q8_0).prefix(6) == [0, 0.5, -0.5, 63.5, -64, 1])
        // Q4_0: d = 2 (0x4000); byte 0 = 0x9F → element 0 = (15-8)*2 = 14, element 16 = (9-8)*2 = 2.
        var q4: [UInt8] = [0x00, 0x40, 0x9F] + [UInt8](repeating: 0x88, count: 15)
        let q4Values = try Dequantization.dequantize(q4, as: .q4_0)
        #expect(q4Values[0] == 14 && q4Values[16] == 2 && q4Values[1] == 0 && q4Values[31] == 0)
        // Q4_1: d = 1, m = -1 (0xBC00); nibble 3 → 3*1 - 1 = 2.
        q4 = [0x00, 0x3C, 0x00, 0xBC, 0x03] + [UInt8](repeating: 0, count: 15)
        let q41 = try Dequantization.dequantize(q4, as: .q4_1)
        #expect(q41[0] == 2 && q41[16] == -1 && q41[1] == -1)
        // Q5_0: d = 1; qh bit 0 set → element 0 = (0 | 16) - 16 = 0, element 1 = 0 - 16 = -16; qh bit 16 → element 16.
        q8 = [0x00, 0x3C, 0x01, 0x00, 0x01, 0x00] + [UInt8](repeating: 0, count: 16)
        let q5 = try Dequantization.dequantize(q8, as: .q5_0)
        #expect(q5[0] == 0 && q5[1] == -16 && q5[16] == 0 && q5[17] == -16)
    }
}

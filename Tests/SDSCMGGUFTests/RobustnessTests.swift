import SDSCMGGUF
import SDSCMTensors
import Testing
import SDSCMTestSupport

/// No input may trap: truncations at every byte and seeded random corruption must each end in a typed error or
/// a valid file (whose tensors then dequantize without trapping either).
@Suite struct RobustnessTests {
    static let fixtures = ["gguf/metadata.gguf", "gguf/formats.gguf"]

    @Test(arguments: fixtures)
    func truncationAtEveryOffset(fixture: String) throws {
        let bytes = try Fixtures.bytes(fixture)
        let intact = try GGUFFile(bytes: bytes)
        var errors = 0
        for length in 0..<bytes.count {
            switch Result(catching: { try GGUFFile(bytes: Array(bytes[0..<length])) }) {
            case .success(let file):
                // Only the trailing padding after the last tensor may be cut without losing anything.
                let end = file.tensors.map { file.dataOffset + $0.offset + $0.byteCount }.max() ?? file.dataOffset
                #expect(length >= end, "a prefix of \(length) bytes parsed but tensor data ends at \(end)")
                try exercise(file)
            case .failure(let error):
                #expect(error is GGUFError, "untyped error \(error)")
                errors += 1
            }
        }
        // Every cut inside the header and tensor infos must be detected.
        #expect(errors >= intact.dataOffset)
    }

    @Test(arguments: fixtures)
    func seededRandomCorruption(fixture: String) throws {
        let original = try Fixtures.bytes(fixture)
        let headerEnd = try GGUFFile(bytes: original).dataOffset
        var generator = SeededGenerator(seed: 0x5D5C_0001)
        var valid = 0
        var rejected = 0
        let mutations = 1500
        for _ in 0..<mutations {
            var bytes = original
            switch Int.random(in: 0..<4, using: &generator) {
            case 0:  // flip bits in a few random header bytes
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    bytes[Int.random(in: 0..<headerEnd, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
                }
            case 1:  // overwrite an 8-byte window (a count, length, dimension or offset) with an extreme value
                let at = Int.random(in: 0..<(headerEnd - 8), using: &generator)
                let extremes: [UInt64] = [0, 1, .max, .max >> 1, 1 << 63, 1 << 32, UInt64.random(in: 0...UInt64.max, using: &generator)]
                let value = extremes.randomElement(using: &generator)!
                bytes.replaceSubrange(at..<(at + 8), with: withUnsafeBytes(of: value.littleEndian) { Array($0) })
            case 2:  // delete or duplicate a span of the header
                let at = Int.random(in: 0..<headerEnd, using: &generator)
                let span = Int.random(in: 1...16, using: &generator)
                if Bool.random(using: &generator) {
                    bytes.removeSubrange(at..<min(at + span, bytes.count))
                } else {
                    bytes.insert(contentsOf: bytes[at..<min(at + span, bytes.count)], at: at)
                }
            default:  // corrupt anywhere, including tensor data (dequantization must cope with any bits)
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            switch Result(catching: { try GGUFFile(bytes: bytes) }) {
            case .success(let file):
                valid += 1
                try exercise(file)
            case .failure(let error):
                #expect(error is GGUFError, "untyped error \(error)")
                rejected += 1
            }
        }
        #expect(valid + rejected == mutations)
        #expect(valid > 0 && rejected > 0, "the mutations should produce both outcomes (valid \(valid), rejected \(rejected))")
    }

    /// Touches everything a parsed file offers: accessors and dequantization of every tensor.
    func exercise(_ file: GGUFFile) throws {
        for (key, _) in file.metadata.entries {
            _ = try? file.metadata.integer(key)
            _ = try? file.metadata.strings(key)
            _ = try? file.metadata.floats(key)
        }
        for info in file.tensors {
            let tensor = try MappedTensor(file: file, info: info)
            if Dequantization.supportedTypes.contains(info.type) {
                let values = try tensor.dequantized()
                #expect(values.count == info.elementCount)
            } else {
                #expect(throws: TensorError.self) { try tensor.dequantized() }
            }
        }
    }
}

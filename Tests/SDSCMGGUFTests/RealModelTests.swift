import Foundation
import SDSCMGGUF
import SDSCMTensors
import Testing
import SDSCMTestSupport

/// The two real models the fetch script provides; skipped (with the reason printed) when they are absent.
@Suite struct RealModelTests {
    static let smolLM2 = Fixtures.fetched(.smolLM2)
    static let gemma3 = Fixtures.fetched(.gemma3)

    static func typeCounts(_ file: GGUFFile) -> [String: Int] {
        Dictionary(file.tensors.map { ($0.type.description, 1) }, uniquingKeysWith: +)
    }

    @Test(.enabled(if: smolLM2 != nil, Comment(rawValue: Fixtures.missingReason(.smolLM2))))
    func smolLM2Header() throws {
        let file = try GGUFFile(path: try #require(Self.smolLM2))
        // Reference values from gguf-py's reader and gguf-dump (spec §1.7, §6.1).
        #expect(file.version == 3)
        #expect(file.architecture == "llama")
        #expect(file.tensors.count == 272)
        #expect(Self.typeCounts(file) == ["Q4_1": 210, "Q8_0": 1, "F32": 61])
        #expect(file.metadata.count == 33)
        #expect(file.dataOffset == 1_785_664)
        #expect(file.alignment == 32)
        #expect(file.tensors.reduce(0) { $0 + $1.elementCount } == 134_515_008)
        #expect(try file.metadata.integer("llama.block_count") == 30)
        #expect(try file.metadata.integer("llama.attention.head_count_kv") == 3)
        #expect(try file.metadata.float("llama.rope.freq_base") == 100_000)
        #expect(try file.metadata.strings("tokenizer.ggml.tokens").count == 49152)
        #expect(try file.metadata.strings("tokenizer.ggml.merges").count == 48900)
        #expect(try file.metadata.strings("tokenizer.ggml.tokens")[1] == "<|im_start|>")
        #expect(try file.metadata.integers("tokenizer.ggml.token_type").filter { $0 == 3 }.count == 17)
        let embedding = try file.tensor(named: "token_embd.weight")
        #expect(embedding.type == .q8_0 && embedding.shape == [576, 49152] && embedding.byteCount == 30_081_024)
        #expect(file.tensorIfPresent(named: "output.weight") == nil)
        let next = try #require(file.tensors.first { $0.offset > embedding.offset })
        #expect(file.dataOffset + next.offset == 31_866_688)
    }

    @Test(.enabled(if: smolLM2 != nil, Comment(rawValue: Fixtures.missingReason(.smolLM2))))
    func smolLM2DequantizesLikeGGUFPy() throws {
        let file = try GGUFFile(path: try #require(Self.smolLM2))
        let row = try file.mappedTensor(named: "blk.0.attn_q.weight").row(0)
        #expect(row.count == 576)
        // gguf-py `quants.dequantize` of the same tensor starts [-0.0963, 0.1573, -0.0963, -0.7305] (spec §5).
        let reference: [Float] = [-0.0963, 0.1573, -0.0963, -0.7305]
        for (value, expected) in zip(row, reference) {
            #expect(abs(value - expected) < 5e-5, "\(value) vs \(expected)")
        }
    }

    @Test(.enabled(if: gemma3 != nil, Comment(rawValue: Fixtures.missingReason(.gemma3))))
    func gemma3Header() throws {
        let file = try GGUFFile(path: try #require(Self.gemma3))
        #expect(file.architecture == "gemma3")
        #expect(Self.typeCounts(file) == ["Q8_0": 10, "Q5_0": 81, "Q4_K": 27, "Q6_K": 9, "F32": 109])
        #expect(file.dataOffset == 6_525_120)
        #expect(file.tensors.reduce(0) { $0 + $1.elementCount } == 268_098_176)
        #expect(try file.metadata.integer("gemma3.attention.key_length") == 256)
        #expect(try file.metadata.strings("tokenizer.ggml.tokens").count == 262_144)
        // One row of each quantized type dequantizes to finite values of a plausible weight scale.
        for type in [GGMLType.q8_0, .q5_0, .q4_K, .q6_K] {
            let info = try #require(file.tensors.first { $0.type == type })
            let row = try MappedTensor(file: file, info: info).row(0)
            #expect(row.allSatisfy { $0.isFinite })
            #expect(row.map(abs).max()! < 10, "\(info.name)")
        }
    }

    /// Opening maps the file: parsing the header and reading a row must not pull the 98 MB into memory.
    @Test(.enabled(if: smolLM2 != nil, Comment(rawValue: Fixtures.missingReason(.smolLM2))))
    func openingDoesNotReadTheWholeFile() throws {
        #if os(Linux)
        let before = try Self.residentBytes()
        let file = try GGUFFile(path: try #require(Self.smolLM2))
        _ = try file.mappedTensor(named: "blk.29.ffn_down.weight").row(575)
        let after = try Self.residentBytes()
        let grown = after - before
        // The header is 1.8 MB and the parsed vocabulary a few MB; the whole file would be 98 MB.
        #expect(grown < 24 << 20, "resident set grew by \(grown >> 20) MB")
        #expect(file.fileSize == 98_362_432)
        #endif
    }

    /// VmRSS from /proc/self/status, in bytes.
    static func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kilobytes = try #require(Int(line.split(separator: " ").dropFirst().first ?? ""))
        return kilobytes * 1024
    }
}

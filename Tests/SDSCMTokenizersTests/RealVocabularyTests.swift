import Foundation
import SDSCMGGUF
import Testing
import SDSCMTestSupport
import SDSCMTokenizers

/// SmolLM2 and Gemma-3 against llama.cpp's own results on the same files (recorded by
/// Tests/Tools/tokenizer-fixtures/make_expected.py): ids in three modes, detokenized bytes and token pieces.
@Suite struct RealVocabularyTests {
    struct Expectations: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            let ids_parse_special: [Int]
            let ids_add_special: [Int]
            let detokenized_hex: String
        }
        struct Piece: Decodable {
            let id: Int
            let hex: String
            let special_hex: String
        }
        let vocabulary_size: Int
        let cases: [Case]
        let pieces: [Piece]
    }

    static func expectations(_ name: String) throws -> Expectations {
        let url = Fixtures.directory.appendingPathComponent("tokenizers/\(name)-llamacpp.json")
        return try JSONDecoder().decode(Expectations.self, from: Data(contentsOf: url))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    static let models: [(name: String, file: FetchedModelFile)] = [("smollm2", .smolLM2), ("gemma3", .gemma3)]
    static let available = Fixtures.fetched(.smolLM2) != nil && Fixtures.fetched(.gemma3) != nil

    @Test(.enabled(if: available, Comment(rawValue: Fixtures.missingReason(.gemma3))), arguments: ["smollm2", "gemma3"])
    func matchesLlamaCpp(_ name: String) throws {
        let file = try #require(Self.models.first { $0.name == name }?.file)
        let tokenizer = try GGUFFile(path: try #require(Fixtures.fetched(file))).makeTokenizer()
        let expected = try Self.expectations(name)
        #expect(tokenizer.vocabulary.count == expected.vocabulary_size)
        #expect(expected.cases.count >= 50)
        var failures: [String] = []
        for testCase in expected.cases {
            let plain = tokenizer.encode(testCase.text, addSpecial: false, parseSpecial: false)
            if plain != testCase.ids { failures.append("plain \(String(reflecting: testCase.text)): \(plain) vs \(testCase.ids)") }
            let special = tokenizer.encode(testCase.text, addSpecial: false, parseSpecial: true)
            if special != testCase.ids_parse_special { failures.append("parse_special \(String(reflecting: testCase.text)): \(special)") }
            let withBOS = tokenizer.encode(testCase.text, addSpecial: true, parseSpecial: false)
            if withBOS != testCase.ids_add_special { failures.append("add_special \(String(reflecting: testCase.text)): \(withBOS)") }
            let decoded = Self.hex(try tokenizer.vocabulary.decodeBytes(testCase.ids))
            if decoded != testCase.detokenized_hex { failures.append("detokenize \(String(reflecting: testCase.text)): \(decoded)") }
        }
        for piece in expected.pieces {
            if Self.hex(try tokenizer.piece(for: piece.id)) != piece.hex { failures.append("piece \(piece.id)") }
            if Self.hex(try tokenizer.piece(for: piece.id, special: true)) != piece.special_hex {
                failures.append("special piece \(piece.id)")
            }
        }
        #expect(failures.isEmpty, Comment(rawValue: "\(failures.count) differences:\n" + failures.prefix(8).joined(separator: "\n")))
    }
}

import Foundation
import SDSCMGGUF
import Testing
import SDSCMTestSupport
import SDSCMTokenizers

/// llama.cpp's own tokenizer test vectors (`models/ggml-vocab-*.gguf` with `.inp`/`.out`, from the
/// llama-cpp-python 0.3.36 source archive): every case must match exactly, with `add_special = false` and
/// `parse_special = false` as in llama.cpp's `test-tokenizer-0`.
@Suite struct LlamaVocabularyVectorTests {
    /// Every vocabulary with vectors whose tokenizer type this package implements.
    static let supported = [
        "gpt-2", "mpt", "starcoder", "refact", "command-r", "llama-bpe", "qwen2", "qwen35", "falcon",
        "deepseek-llm", "deepseek-coder", "llama-spm", "phi-3", "gemma-4",
    ]
    /// Vocabularies with vectors that use tokenizer types we do not implement.
    static let unsupported = ["bert-bge": "bert"]

    static let available = Fixtures.fetched(.llamaVocabulary("gpt-2")) != nil
    static let missing = Comment(rawValue: Fixtures.missingReason(.llamaVocabulary("gpt-2")))

    struct Case { let text: String; let expected: [Int] }

    static func cases(_ name: String) throws -> [Case] {
        let path = try #require(Fixtures.fetched(.llamaVocabulary(name)))
        // Parsed as test-tokenizer-0.cpp does: cases end at each separator (the last may lack one), and the
        // expected ids are one line per case.
        let raw = try String(contentsOfFile: path + ".inp", encoding: .utf8)
        var inputs = raw.components(separatedBy: "\n__ggml_vocab_test__\n")
        if raw.hasSuffix("\n__ggml_vocab_test__\n") { inputs.removeLast() }
        var outputs = try String(contentsOfFile: path + ".out", encoding: .utf8).components(separatedBy: "\n")
        if outputs.last == "" { outputs.removeLast() }
        let count = inputs.count
        #expect(outputs.count == count)
        return (0..<count).map { index in
            Case(text: inputs[index],
                 expected: outputs[index].split(separator: " ").compactMap { Int($0) })
        }
    }

    @Test(.enabled(if: available, missing), arguments: supported)
    func matchesLlamaCpp(_ name: String) throws {
        let file = try GGUFFile(path: try #require(Fixtures.fetched(.llamaVocabulary(name))))
        let tokenizer = try file.makeTokenizer()
        let cases = try Self.cases(name)
        #expect(cases.count >= 46)
        var failures: [String] = []
        for testCase in cases {
            let ids = tokenizer.encode(testCase.text, addSpecial: false, parseSpecial: false)
            if ids != testCase.expected {
                failures.append("\(String(reflecting: testCase.text)): got \(ids), expected \(testCase.expected)")
            }
        }
        let report = "\(name): \(failures.count) of \(cases.count) cases differ:\n" + failures.prefix(5).joined(separator: "\n")
        #expect(failures.isEmpty, Comment(rawValue: report))
    }

    @Test(.enabled(if: available, missing))
    func unsupportedTypesAreRejectedByName() throws {
        for (name, model) in Self.unsupported {
            let file = try GGUFFile(path: try #require(Fixtures.fetched(.llamaVocabulary(name))))
            #expect(throws: TokenizerError.unsupportedModel(model)) { try file.makeTokenizer() }
        }
    }
}

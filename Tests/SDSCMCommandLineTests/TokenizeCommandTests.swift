import Foundation
@testable import SDSCMCommandLine
import Testing
import SDSCMTestSupport

@Suite struct TokenizeCommandTests {
    static let smolLM2 = Fixtures.fetched(.smolLM2)
    static let gemma3 = Fixtures.fetched(.gemma3)

    @Test(.enabled(if: smolLM2 != nil, Comment(rawValue: Fixtures.missingReason(.smolLM2))))
    func idsOnlyMatchesLlamaCpp() async throws {
        let model = try #require(Self.smolLM2)
        let run = await Invocation("tokenize", "--model", model, "--ids-only", "The capital of France is")
        #expect(run.status == 0)
        #expect(run.out == "504 3575 282 4649 314\n")
    }

    @Test(.enabled(if: smolLM2 != nil, Comment(rawValue: Fixtures.missingReason(.smolLM2))))
    func linesJSONAndSpecialTokens() async throws {
        let model = try #require(Self.smolLM2)
        let lines = await Invocation("tokenize", "--model", model, "Hi\tthere\n")
        #expect(lines.status == 0)
        #expect(lines.out == "26843\tHi\n197\t\\t\n11527\tthere\n198\t\\n\n")
        let json = try #require(await Invocation("tokenize", "--model", model, "--json", "--parse-special", "<|im_start|>user").json)
        #expect(json["ids"] as? [Int] == [1, 4093])
        #expect(json["pieces"] as? [String] == ["<|im_start|>", "user"])
        let plain = try #require(await Invocation("tokenize", "--model", model, "--json", "<|im_start|>").json)
        #expect((plain["ids"] as? [Int])?.count ?? 0 > 1)
    }

    @Test(.enabled(if: gemma3 != nil, Comment(rawValue: Fixtures.missingReason(.gemma3))))
    func bosFollowsTheFileUnlessNoBOS() async throws {
        let model = try #require(Self.gemma3)
        #expect(await Invocation("tokenize", "--model", model, "--ids-only", "Hello world").out == "2 9259 1902\n")
        #expect(await Invocation("tokenize", "--model", model, "--ids-only", "--no-bos", "Hello world").out == "9259 1902\n")
        // Byte-level pieces that are not UTF-8 on their own are shown as \xNN.
        let bytes = await Invocation("tokenize", "--model", model, "--no-bos", "\u{1F9EC}")
        #expect(bytes.status == 0)
    }

    @Test func usageErrors() async {
        // Without --model the bundled tiny model's tokenizer is used (BOS first, as its file asks).
        let bundled = await Invocation("tokenize", "--ids-only", "The patient is old.")
        #expect(bundled.status == 0)
        #expect(bundled.out.hasPrefix("0 "))
        #expect(await Invocation("tokenize", "--model", "x.gguf").status == 2)
        #expect(await Invocation("tokenize", "--model", "x.gguf", "a", "b").status == 2)
        let missing = await Invocation("tokenize", "--model", "/nonexistent.gguf", "hello")
        #expect(missing.status == 1)
        #expect(missing.err.hasPrefix("sdscm: error: cannot read '/nonexistent.gguf'"))
        let notTokenizer = await Invocation("tokenize", "--model", Fixtures.path("gguf/metadata.gguf"), "hello")
        #expect(notTokenizer.status == 1)
        #expect(notTokenizer.err == "sdscm: error: metadata key 'tokenizer.ggml.model' is missing\n")
        #expect(await Invocation("bench", "frobnicate").status == 2)
        #expect(await Invocation("bench", "tokenizer", "--repeat", "0", "--model", "x").status == 2)
    }

    @Test func escapingKeepsOneTokenPerLine() {
        #expect(TokenizeCommand.escaped(Array("a\tb\nc\\".utf8)) == "a\\tb\\nc\\\\")
        #expect(TokenizeCommand.escaped([0xE2, 0x96]) == "\\xE2\\x96")
        #expect(TokenizeCommand.escaped(Array("é🍣".utf8)) == "é🍣")
        #expect(TokenizeCommand.escaped([0x01]) == "\\u{1}")
    }

    @Test(.enabled(if: smolLM2 != nil, Comment(rawValue: Fixtures.missingReason(.smolLM2))))
    func benchReportsThroughput() async throws {
        let model = try #require(Self.smolLM2)
        let json = try #require(await Invocation("bench", "tokenizer", "--model", model, "--repeat", "1", "--json").json)
        #expect(json["bytes"] as? Int ?? 0 >= 1_000_000)
        #expect((json["megabytes_per_second"] as? Double ?? 0) > 0)
        #expect(json["tokens"] as? Int ?? 0 > 100_000)
    }
}

import Foundation
import SDSCMGGUF
import Testing
import SDSCMTestSupport
@testable import SDSCMTokenizers

/// Property tests over seeded random Unicode text on every supported vocabulary.
@Suite struct RoundTripTests {
    /// Vocabulary files: llama.cpp's test vocabularies plus the two real models.
    static let files: [FetchedModelFile] = LlamaVocabularyVectorTests.supported.map { .llamaVocabulary($0) }
        + [.smolLM2, .gemma3]
    static let available = files.allSatisfy { Fixtures.fetched($0) != nil }
    static let missing = Comment(rawValue: Fixtures.missingReason(.llamaVocabulary("gpt-2")))

    /// Random strings mixing ASCII (with whitespace runs and punctuation), Latin, Greek, Cyrillic, Arabic,
    /// Devanagari, Thai, CJK, Hangul, emoji with ZWJ and skin tones, combining marks, private use and
    /// unassigned codepoints. U+2581 is left out: SentencePiece-style vocabularies cannot tell it from an escaped
    /// space, in llama.cpp as here.
    static func randomStrings(count: Int, seed: UInt64) -> [String] {
        var generator = SeededGenerator(seed: seed)
        let pools: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x20...0x7E, 0x20...0x7E, 0x09...0x0D, 0xA0...0x17F, 0x370...0x3FF, 0x400...0x4FF,
            0x600...0x6FF, 0x900...0x97F, 0xE00...0xE7F, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0x1F300...0x1F6FF,
            0x1F3FB...0x1F3FF, 0x200B...0x200D, 0x300...0x36F, 0xE000...0xF8FF, 0x2000...0x206F, 0xFFF0...0xFFFF,
            0x10FFF0...0x10FFFD, 0x30000...0x3134A,
        ]
        return (0..<count).map { _ in
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &generator) {
                let pool = pools.randomElement(using: &generator)!
                if let scalar = Unicode.Scalar(UInt32.random(in: pool, using: &generator)), scalar.value != 0x2581 {
                    scalars.append(scalar)
                }
            }
            return String(scalars)
        }
    }

    static let strings = randomStrings(count: 10_000, seed: 0x70C3_2026)

    /// `decode(encode(s)) == s`, except that vocabularies which clean spaces on decoding (GPT-2, Llama 3, …)
    /// give `cleanSpaces(s)`, exactly as llama.cpp does. Encoding is without BOS, as llama.cpp's own round-trip
    /// tests do (its detokenizer keeps the SentencePiece prefix space when it drops a BOS), and only over text
    /// whose every byte the vocabulary can spell (Falcon has no token for U+000B, so llama.cpp drops it too).
    @Test(.enabled(if: available, missing), arguments: files)
    func decodeInvertsEncode(_ file: FetchedModelFile) throws {
        let tokenizer = try GGUFFile(path: try #require(Fixtures.fetched(file))).makeTokenizer()
        let vocabulary = tokenizer.vocabulary
        let spellable = (0..<256).map { byte in
            let byteLevel = vocabulary.id(of: String(Unicode.Scalar(ByteLevel.codepointForByte[byte])!))
            let hex = String(byte, radix: 16, uppercase: true)
            let byteToken = vocabulary.id(of: "<0x" + (hex.count == 1 ? "0" : "") + hex + ">")
            return byteLevel != nil || byteToken != nil
        }
        var failures: [String] = []
        var tested = 0
        for text in Self.strings where text.utf8.allSatisfy({ spellable[Int($0)] }) {
            tested += 1
            let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
            let decoded = try vocabulary.decodeBytes(ids)
            let expected = vocabulary.cleansSpaces ? Vocabulary.cleanSpaces(Array(text.utf8)) : Array(text.utf8)
            if decoded != expected { failures.append(String(reflecting: text)) }
        }
        #expect(tested >= 5_000)
        let examples = failures.prefix(3).map { String($0.prefix(80)) }
        #expect(failures.isEmpty, Comment(rawValue: "\(file): \(failures.count) of \(tested) do not round-trip, e.g. \(examples)"))
    }

    /// Streaming decode emits exactly the full decode, chunk by chunk, and never a partial character.
    @Test(.enabled(if: available, missing), arguments: [FetchedModelFile.smolLM2, .gemma3, .llamaVocabulary("gpt-2")])
    func streamingDecodeMatchesFullDecode(_ file: FetchedModelFile) throws {
        let tokenizer = try GGUFFile(path: try #require(Fixtures.fetched(file))).makeTokenizer()
        for text in Self.strings.prefix(2_000) {
            let ids = tokenizer.encode(text, addSpecial: false)
            var stream = StreamingDetokenizer(vocabulary: tokenizer.vocabulary)
            var chunks: [String] = []
            for id in ids { chunks.append(try stream.append(id)) }
            chunks.append(try stream.finish())
            let whole = try tokenizer.decode(ids)
            #expect(chunks.joined() == whole, "\(String(reflecting: text))")
            // A chunk may only contain U+FFFD if the text itself does.
            if !text.unicodeScalars.contains("\u{FFFD}") {
                #expect(!chunks.contains { $0.unicodeScalars.contains("\u{FFFD}") }, "\(String(reflecting: text))")
            }
        }
    }

    @Test(.enabled(if: available, missing), arguments: [FetchedModelFile.smolLM2, .gemma3, .llamaVocabulary("llama-spm")])
    func hostileInputsDoNotTrap(_ file: FetchedModelFile) throws {
        let tokenizer = try GGUFFile(path: try #require(Fixtures.fetched(file))).makeTokenizer()
        let megabyte = String(repeating: "The quick brown fox 🦊 jumps over 13 lazy dogs. Ünïcödé! ", count: 17_000)
        #expect(megabyte.utf8.count > 1_000_000)
        let inputs = ["", " ", "\n\n\n\t ", String(repeating: " ", count: 10_000), "\u{301}\u{308}\u{302}",
                      "\u{E000}\u{F8FF}\u{F0000}\u{10FFFD}", megabyte, String(repeating: "\u{301}", count: 5_000)]
        for input in inputs {
            let ids = tokenizer.encode(input, addSpecial: true, parseSpecial: true)
            #expect(ids.allSatisfy { $0 >= 0 && $0 < tokenizer.vocabulary.count })
            _ = try tokenizer.decode(ids)
        }
        // Malformed UTF-8 becomes one U+FFFD per bad byte, never a trap.
        let bytes: [UInt8] = [0xFF, 0xC3, 0x28, 0xE2, 0x82, 0x41, 0xF0, 0x9F, 0x98]
        let ids = tokenizer.encode(bytes: bytes, addSpecial: false, parseSpecial: false)
        #expect(!ids.isEmpty)
        #expect(throws: TokenizerError.tokenOutOfRange(-1, vocabularySize: tokenizer.vocabulary.count)) {
            try tokenizer.decode([-1])
        }
        #expect(throws: TokenizerError.self) { try tokenizer.decode([tokenizer.vocabulary.count]) }
    }
}

/// How a BPE vocabulary splits text into words before merging, selected by `tokenizer.ggml.pre`.
///
/// Each pre-tokenizer is the list of regexes llama.cpp applies in order; every step re-splits the fragments the
/// previous steps produced, keeping both the matches and the text between them. There is no regex engine here:
/// each regex is a hand-written matcher with the semantics llama.cpp gives it (its own hand-written splitters for
/// the GPT-2, Llama-3 and Qwen shapes, `std::regex` leftmost-first matching for the others, see
/// `CharacterClass`), so results match llama.cpp token for token.
struct PreTokenizer: Sendable {
    /// The `tokenizer.ggml.pre` value this was built for.
    let name: String
    let steps: [PreTokenizerStep]
    /// GPT-2 byte-level encoding of the words (false for SentencePiece-style BPE such as Gemma 4).
    var byteEncode = true
    /// Detokenization removes spaces before punctuation (Hugging Face's `clean_up_tokenization_spaces`).
    var cleanSpaces = true
    /// A word that is itself a vocabulary token is emitted without merging (Llama 3 and relatives).
    var ignoreMerges = false
    /// Whether BOS is added by default (overridden by `tokenizer.ggml.add_bos_token`).
    var addBOS = false
    /// Spaces are replaced by U+2581 before splitting (SentencePiece-style BPE).
    var escapeWhitespaces = false

    /// The pre-tokenizer for a `tokenizer.ggml.pre` value; a missing value means llama.cpp's `default`.
    static func named(_ pre: String?) -> PreTokenizer? {
        let name = pre ?? "default"
        let llama3Regex = PreTokenizerStep.llamaStyle(maxDigits: 3, marksJoinLetters: false)
        let qwen2Regex = PreTokenizerStep.llamaStyle(maxDigits: 1, marksJoinLetters: false)
        switch name {
        case "default":
            return PreTokenizer(name: name, steps: [
                .runs(.punctuationAndSymbols(backtick: false)), .gpt2, .runs(.number), .repeated(.asciiDigit, count: 3),
            ])
        case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
            "modern-bert", "mpt", "olmo", "jais", "trillion", "exaone4":
            return PreTokenizer(name: name, steps: [.gpt2])
        case "granite-docling":
            return PreTokenizer(name: name, steps: [.gpt2], cleanSpaces: false)
        case "smollm", "command-r":
            return PreTokenizer(name: name, steps: [.isolate(.number), .gpt2], cleanSpaces: false)
        case "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2":
            return PreTokenizer(name: name, steps: [.isolate(.number), .gpt2])
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano":
            return PreTokenizer(name: name, steps: [llama3Regex], ignoreMerges: true, addBOS: true)
        case "dbrx", "smaug-bpe":
            return PreTokenizer(name: name, steps: [llama3Regex])
        case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open", "grok-2":
            return PreTokenizer(name: name, steps: [qwen2Regex], cleanSpaces: false)
        case "megrez", "stablelm2":
            return PreTokenizer(name: name, steps: [qwen2Regex])
        case "qwen35":
            return PreTokenizer(
                name: name, steps: [.llamaStyle(maxDigits: 1, marksJoinLetters: true)], cleanSpaces: false)
        case "falcon":
            return PreTokenizer(name: name, steps: [
                .runs(.punctuationAndSymbols(backtick: true)), .gpt2, .repeated(.asciiDigit, count: 3),
            ])
        case "deepseek-llm":
            return PreTokenizer(name: name, steps: [
                .isolate(.lineBreak),
                .optionalThenRuns(.whitespace, CharacterClass.deepSeekLetters),
                .optionalThenRuns(.whitespace, CharacterClass.deepSeekPunctuation),
                .trailingWhitespace,
                .runs(CharacterClass.deepSeekHanHangul),
                .runs(.number),
            ], cleanSpaces: false)
        case "deepseek-coder":
            return PreTokenizer(name: name, steps: [
                .isolate(.lineBreak),
                .optionalThenRuns(.whitespace, .letter),
                .optionalThenRuns(.whitespace, .punctuation),
                .runs(CharacterClass.deepSeekHanHangul),
                .isolate(.number),
            ], cleanSpaces: false)
        case "gemma4", "granite-embed-multi-311m":
            return PreTokenizer(name: name, steps: [.newlineRuns], byteEncode: false, escapeWhitespaces: true)
        default:
            return nil
        }
    }

    /// Splits `codepoints` into words, returned as lengths (in codepoints) that add up to the input length.
    func split(_ codepoints: [UInt32]) -> [Int] {
        var fragments = codepoints.isEmpty ? [] : [codepoints.count]
        for step in steps {
            fragments = step.split(codepoints, fragments)
        }
        return fragments
    }
}

/// One regex of a pre-tokenizer, as a hand-written matcher.
enum PreTokenizerStep: Sendable {
    /// llama.cpp's splitter for GPT-2's `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`.
    case gpt2
    /// llama.cpp's splitters for the Llama-3 regex (`maxDigits` 3) and the Qwen 2 (1) and Qwen 3.5 (1, with marks
    /// joining letters) variants: case-insensitive contractions, letters with one leading non-letter, digit
    /// groups, punctuation runs with trailing newlines, and whitespace runs.
    case llamaStyle(maxDigits: Int, marksJoinLetters: Bool)
    /// `[^\n]+|[\n]+`.
    case newlineRuns
    /// `X`: each codepoint in the class on its own.
    case isolate(CharacterClass)
    /// `X+`.
    case runs(CharacterClass)
    /// `X?Y+` with backtracking: the optional `X` is taken only when a `Y` follows it.
    case optionalThenRuns(CharacterClass, CharacterClass)
    /// `X` exactly `count` times.
    case repeated(CharacterClass, count: Int)
    /// `\s+$`: the whitespace that ends a fragment.
    case trailingWhitespace

    func split(_ codepoints: [UInt32], _ fragments: [Int]) -> [Int] {
        var output: [Int] = []
        output.reserveCapacity(fragments.count * 2)
        codepoints.withUnsafeBufferPointer { text in
            var start = 0
            for length in fragments {
                let end = start + length
                switch self {
                case .gpt2: Self.splitGPT2(text, start, end, &output)
                case let .llamaStyle(maxDigits, marks):
                    Self.splitLlamaStyle(text, start, end, maxDigits: maxDigits, marks: marks, &output)
                case .newlineRuns: Self.splitNewlineRuns(text, start, end, &output)
                case .trailingWhitespace: Self.splitTrailingWhitespace(text, start, end, &output)
                default: splitMatches(text, start, end, &output)
                }
                start = end
            }
        }
        return output
    }

    // MARK: Regex-like steps

    /// Leftmost-first matching as `std::regex_iterator` does it: each match and each stretch between matches
    /// becomes a fragment.
    private func splitMatches(_ text: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int, _ output: inout [Int]) {
        var gapStart = start
        var position = start
        while position < end {
            let length = matchLength(text, position, end)
            if length > 0 {
                if position > gapStart { output.append(position - gapStart) }
                output.append(length)
                position += length
                gapStart = position
            } else {
                position += 1
            }
        }
        if end > gapStart { output.append(end - gapStart) }
    }

    @inline(__always)
    private func matchLength(_ text: UnsafeBufferPointer<UInt32>, _ position: Int, _ end: Int) -> Int {
        func run(_ characterClass: CharacterClass, from start: Int) -> Int {
            var index = start
            while index < end && characterClass.contains(text[index]) { index += 1 }
            return index - start
        }
        switch self {
        case .isolate(let characterClass):
            return characterClass.contains(text[position]) ? 1 : 0
        case .runs(let characterClass):
            return run(characterClass, from: position)
        case let .optionalThenRuns(optional, repeated):
            if optional.contains(text[position]) && position + 1 < end && repeated.contains(text[position + 1]) {
                return 1 + run(repeated, from: position + 1)
            }
            return run(repeated, from: position)
        case let .repeated(characterClass, count):
            guard position + count <= end else { return 0 }
            for index in position..<(position + count) where !characterClass.contains(text[index]) { return 0 }
            return count
        default:
            return 0
        }
    }

    private static func splitTrailingWhitespace(
        _ text: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int, _ output: inout [Int]
    ) {
        var trailing = end
        while trailing > start && CharacterClass.whitespace.contains(text[trailing - 1]) { trailing -= 1 }
        if trailing > start { output.append(trailing - start) }
        if end > trailing { output.append(end - trailing) }
    }

    private static func splitNewlineRuns(
        _ text: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int, _ output: inout [Int]
    ) {
        var position = start
        while position < end {
            let isNewline = text[position] == 0x0A
            let runStart = position
            while position < end && (text[position] == 0x0A) == isNewline { position += 1 }
            output.append(position - runStart)
        }
    }

    // MARK: Hand-written splitters (llama.cpp's semantics, including their edge cases)

    /// Reads codepoints and flags of one fragment; positions outside it read as "no character".
    private struct Fragment {
        let text: UnsafeBufferPointer<UInt32>
        let start: Int
        let end: Int
        static let outOfRange: UInt32 = 0xFFFF_FFFF

        @inline(__always) func codepoint(_ position: Int) -> UInt32 {
            position >= start && position < end ? text[position] : Self.outOfRange
        }

        @inline(__always) func flags(_ position: Int) -> CodepointFlags {
            position >= start && position < end ? CodepointFlags.of(text[position]) : []
        }

        /// The length of a contraction (`'s`, `'t`, `'m`, `'d`, `'re`, `'ve`, `'ll`) at `position`, or 0.
        @inline(__always) func contraction(at position: Int, caseInsensitive: Bool) -> Int {
            guard codepoint(position) == 0x27, position + 1 < end else { return 0 }
            func lower(_ c: UInt32) -> UInt32 { caseInsensitive && (0x41...0x5A).contains(c) ? c + 32 : c }
            let next = lower(codepoint(position + 1))
            if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 { return 2 }  // s t m d
            guard position + 2 < end else { return 0 }
            let after = lower(codepoint(position + 2))
            if (next == 0x72 && after == 0x65) || (next == 0x76 && after == 0x65) || (next == 0x6C && after == 0x6C) {
                return 3  // re ve ll
            }
            return 0
        }

        /// `(whitespace run length, end of the last \r or \n in it or nil)` starting at `position`.
        @inline(__always) func whitespaceRun(at position: Int) -> (count: Int, lastLineBreakEnd: Int?) {
            var count = 0
            var lastLineBreakEnd: Int?
            while flags(position + count).isWhitespace {
                let c = codepoint(position + count)
                if c == 0x0D || c == 0x0A { lastLineBreakEnd = position + count + 1 }
                count += 1
            }
            return (count, lastLineBreakEnd)
        }
    }

    private static func splitGPT2(_ text: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int, _ output: inout [Int]) {
        let fragment = Fragment(text: text, start: start, end: end)
        var position = start
        func emit(upTo newEnd: Int) {
            if newEnd > position { output.append(newEnd - position) }
            position = newEnd
        }
        while position < end {
            let c = fragment.codepoint(position)
            let contraction = fragment.contraction(at: position, caseInsensitive: false)
            if contraction > 0 {
                emit(upTo: position + contraction)
                continue
            }
            let leadingSpace = c == 0x20 ? 1 : 0
            var flags = fragment.flags(position + leadingSpace)
            if flags.isLetter || flags.isNumber {
                let wantLetter = flags.isLetter
                var index = position + leadingSpace
                while wantLetter ? flags.isLetter : flags.isNumber {
                    index += 1
                    flags = fragment.flags(index)
                }
                emit(upTo: index)
                continue
            }
            if Self.isOther(flags, marksAreLetters: false) {
                var index = position + leadingSpace
                while Self.isOther(flags, marksAreLetters: false) {
                    index += 1
                    flags = fragment.flags(index)
                }
                emit(upTo: index)
                continue
            }
            let whitespace = fragment.whitespaceRun(at: position).count
            if whitespace > 1 && fragment.codepoint(position + whitespace) != Fragment.outOfRange {
                emit(upTo: position + whitespace - 1)
            } else if whitespace > 0 {
                emit(upTo: position + whitespace)
            } else {
                emit(upTo: position + 1)
            }
        }
    }

    /// `[^\s\p{L}\p{N}]` as llama.cpp's splitters test it: any flags at all (so not "out of range"), and none of
    /// whitespace, letter or number (nor accent mark where marks join letters).
    @inline(__always)
    private static func isOther(_ flags: CodepointFlags, marksAreLetters: Bool) -> Bool {
        var excluded: CodepointFlags = [.whitespace, .letter, .number]
        if marksAreLetters { excluded.insert(.accentMark) }
        return flags.rawValue != 0 && flags.isDisjoint(with: excluded)
    }

    private static func splitLlamaStyle(
        _ text: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int, maxDigits: Int, marks: Bool,
        _ output: inout [Int]
    ) {
        let fragment = Fragment(text: text, start: start, end: end)
        var position = start
        func emit(upTo newEnd: Int) {
            if newEnd > position { output.append(newEnd - position) }
            position = newEnd
        }
        func isWordCharacter(_ flags: CodepointFlags) -> Bool {
            flags.isLetter || (marks && flags.isAccentMark)
        }
        while position < end {
            let c = fragment.codepoint(position)
            let flags = fragment.flags(position)
            let contraction = fragment.contraction(at: position, caseInsensitive: true)
            if contraction > 0 {
                emit(upTo: position + contraction)
                continue
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if !(c == 0x0D || c == 0x0A || flags.isNumber)
                && (isWordCharacter(flags) || isWordCharacter(fragment.flags(position + 1)))
            {
                var index = position + 1
                while isWordCharacter(fragment.flags(index)) { index += 1 }
                emit(upTo: index)
                continue
            }
            // \p{N}{1,maxDigits}
            if flags.isNumber {
                var index = position
                var groupStart = position
                while fragment.flags(index).isNumber {
                    index += 1
                    if index - groupStart >= maxDigits {
                        emit(upTo: index)
                        groupStart = index
                    }
                }
                emit(upTo: index)
                continue
            }
            // ' '?[^\s\p{L}\p{N}]+[\r\n]* — llama.cpp tests the first character's own flags for "any flags", so a
            // space that ends the fragment enters this branch (and is emitted alone, as the whitespace rule would).
            var nextFlags = c == 0x20 ? fragment.flags(position + 1) : flags
            var excluded: CodepointFlags = [.whitespace, .letter, .number]
            if marks { excluded.insert(.accentMark) }
            if flags.rawValue != 0 && nextFlags.isDisjoint(with: excluded) {
                var index = position + (c == 0x20 ? 1 : 0)
                while Self.isOther(nextFlags, marksAreLetters: marks) {
                    index += 1
                    nextFlags = fragment.flags(index)
                }
                while fragment.codepoint(index) == 0x0D || fragment.codepoint(index) == 0x0A { index += 1 }
                emit(upTo: index)
                continue
            }
            let (whitespace, lastLineBreakEnd) = fragment.whitespaceRun(at: position)
            if let lastLineBreakEnd {
                emit(upTo: lastLineBreakEnd)  // \s*[\r\n]+
            } else if whitespace > 1 && fragment.codepoint(position + whitespace) != Fragment.outOfRange {
                emit(upTo: position + whitespace - 1)  // \s+(?!\S)
            } else if whitespace > 0 {
                emit(upTo: position + whitespace)  // \s+
            } else {
                emit(upTo: position + 1)
            }
        }
    }
}

extension CharacterClass {
    /// DeepSeek LLM's letter class (Latin, Greek, Cyrillic, Armenian, Georgian, Cherokee, … and full-width Latin),
    /// from its tokenizer configuration.
    static let deepSeekLetters = CharacterClass.ranges([
        0x41...0x5A, 0x61...0x7A, 0xB5...0xB5, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x1BA, 0x1BC...0x1BF, 0x1C4...0x293,
        0x295...0x2AF, 0x370...0x373, 0x376...0x377, 0x37B...0x37D, 0x37F...0x37F, 0x386...0x386, 0x388...0x38A,
        0x38C...0x38C, 0x38E...0x3A1, 0x3A3...0x3F5, 0x3F7...0x481, 0x48A...0x52F, 0x531...0x556, 0x10A0...0x10C5,
        0x13A0...0x13F5, 0x13F8...0x13FD, 0x1C90...0x1CBA, 0x1CBD...0x1CBF, 0x1D00...0x1D2B, 0x1D6B...0x1D77,
        0x1D79...0x1D9A, 0x1E00...0x1F15, 0x1F18...0x1F1D, 0x1F20...0x1F45, 0x1F48...0x1F4D, 0x1F50...0x1F57,
        0x1F59...0x1F59, 0x1F5B...0x1F5B, 0x1F5D...0x1F5D, 0x1F5F...0x1F7D, 0x1F80...0x1FB4, 0x1FB6...0x1FBC,
        0x1FBE...0x1FBE, 0x1FC2...0x1FC4, 0x1FC6...0x1FCC, 0x1FD0...0x1FD3, 0x1FD6...0x1FDB, 0x1FE0...0x1FEC,
        0x1FF2...0x1FF4, 0x1FF6...0x1FFC, 0x2102...0x2102, 0x2107...0x2107, 0x210A...0x2113, 0x2115...0x2115,
        0x2119...0x211D, 0x2124...0x2124, 0x2126...0x2126, 0x2128...0x2128, 0x212A...0x212D, 0x212F...0x2134,
        0x2139...0x2139, 0x213C...0x213F, 0x2145...0x2149, 0x214E...0x214E, 0x2183...0x2184, 0x2C00...0x2C7B,
        0x2C7E...0x2CE4, 0x2CEB...0x2CEE, 0x2CF2...0x2CF3, 0xA640...0xA66D, 0xA680...0xA69B, 0xA722...0xA76F,
        0xA771...0xA787, 0xA78B...0xA78E, 0xAB70...0xABBF, 0xFB00...0xFB06, 0xFB13...0xFB17, 0xFF21...0xFF3A,
        0xFF41...0xFF5A, 0x10400...0x1044F, 0x104B0...0x104D3, 0x104D8...0x104FB, 0x10C80...0x10CB2,
        0x10CC0...0x10CF2, 0x118A0...0x118DF, 0x1E900...0x1E943,
    ])

    /// DeepSeek LLM's punctuation class: ASCII and full-width punctuation, curly quotes, CJK full stop and comma.
    static let deepSeekPunctuation = CharacterClass.ranges([
        0x21...0x2F, 0x3A...0x7E, 0xFF01...0xFF0F, 0xFF1A...0xFF5E, 0x2018...0x201F, 0x3000...0x3002,
    ])

    /// DeepSeek's CJK ideograph and Hangul class (`[一-龥ࠀ-一가-퟿]`).
    static let deepSeekHanHangul = CharacterClass.ranges([0x4E00...0x9FA5, 0x800...0x4E00, 0xAC00...0xD7FF])
}

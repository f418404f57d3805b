/// SentencePiece BPE with scores (`tokenizer.ggml.model = llama`), as llama.cpp's `llm_tokenizer_spm`.
///
/// Spaces are escaped to U+2581 and, at the start and after a special token, a space is prefixed when the
/// vocabulary asks for it. The text is split into UTF-8 characters; the adjacent pair whose concatenation is the
/// highest-scoring vocabulary token merges first (leftmost on ties) until no pair is a token. Characters that never
/// became a token fall back to `<0xXX>` byte tokens.
public struct SentencePieceTokenizer: FragmentTokenizer {
    /// The vocabulary, with its scores, special tokens and flags.
    public let vocabulary: Vocabulary
    let specialTokenMatcher: SpecialTokenMatcher
    /// The token for each byte in byte fallback, or -1 (llama.cpp throws there; we emit the unknown token).
    private let byteTokens: [Int32]
    /// One bit per codepoint: set when the codepoint occurs in some token of two or more characters. A character
    /// without the bit can never merge with a neighbour, so it cuts the text into parts that merge independently.
    private let joinable: [UInt64]

    /// A tokenizer for `vocabulary`, which must be a SentencePiece vocabulary.
    public init(vocabulary: Vocabulary) throws {
        guard vocabulary.model == .sentencePiece else { throw TokenizerError.unsupportedModel(vocabulary.modelName) }
        self.vocabulary = vocabulary
        specialTokenMatcher = SpecialTokenMatcher(vocabulary: vocabulary)
        let hex = Array("0123456789ABCDEF".utf8)
        byteTokens = (0..<256).map { byte in
            let name: [UInt8] = Array("<0x".utf8) + [hex[byte >> 4], hex[byte & 15], UInt8(ascii: ">")]
            if let id = vocabulary.id(of: name) { return id }
            if let id = vocabulary.id(of: [UInt8(byte)]) { return id }
            return vocabulary.unknown.map(Int32.init) ?? -1
        }
        var joinable = [UInt64](repeating: 0, count: (0x110000 + 63) / 64)
        for text in vocabulary.texts where text.unicodeScalars.count > 1 {
            for scalar in text.unicodeScalars {
                joinable[Int(scalar.value) >> 6] |= 1 << UInt64(scalar.value & 63)
            }
        }
        self.joinable = joinable
    }

    /// Whether the symbol at `range` is one valid UTF-8 character that no multi-character token contains.
    @inline(__always)
    private func isolates(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int) -> Bool {
        let lead = text[start]
        var codepoint: UInt32
        switch length {
        case 1:
            guard lead < 0x80 else { return false }
            codepoint = UInt32(lead)
        case 2: codepoint = UInt32(lead & 0x1F)
        case 3: codepoint = UInt32(lead & 0x0F)
        default: codepoint = UInt32(lead & 0x07)
        }
        if length > 1 {
            guard UTF8Codec.sequenceLength(lead: lead) == length else { return false }
            for index in (start + 1)..<(start + length) {
                guard text[index] & 0xC0 == 0x80 else { return false }
                codepoint = codepoint << 6 | UInt32(text[index] & 0x3F)
            }
        }
        guard codepoint < 0x110000 else { return false }
        return joinable[Int(codepoint) >> 6] & (1 << UInt64(codepoint & 63)) == 0
    }

    func tokenize(fragment: UnsafeBufferPointer<UInt8>, afterSpecial: Bool, into output: inout [Int32]) {
        // Escape spaces (and add the prefix space) into a working buffer.
        var text: [UInt8] = []
        text.reserveCapacity(fragment.count * 3 + 3)
        let escapedSpace: [UInt8] = [0xE2, 0x96, 0x81]
        if vocabulary.addsSpacePrefix && afterSpecial { text += escapedSpace }
        for byte in fragment {
            if byte == 0x20 { text += escapedSpace } else { text.append(byte) }
        }
        guard !text.isEmpty else { return }

        text.withUnsafeBufferPointer { text in
            var symbols: [MergeSymbol] = []
            symbols.reserveCapacity(text.count)
            var offset = 0
            while offset < text.count {
                let length = min(UTF8Codec.sequenceLength(lead: text[offset]), text.count - offset)
                let index = Int32(symbols.count)
                symbols.append(MergeSymbol(start: offset, length: length, previous: index - 1,
                                           next: offset + length == text.count ? -1 : index + 1, piece: -1))
                offset += length
            }

            var queue = MergeQueue<Int>()
            func consider(_ left: Int32, _ right: Int32) {
                guard left >= 0, right >= 0 else { return }
                let start = symbols[Int(left)].start
                let size = symbols[Int(left)].length + symbols[Int(right)].length
                guard let token = vocabulary.id(of: UnsafeBufferPointer(rebasing: text[start..<(start + size)])) else {
                    return
                }
                queue.push(.init(priority: -vocabulary.scores[Int(token)], left: left, right: right, payload: size))
            }
            func mergeQueued() {
                while let bigram = queue.pop() {
                    let left = Int(bigram.left), right = Int(bigram.right)
                    // Stale: one side was merged away, or has grown since the pair was queued.
                    guard symbols[left].length > 0, symbols[right].length > 0,
                          symbols[left].length + symbols[right].length == bigram.payload
                    else { continue }
                    symbols[left].length += symbols[right].length
                    symbols[right].length = 0
                    symbols[left].next = symbols[right].next
                    if symbols[right].next >= 0 { symbols[Int(symbols[right].next)].previous = bigram.left }
                    consider(symbols[left].previous, bigram.left)
                    consider(bigram.left, symbols[left].next)
                }
            }

            // Merge each stretch between isolating characters on its own: the result is the same as one queue over
            // the whole text (no merge crosses such a character, and within a stretch the pop order is unchanged),
            // but the queues stay small, which matters for a megabyte of text without special tokens.
            var isolatingPrevious = isolates(text, symbols[0].start, symbols[0].length)
            var segmentStart = 0
            while segmentStart < symbols.count {
                var segmentEnd = segmentStart + 1
                while segmentEnd < symbols.count {
                    let isolating = isolates(text, symbols[segmentEnd].start, symbols[segmentEnd].length)
                    defer { isolatingPrevious = isolating }
                    if isolating || isolatingPrevious { break }
                    segmentEnd += 1
                }
                for index in (segmentStart + 1)..<segmentEnd { consider(Int32(index - 1), Int32(index)) }
                mergeQueued()
                segmentStart = segmentEnd
            }

            var index: Int32 = 0
            while index >= 0 {
                let symbol = symbols[Int(index)]
                let range = symbol.start..<(symbol.start + symbol.length)
                if let token = vocabulary.id(of: UnsafeBufferPointer(rebasing: text[range])) {
                    output.append(token)
                } else {
                    for byte in text[range] where byteTokens[Int(byte)] >= 0 {
                        output.append(byteTokens[Int(byte)])
                    }
                }
                index = symbol.next
            }
        }
    }
}

import SDSCMGGUF

/// Byte-pair encoding with merge ranks (`tokenizer.ggml.model = gpt2`, and Gemma 4's `gemma4`), as llama.cpp's
/// `llm_tokenizer_bpe`.
///
/// The pre-tokenizer named by `tokenizer.ggml.pre` splits the text into words; each word is mapped to GPT-2's
/// byte-level alphabet (unless the vocabulary is SentencePiece-style) and split into characters; the adjacent
/// pair with the lowest merge rank merges first (leftmost on ties) until no pair has a rank. A final symbol that
/// is not a token falls back to single-byte tokens.
public struct BytePairTokenizer: FragmentTokenizer {
    /// The vocabulary: token texts, attributes, special tokens and flags (the merge ranks are kept separately).
    public let vocabulary: Vocabulary
    let specialTokenMatcher: SpecialTokenMatcher
    private let preTokenizer: PreTokenizer
    /// Token texts plus any merge operand that is not itself a token; ids below `vocabulary.count` are tokens.
    private let pieces: ByteStringTable
    /// `(left piece << 32 | right piece)` → `(rank << 32 | merged piece)`.
    private let merges: FastIntegerMap
    /// The piece of each byte's byte-level character, or -1.
    private let byteCharacterPieces: [Int32]
    /// The token each byte falls back to, or -1.
    private let byteFallback: [Int32]

    /// A tokenizer for `vocabulary` with the merges stored under `tokenizer.ggml.merges`.
    public init(vocabulary: Vocabulary, metadata: GGUFMetadata) throws {
        guard vocabulary.model == .bytePairEncoding, let preTokenizer = vocabulary.preTokenizer else {
            throw TokenizerError.unsupportedModel(vocabulary.modelName)
        }
        self.vocabulary = vocabulary
        self.preTokenizer = preTokenizer
        specialTokenMatcher = SpecialTokenMatcher(vocabulary: vocabulary)

        let mergeTexts = try metadata.strings("tokenizer.ggml.merges")
        var pieces = vocabulary.table
        var merges = FastIntegerMap(capacity: mergeTexts.count)
        for (rank, text) in mergeTexts.enumerated() {
            let bytes = Array(text.utf8)
            // Split at the first space after the first byte, so that a left operand may itself be a space.
            guard bytes.count > 1, let split = bytes[1...].firstIndex(of: 0x20) else { continue }
            let left = Array(bytes[..<split]), right = Array(bytes[(split + 1)...])
            let leftPiece = pieces.intern(left), rightPiece = pieces.intern(right)
            let merged = pieces.intern(left + right)
            let key = UInt64(UInt32(leftPiece)) << 32 | UInt64(UInt32(rightPiece))
            merges.insertIfAbsent(key, UInt64(rank) << 32 | UInt64(UInt32(merged)))
        }
        self.pieces = pieces
        self.merges = merges
        byteCharacterPieces = ByteLevel.utf8ForByte.map { pieces.id(of: $0) ?? -1 }
        let hex = Array("0123456789ABCDEF".utf8)
        byteFallback = (0..<256).map { byte in
            if preTokenizer.byteEncode { return vocabulary.id(of: [UInt8(byte)]) ?? -1 }
            let name: [UInt8] = Array("<0x".utf8) + [hex[byte >> 4], hex[byte & 15], UInt8(ascii: ">")]
            return vocabulary.id(of: name) ?? -1
        }
    }

    func tokenize(fragment: UnsafeBufferPointer<UInt8>, afterSpecial: Bool, into output: inout [Int32]) {
        var escaped: [UInt8] = []
        if preTokenizer.escapeWhitespaces {
            escaped.reserveCapacity(fragment.count * 3)
            for byte in fragment {
                if byte == 0x20 { escaped += [0xE2, 0x96, 0x81] } else { escaped.append(byte) }
            }
        }
        let codepoints = preTokenizer.escapeWhitespaces
            ? escaped.withUnsafeBufferPointer { UTF8Codec.codepoints($0) }
            : UTF8Codec.codepoints(fragment)
        let lengths = preTokenizer.split(codepoints)

        // Words repeat a lot in real text; their tokens never depend on context.
        var cache: [[UInt8]: [Int32]] = [:]
        var session = MergeSession()
        var start = 0
        for length in lengths {
            let word = codepoints[start..<(start + length)]
            start += length
            session.load(word, byteEncode: preTokenizer.byteEncode, byteCharacterPieces: byteCharacterPieces,
                         pieces: pieces)
            if let cached = cache[session.text] {
                output += cached
                continue
            }
            let first = output.count
            encodeWord(&session, into: &output)
            if cache.count < 100_000 { cache[session.text] = Array(output[first...]) }
        }
    }

    private func encodeWord(_ session: inout MergeSession, into output: inout [Int32]) {
        let vocabularySize = Int32(vocabulary.count)
        let text = session.text
        if preTokenizer.ignoreMerges, let token = vocabulary.id(of: text) {
            output.append(token)
            return
        }
        if preTokenizer.name == "gemma4", text.allSatisfy({ $0 == 0x0A }), let token = vocabulary.id(of: text) {
            output.append(token)
            return
        }
        session.merge(using: merges)
        var index: Int32 = session.symbols.isEmpty ? -1 : 0
        while index >= 0 {
            let symbol = session.symbols[Int(index)]
            if symbol.piece >= 0 && symbol.piece < vocabularySize {
                output.append(symbol.piece)
            } else {
                for byte in text[symbol.start..<(symbol.start + symbol.length)] where byteFallback[Int(byte)] >= 0 {
                    output.append(byteFallback[Int(byte)])
                }
            }
            index = symbol.next
        }
    }
}

/// The working state of merging one word; reused across words to avoid reallocating.
struct MergeSession {
    /// The word's bytes (byte-level encoded when the vocabulary is).
    var text: [UInt8] = []
    var symbols: [MergeSymbol] = []
    private var queue = MergeQueue<(left: Int32, right: Int32, merged: Int32)>()

    mutating func load(
        _ word: ArraySlice<UInt32>, byteEncode: Bool, byteCharacterPieces: [Int32], pieces: ByteStringTable
    ) {
        text.removeAll(keepingCapacity: true)
        symbols.removeAll(keepingCapacity: true)
        var utf8: [UInt8] = []
        let byteCharacters = ByteLevel.utf8ForByte  // one global access per word, not per byte
        for codepoint in word {
            utf8.removeAll(keepingCapacity: true)
            UTF8Codec.append(codepoint, to: &utf8)
            if byteEncode {
                for byte in utf8 {
                    let character = byteCharacters[Int(byte)]
                    addSymbol(character, piece: byteCharacterPieces[Int(byte)])
                }
            } else {
                addSymbol(utf8, piece: pieces.id(of: utf8) ?? -1)
            }
        }
        if let last = symbols.indices.last { symbols[last].next = -1 }
    }

    private mutating func addSymbol(_ bytes: [UInt8], piece: Int32) {
        let index = Int32(symbols.count)
        symbols.append(MergeSymbol(start: text.count, length: bytes.count, previous: index - 1, next: index + 1,
                                   piece: piece))
        text += bytes
    }

    /// Applies merges lowest rank first until none applies.
    mutating func merge(using merges: FastIntegerMap) {
        queue.removeAll()
        func consider(_ left: Int32, _ right: Int32, _ symbols: [MergeSymbol], _ queue: inout MergeQueue<(left: Int32, right: Int32, merged: Int32)>) {
            guard left >= 0, right >= 0 else { return }
            let leftPiece = symbols[Int(left)].piece, rightPiece = symbols[Int(right)].piece
            guard leftPiece >= 0, rightPiece >= 0,
                  let found = merges.value(for: UInt64(UInt32(leftPiece)) << 32 | UInt64(UInt32(rightPiece)))
            else { return }
            queue.push(.init(priority: Float(found >> 32), left: left, right: right,
                             payload: (leftPiece, rightPiece, Int32(truncatingIfNeeded: found))))
        }
        guard symbols.count > 1 else { return }
        for index in 1..<symbols.count { consider(Int32(index - 1), Int32(index), symbols, &queue) }
        while let bigram = queue.pop() {
            let left = Int(bigram.left), right = Int(bigram.right)
            // Stale: a side was merged away or now holds another text than when the pair was queued.
            guard symbols[left].length > 0, symbols[right].length > 0,
                  symbols[left].piece == bigram.payload.left, symbols[right].piece == bigram.payload.right
            else { continue }
            symbols[left].length += symbols[right].length
            symbols[left].piece = bigram.payload.merged
            symbols[right].length = 0
            symbols[left].next = symbols[right].next
            if symbols[right].next >= 0 { symbols[Int(symbols[right].next)].previous = bigram.left }
            consider(symbols[left].previous, bigram.left, symbols, &queue)
            consider(bigram.left, symbols[left].next, symbols, &queue)
        }
    }
}

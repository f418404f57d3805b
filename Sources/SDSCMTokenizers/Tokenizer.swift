/// Converts text to token ids and back, exactly as llama.cpp does for the same GGUF vocabulary.
///
/// Implementations are immutable and safe to share across threads.
public protocol Tokenizer: Sendable {
    /// The vocabulary, its special tokens and flags.
    var vocabulary: Vocabulary { get }

    /// Encodes UTF-8 bytes. Malformed sequences become one U+FFFD per offending byte, as in llama.cpp.
    ///
    /// - Parameters:
    ///   - addSpecial: add BOS/EOS where the vocabulary says so.
    ///   - parseSpecial: recognise control tokens (such as `<|im_start|>`) written in the text; when false they
    ///     are tokenized as ordinary text. User-defined tokens are always recognised.
    func encode(bytes: [UInt8], addSpecial: Bool, parseSpecial: Bool) -> [Int]
}

extension Tokenizer {
    /// Encodes `text`; by default BOS/EOS are added as the vocabulary says and control-token texts are treated
    /// as plain text (llama.cpp's `llama_tokenize(…, add_special: true, parse_special: false)`).
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = false) -> [Int] {
        encode(bytes: Array(text.utf8), addSpecial: addSpecial, parseSpecial: parseSpecial)
    }
}

/// What SentencePiece and BPE tokenizers share: special-token partitioning and BOS/EOS handling around a
/// per-fragment algorithm.
protocol FragmentTokenizer: Tokenizer {
    var specialTokenMatcher: SpecialTokenMatcher { get }

    /// Appends the tokens of one fragment of ordinary text. `afterSpecial` is true at the start of the input and
    /// right after a special token (SentencePiece then adds its space prefix).
    func tokenize(fragment: UnsafeBufferPointer<UInt8>, afterSpecial: Bool, into output: inout [Int32])
}

extension FragmentTokenizer {
    /// Splits the text at special tokens, tokenizes each ordinary fragment, and adds BOS/EOS as the vocabulary says.
    public func encode(bytes: [UInt8], addSpecial: Bool, parseSpecial: Bool) -> [Int] {
        var output: [Int32] = []
        output.reserveCapacity(bytes.count / 3 + 2)
        let vocabulary = self.vocabulary
        if addSpecial && vocabulary.addsBOS, let bos = vocabulary.bos { output.append(Int32(bos)) }
        bytes.withUnsafeBufferPointer { text in
            var afterSpecial = true
            for fragment in specialTokenMatcher.partition(text, parseSpecial: parseSpecial) {
                switch fragment {
                case .text(let range):
                    tokenize(fragment: UnsafeBufferPointer(rebasing: text[range]), afterSpecial: afterSpecial,
                             into: &output)
                    afterSpecial = false
                case .token(let id):
                    output.append(id)
                    afterSpecial = true
                }
            }
        }
        if addSpecial && vocabulary.addsEOS, let eos = vocabulary.eos { output.append(Int32(eos)) }
        return output.map(Int.init)
    }
}

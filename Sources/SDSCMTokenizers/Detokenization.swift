extension Vocabulary {
    /// The bytes token `id` stands for, as llama.cpp's `token_to_piece`.
    ///
    /// Control and unknown tokens render as nothing unless `special` is set; user-defined and special tokens
    /// render as their text; SentencePiece pieces turn U+2581 back into spaces; byte-level BPE pieces map each
    /// character back to its byte; `<0xXX>` byte tokens render as that byte.
    public func piece(for id: Int, special: Bool = false) throws -> [UInt8] {
        guard id >= 0 && id < count else { throw TokenizerError.tokenOutOfRange(id, vocabularySize: count) }
        let attributes = self.attributes[id]
        if !special && !attributes.isDisjoint(with: [.unknown, .control]) { return [] }
        let text = bytes(of: Int32(id))
        if !attributes.isDisjoint(with: [.unknown, .control, .userDefined]) { return Array(text) }
        if attributes.contains(.normal) {
            if model == .sentencePiece || preTokenizer?.escapeWhitespaces == true {
                return Self.unescapeSpaces(text)
            }
            return Self.decodeByteLevel(text)
        }
        if attributes.contains(.byte) {
            return [Self.byteValue(ofByteToken: text)]
        }
        return []
    }

    /// Decodes tokens to bytes as llama.cpp's `detokenize`.
    ///
    /// - Parameters:
    ///   - removeSpecial: drop a leading BOS and a trailing EOS when the vocabulary adds them.
    ///   - unparseSpecial: render control tokens as their text.
    public func decodeBytes(_ ids: [Int], removeSpecial: Bool = false, unparseSpecial: Bool = false) throws -> [UInt8] {
        var ids = ids[...]
        var removeSpace = addsSpacePrefix
        if removeSpecial && addsBOS, let bos, ids.first == bos {
            removeSpace = false
            ids = ids.dropFirst()
        }
        if removeSpecial && addsEOS, let eos, ids.last == eos {
            ids = ids.dropLast()
        }
        var output: [UInt8] = []
        for id in ids {
            var piece = try piece(for: id, special: unparseSpecial)[...]
            if removeSpace && piece.first == 0x20 { piece = piece.dropFirst() }
            removeSpace = false
            output += piece
        }
        return cleansSpaces ? Self.cleanSpaces(output) : output
    }

    /// Decodes tokens to text; bytes that are not valid UTF-8 (a sequence cut between tokens) become U+FFFD.
    public func decode(_ ids: [Int], removeSpecial: Bool = false, unparseSpecial: Bool = false) throws -> String {
        String(decoding: try decodeBytes(ids, removeSpecial: removeSpecial, unparseSpecial: unparseSpecial),
               as: UTF8.self)
    }

    // MARK: Helpers

    static func unescapeSpaces(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == 0xE2 && index + 2 < text.endIndex && text[index + 1] == 0x96 && text[index + 2] == 0x81 {
                output.append(0x20)
                index += 3
            } else {
                output.append(text[index])
                index += 1
            }
        }
        return output
    }

    /// Maps byte-level characters back to bytes; a character outside the alphabet becomes llama.cpp's
    /// `[UNK_BYTE_0x…]` marker.
    static func decodeByteLevel(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        let codepoints = Array(text).withUnsafeBufferPointer { UTF8Codec.codepoints($0) }
        for codepoint in codepoints {
            if let byte = ByteLevel.byte(for: codepoint) {
                output.append(byte)
            } else {
                var utf8: [UInt8] = []
                UTF8Codec.append(codepoint, to: &utf8)
                output += Array("[UNK_BYTE_0x".utf8)
                for byte in utf8 {
                    let hex = String(byte, radix: 16)
                    output += Array((hex.count == 1 ? "0" + hex : hex).utf8)
                }
                output += Array(text) + [UInt8(ascii: "]")]
            }
        }
        return output
    }

    /// The byte of a `<0xXX>` token (`strtol` semantics: invalid hex reads as 0).
    static func byteValue(ofByteToken text: ArraySlice<UInt8>) -> UInt8 {
        guard text.count >= 5 else { return 0 }
        let digits = String(decoding: text[(text.startIndex + 3)..<(text.startIndex + 5)], as: UTF8.self)
        if let value = UInt8(digits, radix: 16) { return value }
        return UInt8(String(digits.prefix(1)), radix: 16) ?? 0
    }

    /// Hugging Face's `clean_up_tokenization_spaces`, as llama.cpp applies it: no space before `? ! . ,`; a lone
    /// apostrophe between spaces loses both spaces; no space before `'s`, `'m`, `'re`, `'ve`. The three passes work
    /// in place like llama.cpp's, including its quirk that a removed space after an apostrophe is overwritten
    /// with NUL and so no longer counts as a space for the next character.
    static func cleanSpaces(_ input: [UInt8]) -> [UInt8] {
        var text = input
        let space = UInt8(ascii: " "), quote = UInt8(ascii: "'")
        var total = text.count

        let total1 = total
        total = total > 0 ? 1 : 0
        var i = 1
        while i < total1 {
            let x = text[i]
            if text[i - 1] == space && (x == UInt8(ascii: "?") || x == UInt8(ascii: "!") || x == UInt8(ascii: ".")
                                         || x == UInt8(ascii: ",")) {
                total -= 1
            }
            text[total] = x
            total += 1
            i += 1
        }

        let total2 = total
        total = total > 0 ? 1 : 0
        i = 1
        while i < total2 {
            let x = text[i]
            if x == quote && i + 1 < total2 && text[i - 1] == space && text[i + 1] == space {
                total -= 1
                i += 1
                text[i] = 0
            }
            text[total] = x
            total += 1
            i += 1
        }

        let total3 = total
        total = total > 0 ? 1 : 0
        i = 1
        while i < total3 {
            let x = text[i]
            if text[i - 1] == space && x == quote && i + 1 < total3 {
                let x1 = text[i + 1]
                if x1 == UInt8(ascii: "s") || x1 == UInt8(ascii: "m") {
                    total -= 1
                } else if i + 2 < total3 {
                    let x2 = text[i + 2]
                    if (x1 == UInt8(ascii: "r") || x1 == UInt8(ascii: "v")) && x2 == UInt8(ascii: "e") { total -= 1 }
                }
            }
            text[total] = x
            total += 1
            i += 1
        }
        return Array(text[0..<total])
    }
}

extension Tokenizer {
    /// The bytes of one token; see `Vocabulary.piece(for:special:)`.
    public func piece(for id: Int, special: Bool = false) throws -> [UInt8] {
        try vocabulary.piece(for: id, special: special)
    }

    /// Decodes tokens to text; see `Vocabulary.decode(_:removeSpecial:unparseSpecial:)`.
    public func decode(_ ids: [Int], removeSpecial: Bool = false, unparseSpecial: Bool = false) throws -> String {
        try vocabulary.decode(ids, removeSpecial: removeSpecial, unparseSpecial: unparseSpecial)
    }
}

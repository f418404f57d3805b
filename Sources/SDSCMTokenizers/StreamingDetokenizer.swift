/// Turns tokens into text one at a time, as a model generates them, never emitting a broken character.
///
/// A multi-byte character can be split across tokens, and space cleaning (`Vocabulary.cleansSpaces`) can remove a
/// space once the next token shows what follows it. So each step decodes everything seen so far and emits only
/// the part that no later token can change: it holds back an incomplete UTF-8 sequence at the end and, when
/// spaces are cleaned, the last few bytes after a space. `finish()` flushes the rest. The concatenation of all
/// outputs always equals `vocabulary.decode(allTokens)`.
public struct StreamingDetokenizer: Sendable {
    private let vocabulary: Vocabulary
    private let removeSpecial: Bool
    private let unparseSpecial: Bool
    private var tokens: [Int] = []
    private var emittedBytes = 0

    /// A decoder for `vocabulary` with the same options as `Vocabulary.decode`.
    public init(vocabulary: Vocabulary, removeSpecial: Bool = false, unparseSpecial: Bool = false) {
        self.vocabulary = vocabulary
        self.removeSpecial = removeSpecial
        self.unparseSpecial = unparseSpecial
    }

    /// Adds one token and returns the newly completed text (possibly empty).
    public mutating func append(_ token: Int) throws -> String {
        tokens.append(token)
        let bytes = try vocabulary.decodeBytes(tokens, removeSpecial: false, unparseSpecial: unparseSpecial)
        let stable = Self.stablePrefixLength(bytes, cleansSpaces: vocabulary.cleansSpaces)
        return take(bytes, upTo: stable)
    }

    /// Returns whatever was held back; call once the sequence is complete.
    public mutating func finish() throws -> String {
        let bytes = try vocabulary.decodeBytes(tokens, removeSpecial: removeSpecial, unparseSpecial: unparseSpecial)
        return take(bytes, upTo: bytes.count)
    }

    private mutating func take(_ bytes: [UInt8], upTo end: Int) -> String {
        guard end > emittedBytes else { return "" }
        let text = String(decoding: bytes[emittedBytes..<end], as: UTF8.self)
        emittedBytes = end
        return text
    }

    /// The length of the prefix of `bytes` that appending more tokens cannot change.
    static func stablePrefixLength(_ bytes: [UInt8], cleansSpaces: Bool) -> Int {
        var end = bytes.count
        // Hold back an incomplete UTF-8 sequence at the end (a lead byte whose continuation bytes are missing).
        var index = end - 1
        var continuationBytes = 0
        while index >= 0 && bytes[index] & 0xC0 == 0x80 && continuationBytes < 3 {
            continuationBytes += 1
            index -= 1
        }
        if index >= 0 && bytes[index] >= 0xC0 && UTF8Codec.sequenceLength(lead: bytes[index]) > continuationBytes + 1 {
            end = index
        }
        // Space cleaning looks at most two bytes past a space: hold back from the last space among the last 3.
        if cleansSpaces, let space = bytes[max(0, end - 3)..<end].lastIndex(of: 0x20) {
            end = space
        }
        return end
    }
}

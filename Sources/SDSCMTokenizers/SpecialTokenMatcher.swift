/// Cuts special tokens (control, user-defined, unknown) out of text before the tokenizer algorithm runs.
///
/// llama.cpp takes the special tokens longest first and, for each, splits every remaining text fragment at each
/// of its occurrences. That order matters when special texts overlap, so it is kept; a trie scan first finds
/// which special tokens occur at all, so a vocabulary with thousands of them (Gemma has 6,400) costs one pass
/// over the text rather than one search per token.
struct SpecialTokenMatcher: Sendable {
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private struct Trie: Sendable {
        /// Children of the root by first byte (most text positions fail right there, so no hashing for them).
        var root = [Int32](repeating: -1, count: 256)
        var children: [[UInt8: Int32]] = [[:]]
        var terminal: [Int32] = [-1]
        var isEmpty = true

        mutating func insert(_ bytes: ArraySlice<UInt8>, id: Int32) {
            guard let first = bytes.first else { return }
            isEmpty = false
            if root[Int(first)] < 0 {
                children.append([:])
                terminal.append(-1)
                root[Int(first)] = Int32(children.count - 1)
            }
            var node = Int(root[Int(first)])
            for byte in bytes.dropFirst() {
                if let child = children[node][byte] {
                    node = Int(child)
                } else {
                    children.append([:])
                    terminal.append(-1)
                    children[node][byte] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            terminal[node] = id
        }

        /// Ids of the tokens that occur anywhere in `text`.
        func occurring(in text: UnsafeBufferPointer<UInt8>) -> Set<Int32> {
            var found = Set<Int32>()
            guard !isEmpty else { return found }
            for start in 0..<text.count {
                let first = root[Int(text[start])]
                guard first >= 0 else { continue }
                var node = Int(first)
                if terminal[node] >= 0 { found.insert(terminal[node]) }
                var index = start + 1
                while index < text.count, let child = children[node][text[index]] {
                    node = Int(child)
                    if terminal[node] >= 0 { found.insert(terminal[node]) }
                    index += 1
                }
            }
            return found
        }
    }

    private let vocabulary: Vocabulary
    /// All special tokens, and those that are recognised even when special parsing is off (user-defined ones).
    private let everything: Trie
    private let alwaysParsed: Trie

    init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        var everything = Trie()
        var alwaysParsed = Trie()
        for id in vocabulary.specialTokens {
            let bytes = vocabulary.bytes(of: id)
            everything.insert(bytes, id: id)
            if vocabulary.attributes[Int(id)].isDisjoint(with: [.control, .unknown]) {
                alwaysParsed.insert(bytes, id: id)
            }
        }
        self.everything = everything
        self.alwaysParsed = alwaysParsed
    }

    /// Splits `text` into ordinary-text ranges and special tokens, in order.
    func partition(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        guard !text.isEmpty else { return [] }
        let present = (parseSpecial ? everything : alwaysParsed).occurring(in: text)
        var fragments: [Fragment] = [.text(0..<text.count)]
        guard !present.isEmpty else { return fragments }
        for id in vocabulary.specialTokens where present.contains(id) {
            let needle = Array(vocabulary.bytes(of: id))
            let attributes = vocabulary.attributes[Int(id)]
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count + 2)
            for fragment in fragments {
                guard case .text(var remaining) = fragment else {
                    next.append(fragment)
                    continue
                }
                while let match = Self.firstOccurrence(of: needle, in: text, within: remaining) {
                    var left = remaining.lowerBound..<match
                    if attributes.contains(.leftStrip) {
                        while !left.isEmpty && Self.isSpace(text[left.upperBound - 1]) { left = left.lowerBound..<(left.upperBound - 1) }
                    }
                    if !left.isEmpty { next.append(.text(left)) }
                    next.append(.token(id))
                    var right = (match + needle.count)..<remaining.upperBound
                    if attributes.contains(.rightStrip) {
                        while !right.isEmpty && Self.isSpace(text[right.lowerBound]) { right = (right.lowerBound + 1)..<right.upperBound }
                    }
                    remaining = right
                    if remaining.isEmpty { break }
                }
                if !remaining.isEmpty { next.append(.text(remaining)) }
            }
            fragments = next
        }
        return fragments
    }

    /// C's `isspace` in the "C" locale.
    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    private static func firstOccurrence(
        of needle: [UInt8], in text: UnsafeBufferPointer<UInt8>, within range: Range<Int>
    ) -> Int? {
        guard let first = needle.first, needle.count <= range.count else { return nil }
        var start = range.lowerBound
        let last = range.upperBound - needle.count
        while start <= last {
            if text[start] == first {
                var index = 1
                while index < needle.count && text[start + index] == needle[index] { index += 1 }
                if index == needle.count { return start }
            }
            start += 1
        }
        return nil
    }
}

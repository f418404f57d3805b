/// A set of codepoints as one of llama.cpp's regular expressions sees it.
///
/// llama.cpp runs the regexes it has no hand-written splitter for through `std::regex`, and that changes what a
/// class means for non-ASCII text:
/// - a regex that mentions `\p{…}` runs on a *collapsed* copy of the text in which every codepoint ≥ 128 is
///   replaced by one byte for its category (whitespace first, then number, letter, punctuation, mark, symbol,
///   anything else); `\p{L}` then means "ASCII A–Z/a–z, or a non-ASCII letter that is not whitespace";
/// - a regex without `\p{…}` runs on the codepoints, but non-ASCII whitespace is first replaced by U+000B, so an
///   explicit range such as `　-。` never matches U+3000 itself.
/// Each case below states which of the two views it follows.
enum CharacterClass: Sendable {
    /// Collapsed `\p{N}`: ASCII digits, or a non-ASCII number.
    case number
    /// Collapsed `\p{L}`: ASCII letters, or a non-ASCII letter.
    case letter
    /// Collapsed `\p{P}`: ASCII ``!-#%-*,-/:-;?-@[-]_{}``, or non-ASCII punctuation.
    case punctuation
    /// Collapsed `[\p{P}\$\+<=>\^~\|]` (llama.cpp's default BPE pre-tokenizer), plus the backtick when
    /// `backtick` is set (its falcon variant).
    case punctuationAndSymbols(backtick: Bool)
    /// `\s`: ASCII 9–13 and space, or non-ASCII whitespace (the same in both views).
    case whitespace
    /// `[0-9]` on codepoints.
    case asciiDigit
    /// `[\r\n]` on codepoints.
    case lineBreak
    /// An explicit list of codepoint ranges on the codepoint view.
    case ranges([ClosedRange<UInt32>])

    @inline(__always)
    func contains(_ codepoint: UInt32) -> Bool {
        switch self {
        case .number:
            if codepoint < 128 { return (0x30...0x39).contains(codepoint) }
            return Self.collapsedCategory(codepoint) == .number
        case .letter:
            if codepoint < 128 { return (0x41...0x5A).contains(codepoint) || (0x61...0x7A).contains(codepoint) }
            return Self.collapsedCategory(codepoint) == .letter
        case .punctuation:
            if codepoint < 128 { return Self.isASCIIPunctuation(codepoint) }
            return Self.collapsedCategory(codepoint) == .punctuation
        case .punctuationAndSymbols(let backtick):
            if codepoint < 128 {
                switch codepoint {
                case 0x24, 0x2B, 0x3C, 0x3D, 0x3E, 0x5E, 0x7C, 0x7E: return true
                case 0x60: return backtick
                default: return Self.isASCIIPunctuation(codepoint)
                }
            }
            return Self.collapsedCategory(codepoint) == .punctuation
        case .whitespace:
            if codepoint < 128 { return codepoint == 0x20 || (0x09...0x0D).contains(codepoint) }
            return CodepointFlags.of(codepoint).isWhitespace
        case .asciiDigit:
            return (0x30...0x39).contains(codepoint)
        case .lineBreak:
            return codepoint == 0x0A || codepoint == 0x0D
        case .ranges(let ranges):
            if codepoint >= 128 && CodepointFlags.of(codepoint).isWhitespace { return false }
            return ranges.contains { $0.contains(codepoint) }
        }
    }

    /// ASCII characters in Unicode category P.
    @inline(__always)
    private static func isASCIIPunctuation(_ codepoint: UInt32) -> Bool {
        switch codepoint {
        case 0x21...0x23, 0x25...0x2A, 0x2C...0x2F, 0x3A...0x3B, 0x3F...0x40, 0x5B...0x5D, 0x5F, 0x7B, 0x7D: true
        default: false
        }
    }

    /// The category byte a non-ASCII codepoint collapses to (whitespace wins over any category).
    @inline(__always)
    private static func collapsedCategory(_ codepoint: UInt32) -> CodepointFlags? {
        let flags = CodepointFlags.of(codepoint)
        if flags.isWhitespace { return .whitespace }
        switch flags.category {
        case .number, .letter, .punctuation, .accentMark, .symbol: return flags.category
        default: return nil
        }
    }
}

/// The Unicode classes llama.cpp's pre-tokenizers test, for one codepoint.
///
/// Categories come from the standard library's Unicode properties, mapped the way llama.cpp's generated tables
/// map them: unassigned codepoints are `undefined`; Cc, Cf, Cs and Co are `control`; whitespace is the Unicode
/// White_Space property and is independent of the category.
struct CodepointFlags: OptionSet, Sendable {
    let rawValue: UInt16

    static let undefined = CodepointFlags(rawValue: 0x0001)
    static let number = CodepointFlags(rawValue: 0x0002)
    static let letter = CodepointFlags(rawValue: 0x0004)
    static let separator = CodepointFlags(rawValue: 0x0008)
    static let accentMark = CodepointFlags(rawValue: 0x0010)
    static let punctuation = CodepointFlags(rawValue: 0x0020)
    static let symbol = CodepointFlags(rawValue: 0x0040)
    static let control = CodepointFlags(rawValue: 0x0080)
    static let whitespace = CodepointFlags(rawValue: 0x0100)

    /// The category bits only (without `whitespace`).
    var category: CodepointFlags { CodepointFlags(rawValue: rawValue & 0x00FF) }

    var isLetter: Bool { contains(.letter) }
    var isNumber: Bool { contains(.number) }
    var isWhitespace: Bool { contains(.whitespace) }
    var isAccentMark: Bool { contains(.accentMark) }

    /// Flags of `codepoint`; codepoints beyond U+10FFFF (and "no codepoint") have no flags at all, which the
    /// splitters use as their out-of-range marker.
    @inline(__always)
    static func of(_ codepoint: UInt32) -> CodepointFlags {
        if codepoint < UInt32(tableLimit) {
            return CodepointFlags(rawValue: table[Int(codepoint)])
        }
        return compute(codepoint)
    }

    /// Codepoints below this are looked up in a table built once (planes 0–2 hold every script in use); the rest
    /// (rare ideograph extensions, tags, private use) are computed on demand.
    private static let tableLimit = 0x30000

    private static let table: [UInt16] = (0..<tableLimit).map { compute(UInt32($0)).rawValue }

    private static func compute(_ codepoint: UInt32) -> CodepointFlags {
        guard codepoint <= 0x10FFFF else { return [] }
        guard let scalar = Unicode.Scalar(codepoint) else { return .control }  // surrogates are category Cs
        let properties = scalar.properties
        var flags: CodepointFlags
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: flags = .letter
        case .nonspacingMark, .spacingMark, .enclosingMark: flags = .accentMark
        case .decimalNumber, .letterNumber, .otherNumber: flags = .number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            flags = .punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: flags = .symbol
        case .spaceSeparator, .lineSeparator, .paragraphSeparator: flags = .separator
        case .control, .format, .surrogate, .privateUse: flags = .control
        case .unassigned: flags = .undefined
        @unknown default: flags = .undefined
        }
        if properties.isWhitespace { flags.insert(.whitespace) }
        return flags
    }
}

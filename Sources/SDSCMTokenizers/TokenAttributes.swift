/// Per-token attributes, as llama.cpp derives them from `tokenizer.ggml.token_type` and from known token texts.
public struct TokenAttributes: OptionSet, Sendable, Hashable {
    /// The attribute bits, one per flag below.
    public let rawValue: UInt32
    /// Attributes from their bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The unknown-token placeholder.
    public static let unknown = TokenAttributes(rawValue: 1 << 0)
    /// Reserved and never produced.
    public static let unused = TokenAttributes(rawValue: 1 << 1)
    /// An ordinary piece of text.
    public static let normal = TokenAttributes(rawValue: 1 << 2)
    /// A control token (BOS, EOS, chat markers): rendered only on request and matched in text only when parsing
    /// special tokens.
    public static let control = TokenAttributes(rawValue: 1 << 3)
    /// Added by the model's authors; always matched in text as a whole.
    public static let userDefined = TokenAttributes(rawValue: 1 << 4)
    /// A `<0xXX>` byte token.
    public static let byte = TokenAttributes(rawValue: 1 << 5)
    /// Whitespace before this token is removed when it is matched in text.
    public static let leftStrip = TokenAttributes(rawValue: 1 << 7)
    /// Whitespace after this token is removed when it is matched in text.
    public static let rightStrip = TokenAttributes(rawValue: 1 << 8)

    /// The attributes of a GGUF token type (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte;
    /// anything else is undefined: no attributes).
    init(tokenType: Int) {
        switch tokenType {
        case 1: self = .normal
        case 2: self = .unknown
        case 3: self = .control
        case 4: self = .userDefined
        case 5: self = .unused
        case 6: self = .byte
        default: self = []
        }
    }
}

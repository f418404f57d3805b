/// UTF-8 conversions with llama.cpp's semantics, which differ from a strict decoder: a malformed sequence becomes
/// one U+FFFD per offending byte, and no check is made for overlong forms or surrogates. Tokenizing raw bytes
/// therefore splits them exactly as llama.cpp does.
enum UTF8Codec {
    /// Length of the sequence a lead byte announces (1 for continuation bytes, as llama.cpp does).
    @inline(__always)
    static func sequenceLength(lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: 2
        case 0xE: 3
        case 0xF: 4
        default: 1
        }
    }

    /// Decodes `bytes` into codepoints.
    static func codepoints(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(bytes.count)
        var offset = 0
        let count = bytes.count
        while offset < count {
            let b0 = bytes[offset]
            if b0 & 0x80 == 0 {
                result.append(UInt32(b0))
                offset += 1
                continue
            }
            func continuation(_ index: Int) -> Bool { index < count && bytes[index] & 0xC0 == 0x80 }
            if b0 & 0x40 == 0 {
                result.append(0xFFFD); offset += 1
            } else if b0 & 0x20 == 0 {
                if continuation(offset + 1) {
                    result.append(UInt32(b0 & 0x1F) << 6 | UInt32(bytes[offset + 1] & 0x3F))
                    offset += 2
                } else {
                    result.append(0xFFFD); offset += 1
                }
            } else if b0 & 0x10 == 0 {
                if continuation(offset + 1) && continuation(offset + 2) {
                    result.append(UInt32(b0 & 0x0F) << 12 | UInt32(bytes[offset + 1] & 0x3F) << 6
                        | UInt32(bytes[offset + 2] & 0x3F))
                    offset += 3
                } else {
                    result.append(0xFFFD); offset += 1
                }
            } else if b0 & 0x08 == 0 {
                if continuation(offset + 1) && continuation(offset + 2) && continuation(offset + 3) {
                    result.append(UInt32(b0 & 0x07) << 18 | UInt32(bytes[offset + 1] & 0x3F) << 12
                        | UInt32(bytes[offset + 2] & 0x3F) << 6 | UInt32(bytes[offset + 3] & 0x3F))
                    offset += 4
                } else {
                    result.append(0xFFFD); offset += 1
                }
            } else {
                result.append(0xFFFD); offset += 1
            }
        }
        return result
    }

    /// Appends the UTF-8 encoding of `codepoint` (any value up to 0x1FFFFF, surrogates included).
    @inline(__always)
    static func append(_ codepoint: UInt32, to bytes: inout [UInt8]) {
        switch codepoint {
        case 0..<0x80:
            bytes.append(UInt8(codepoint))
        case 0x80..<0x800:
            bytes.append(0xC0 | UInt8(codepoint >> 6))
            bytes.append(0x80 | UInt8(codepoint & 0x3F))
        case 0x800..<0x10000:
            bytes.append(0xE0 | UInt8(codepoint >> 12))
            bytes.append(0x80 | UInt8((codepoint >> 6) & 0x3F))
            bytes.append(0x80 | UInt8(codepoint & 0x3F))
        default:
            bytes.append(0xF0 | UInt8((codepoint >> 18) & 0x07))
            bytes.append(0x80 | UInt8((codepoint >> 12) & 0x3F))
            bytes.append(0x80 | UInt8((codepoint >> 6) & 0x3F))
            bytes.append(0x80 | UInt8(codepoint & 0x3F))
        }
    }
}

/// GPT-2's byte-level alphabet: every byte is shown as a printable codepoint so that BPE vocabularies can be
/// stored as text. Printable Latin-1 bytes map to themselves; the other 68 bytes map to U+0100, U+0101, … in
/// increasing byte order (so space is U+0120 "Ġ" and newline U+010A "Ċ").
enum ByteLevel {
    /// The codepoint standing for each byte.
    static let codepointForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// The UTF-8 bytes of each byte's codepoint, ready to append.
    static let utf8ForByte: [[UInt8]] = codepointForByte.map { codepoint in
        var bytes: [UInt8] = []
        UTF8Codec.append(codepoint, to: &bytes)
        return bytes
    }

    /// The byte a codepoint stands for, or nil if it is not part of the alphabet.
    @inline(__always)
    static func byte(for codepoint: UInt32) -> UInt8? {
        if codepoint < 256 {
            let byte = UInt8(codepoint)
            return codepointForByte[Int(byte)] == codepoint ? byte : nil
        }
        guard codepoint < 256 + 68 else { return nil }
        return byteForExtendedCodepoint[Int(codepoint - 256)]
    }

    private static let byteForExtendedCodepoint: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 68)
        for byte in 0..<256 where codepointForByte[byte] >= 256 {
            table[Int(codepointForByte[byte] - 256)] = UInt8(byte)
        }
        return table
    }()
}

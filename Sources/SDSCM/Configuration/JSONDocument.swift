import Foundation

/// A parsed JSON value that remembers nothing but its shape; `CausalModelConfiguration` walks it with paths so
/// every error can say where in the file it is.
enum JSONDocument: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONDocument])
    case object([String: JSONDocument])

    /// Deepest nesting accepted (arrays and objects): configurations are a few levels deep.
    static let maximumDepth = 256

    /// Parses `data` in one linear pass, turning every problem into a `ConfigurationError`: syntax errors at the
    /// document root with their line and column; duplicate keys, numbers out of Double's range and unpaired
    /// surrogates at their JSON path (JSONDecoder kept one of two duplicate keys silently, reported 1e400 as a
    /// type mismatch, and took time cubic in the nesting depth).
    static func parse(_ data: Data) throws -> JSONDocument {
        var parser = JSONParser(bytes: [UInt8](data))
        return try parser.document()
    }

    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A problem in a configuration file, located by its JSON path (`$.variables[2].phrasings[0]`).
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Where: `$` is the document, `.key` a member, `[i]` an array element.
    public let path: String
    /// What is wrong.
    public let message: String

    /// An error at `path` (e.g. `$.variables[2]`) saying `message`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// The path and message, as the command line prints them.
    public var description: String { "config \(path): \(message)" }
}

/// A JSON value with its path, for typed access with located errors.
struct JSONCursor {
    let value: JSONDocument
    let path: String

    func fail(_ message: String) -> ConfigurationError { ConfigurationError(path: path, message: message) }

    func object() throws -> [String: JSONDocument] {
        guard case .object(let members) = value else { throw fail("expected an object, found \(value.kind)") }
        return members
    }

    func array() throws -> [JSONCursor] {
        guard case .array(let elements) = value else { throw fail("expected an array, found \(value.kind)") }
        return elements.enumerated().map { JSONCursor(value: $1, path: "\(path)[\($0)]") }
    }

    func string() throws -> String {
        guard case .string(let text) = value else { throw fail("expected a string, found \(value.kind)") }
        return text
    }

    func bool() throws -> Bool {
        guard case .bool(let flag) = value else { throw fail("expected true or false, found \(value.kind)") }
        return flag
    }

    func number() throws -> Double {
        guard case .number(let number) = value else { throw fail("expected a number, found \(value.kind)") }
        return number
    }

    func integer() throws -> Int {
        let number = try number()
        guard number == number.rounded(), abs(number) < 1e15 else { throw fail("expected an integer, found \(number)") }
        return Int(number)
    }

    func strings() throws -> [String] { try array().map { try $0.string() } }

    /// Member `key`, or nil when absent (or null).
    func member(_ key: String) throws -> JSONCursor? {
        guard let value = try object()[key], value != .null else { return nil }
        return JSONCursor(value: value, path: path + "." + key)
    }

    /// Member `key`, which must be present.
    func required(_ key: String) throws -> JSONCursor {
        guard let member = try member(key) else { throw fail("missing \"\(key)\"") }
        return member
    }

    /// Rejects members other than `keys` (catches typos such as "parent").
    func allowOnly(_ keys: Set<String>) throws {
        for key in try object().keys.sorted() where !keys.contains(key) {
            throw fail("unknown key \"\(key)\" (expected one of: \(keys.sorted().joined(separator: ", ")))")
        }
    }
}

extension ConfigurationError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

/// A recursive-descent JSON parser (RFC 8259) over UTF-8 bytes.
struct JSONParser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() throws -> JSONDocument {
        skipWhitespace()
        let value = try parseValue(path: "$", depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw syntax("unexpected text after the document") }
        return value
    }

    /// "not valid JSON: <what> at line L, column C".
    func syntax(_ message: String) -> ConfigurationError {
        var line = 1, column = 1
        for byte in bytes[..<min(index, bytes.count)] {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return ConfigurationError(path: "$", message: "not valid JSON: \(message) at line \(line), column \(column)")
    }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func parseValue(path: String, depth: Int) throws -> JSONDocument {
        guard index < bytes.count else { throw syntax("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(path: path, depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(path: path, depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString(path: path))
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber(path: path))
        default: throw syntax("unexpected character '\(String(decoding: [bytes[index]], as: UTF8.self))'")
        }
    }

    mutating func literal(_ word: String) throws {
        let expected = Array(word.utf8)
        guard index + expected.count <= bytes.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw syntax("invalid literal")
        }
        index += expected.count
    }

    mutating func parseObject(path: String, depth: Int) throws -> JSONDocument {
        guard depth <= JSONDocument.maximumDepth else { throw syntax("nesting deeper than \(JSONDocument.maximumDepth) levels") }
        index += 1
        var members: [String: JSONDocument] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw syntax("expected a member name in quotes") }
            let key = try parseString(path: path)
            let memberPath = path + "." + key
            guard members[key] == nil else { throw ConfigurationError(path: memberPath, message: "key \"\(key)\" appears twice") }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw syntax("expected ':' after a member name") }
            index += 1
            skipWhitespace()
            members[key] = try parseValue(path: memberPath, depth: depth)
            skipWhitespace()
            guard index < bytes.count else { throw syntax("unexpected end of input in an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw syntax("expected ',' or '}' in an object")
        }
    }

    mutating func parseArray(path: String, depth: Int) throws -> JSONDocument {
        guard depth <= JSONDocument.maximumDepth else { throw syntax("nesting deeper than \(JSONDocument.maximumDepth) levels") }
        index += 1
        var elements: [JSONDocument] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue(path: "\(path)[\(elements.count)]", depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw syntax("unexpected end of input in an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            throw syntax("expected ',' or ']' in an array")
        }
    }

    mutating func parseNumber(path: String) throws -> Double {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits() -> Int {
            let first = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - first
        }
        guard index < bytes.count else { throw syntax("incomplete number") }
        if bytes[index] == UInt8(ascii: "0") { index += 1 } else if digits() == 0 { throw syntax("invalid number") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw syntax("invalid number: no digit after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw syntax("invalid number: no digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw ConfigurationError(path: path, message: "the number \(text) is out of range")
        }
        return value
    }

    mutating func parseString(path: String) throws -> String {
        index += 1  // the opening quote
        var scalars = String.UnicodeScalarView()
        var run = index  // start of the current run of plain bytes
        var plain: [UInt8] = []
        func flush() {
            if run < index { plain.append(contentsOf: bytes[run..<index]) }
        }
        func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
                throw syntax("invalid \\u escape")
            }
            index += 4
            return value
        }
        while true {
            guard index < bytes.count else { throw syntax("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flush()
                index += 1
                break
            }
            if byte < 0x20 { throw syntax("control character in a string") }
            if byte != UInt8(ascii: "\\") { index += 1; continue }
            flush()
            index += 1
            guard index < bytes.count else { throw syntax("unterminated escape") }
            let escape = bytes[index]
            index += 1
            var scalar: Unicode.Scalar
            switch escape {
            case UInt8(ascii: "\""): scalar = "\""
            case UInt8(ascii: "\\"): scalar = "\\"
            case UInt8(ascii: "/"): scalar = "/"
            case UInt8(ascii: "b"): scalar = "\u{08}"
            case UInt8(ascii: "f"): scalar = "\u{0C}"
            case UInt8(ascii: "n"): scalar = "\n"
            case UInt8(ascii: "r"): scalar = "\r"
            case UInt8(ascii: "t"): scalar = "\t"
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw ConfigurationError(path: path, message: "a string has an unpaired surrogate \\u\(String(code, radix: 16, uppercase: true))")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw ConfigurationError(path: path, message: "a string has an unpaired surrogate \\u\(String(code, radix: 16, uppercase: true))")
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw ConfigurationError(path: path, message: "a string has an unpaired surrogate \\u\(String(code, radix: 16, uppercase: true))")
                }
                scalar = Unicode.Scalar(code)!
            default: throw syntax("invalid escape")
            }
            // Decode the plain bytes so far, then the escaped scalar.
            if !plain.isEmpty {
                guard let text = String(validating: plain, as: UTF8.self) else { throw syntax("invalid UTF-8 in a string") }
                scalars.append(contentsOf: text.unicodeScalars)
                plain.removeAll(keepingCapacity: true)
            }
            scalars.append(scalar)
            run = index
        }
        if !plain.isEmpty {
            guard let text = String(validating: plain, as: UTF8.self) else { throw syntax("invalid UTF-8 in a string") }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        return String(scalars)
    }
}

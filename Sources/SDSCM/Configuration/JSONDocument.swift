import Foundation

/// A parsed JSON value that remembers nothing but its shape; `CausalModelConfiguration` walks it with paths so
/// every error can say where in the file it is.
enum JSONDocument: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONDocument])
    case object([String: JSONDocument])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONDocument].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONDocument].self)) }
    }

    /// Parses `data`, turning syntax errors into a `ConfigurationError` at the document root.
    static func parse(_ data: Data) throws -> JSONDocument {
        do {
            return try JSONDecoder().decode(JSONDocument.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            throw ConfigurationError(path: "$", message: "not valid JSON" + (detail.map { ": \($0)" } ?? ""))
        }
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

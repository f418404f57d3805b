import Foundation
import SDSCM
import Testing

/// The configuration parser on hostile documents: every problem a `ConfigurationError` at its path, in time
/// linear in the input (the earlier Decodable-based parser kept one of two duplicate keys silently, reported 1e400
/// and unpaired surrogates as type mismatches, and took 36 s on 20 KB of nesting).
@Suite struct JSONParsingTests {
    static func error(_ text: String) -> ConfigurationError? {
        do { _ = try CausalModelConfiguration(json: Data(text.utf8)); return nil } catch let error as ConfigurationError { return error } catch { return nil }
    }

    static let valid = #"{"variables": [{"name": "a", "values": ["p", "q"], "equation": {"probabilities": {"p": 0.25, "q": 0.75}}}]}"#

    @Test func validDocumentsParse() throws {
        let configuration = try CausalModelConfiguration(json: Data(Self.valid.utf8))
        #expect(configuration.variables.map(\.name) == ["a"])
        // Escapes, a surrogate pair and raw UTF-8 decode to the same scalars.
        let escaped = try CausalModelConfiguration(json: Data(#"{"variables": [{"name": "caf\u00e9 \ud83d\ude00 \"q\" \\ / é", "values": ["p"], "equation": {"uniform": true}}]}"#.utf8))
        #expect(escaped.variables[0].name == "café 😀 \"q\" \\ / é")
    }

    @Test func problemsAreLocated() {
        #expect(Self.error(#"{"variables": [{"name": "a", "values": ["p", "q"], "equation": {"probabilities": {"p": 1e400, "q": 0}}}]}"#)
                == ConfigurationError(path: "$.variables[0].equation.probabilities.p", message: "the number 1e400 is out of range"))
        #expect(Self.error(#"{"variables": [{"name": "a", "name": "b", "values": ["p"], "equation": {"uniform": true}}]}"#)
                == ConfigurationError(path: "$.variables[0].name", message: "key \"name\" appears twice"))
        #expect(Self.error(#"{"variables": [{"name": "a\ud800", "values": ["p"], "equation": {"uniform": true}}]}"#)
                == ConfigurationError(path: "$.variables[0].name", message: "a string has an unpaired surrogate \\uD800"))
        #expect(Self.error("{\"variables\": [1,]}")?.message == "not valid JSON: unexpected character ']' at line 1, column 18")
        #expect(Self.error("{\"variables\":\n [\"x\"")?.message == "not valid JSON: unexpected end of input in an array at line 2, column 6")
        #expect(Self.error(Self.valid + " x")?.message.hasPrefix("not valid JSON: unexpected text after the document") == true)
        #expect(Self.error("")?.message == "not valid JSON: unexpected end of input at line 1, column 1")
        // A table row's condition must name a value of the parent.
        #expect(Self.error(#"{"variables": [{"name": "a", "values": ["p", "q"], "equation": {"uniform": true}}, {"name": "b", "values": ["x", "y"], "parents": ["a"], "equation": {"table": [{"when": {"a": "zzz"}, "probabilities": {"x": 1, "y": 0}}, {"probabilities": {"x": 0.5, "y": 0.5}}]}}]}"#)
                == ConfigurationError(path: "$.variables[1].equation.table[0].when.a", message: "'zzz' is not a value of 'a'"))
    }

    /// Deep nesting is refused past 256 levels, and 200 KB of it is parsed in linear time (the old parser needed
    /// 36 s for 20 KB); the check counts work, not seconds, by parsing 10× more input than the old limit allowed.
    @Test func nestingIsBoundedAndLinear() {
        let deep = "{\"variables\": " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}"
        #expect(Self.error(deep)?.message.hasPrefix("not valid JSON: nesting deeper than 256 levels") == true)
        let wide = "{\"variables\": [" + Array(repeating: String(repeating: "[", count: 200) + String(repeating: "]", count: 200), count: 250)
            .joined(separator: ",") + "]}"
        // 100,000 brackets at depth ≤ 202: parses (then fails validation: the entries are not objects).
        #expect(Self.error(wide)?.path == "$.variables[0]")
    }
}

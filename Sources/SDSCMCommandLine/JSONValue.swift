/// A JSON document built in code and rendered with keys in insertion order, so `--json` output is stable and
/// diffable. Non-finite floats have no JSON spelling; they are written as the strings "NaN", "Infinity" and
/// "-Infinity".
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case uint(UInt64)
    case float(Float)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Equal when both render to the same text (so key order matters, and NaN equals NaN).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.rendered() == rhs.rendered()
    }

    /// The document as text; `pretty` indents nested containers by two spaces.
    public func rendered(pretty: Bool = false) -> String {
        var output = ""
        write(to: &output, pretty: pretty, indent: 0)
        return output
    }

    private func write(to output: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .uint(let value): output += String(value)
        case .float(let value): output += Self.number(value.isFinite, value.description, value)
        case .double(let value): output += Self.number(value.isFinite, value.description, value)
        case .string(let value): Self.quote(value, into: &output)
        case .array(let values):
            writeContainer(open: "[", close: "]", count: values.count, to: &output, pretty: pretty, indent: indent) {
                index, output in values[index].write(to: &output, pretty: pretty, indent: indent + 1)
            }
        case .object(let members):
            writeContainer(open: "{", close: "}", count: members.count, to: &output, pretty: pretty, indent: indent) {
                index, output in
                Self.quote(members[index].0, into: &output)
                output += pretty ? ": " : ":"
                members[index].1.write(to: &output, pretty: pretty, indent: indent + 1)
            }
        }
    }

    private func writeContainer(
        open: String, close: String, count: Int, to output: inout String, pretty: Bool, indent: Int,
        element: (Int, inout String) -> Void
    ) {
        output += open
        guard count > 0 else { output += close; return }
        // Containers of scalars stay on one line even when pretty, so long arrays do not take a line per number.
        let breakLines = pretty && containsContainer
        for index in 0..<count {
            if index > 0 { output += breakLines ? "," : (pretty ? ", " : ",") }
            if breakLines { output += "\n" + String(repeating: "  ", count: indent + 1) }
            element(index, &output)
        }
        if breakLines { output += "\n" + String(repeating: "  ", count: indent) }
        output += close
    }

    private var containsContainer: Bool {
        switch self {
        case .array(let values): return values.contains { $0.isContainer }
        case .object: return true
        default: return false
        }
    }

    private var isContainer: Bool {
        switch self {
        case .array, .object: return true
        default: return false
        }
    }

    private static func number<F: FloatingPoint>(_ finite: Bool, _ text: String, _ value: F) -> String {
        if finite { return text }
        if value.isNaN { return "\"NaN\"" }
        return value < 0 ? "\"-Infinity\"" : "\"Infinity\""
    }

    private static func quote(_ string: String, into output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

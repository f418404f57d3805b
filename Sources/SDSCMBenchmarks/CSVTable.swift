/// A CSV table (RFC 4180: comma-separated, `\n` line ends, fields quoted when they contain a comma, quote, or
/// line break, quotes doubled).
public struct CSVTable: Sendable {
    /// Column names.
    public var header: [String]
    /// Rows, each with one field per column.
    public private(set) var rows: [[String]] = []

    /// An empty table with these column names.
    public init(header: [String]) {
        self.header = header
    }

    /// Appends a row (one field per column).
    public mutating func append(_ row: [String]) {
        precondition(row.count == header.count, "a CSV row must have one field per column")
        rows.append(row)
    }

    /// The table as CSV text.
    public var rendered: String {
        var output = ""
        for row in [header] + rows {
            output += row.map(Self.field).joined(separator: ",")
            output += "\n"
        }
        return output
    }

    /// One field, quoted if needed.
    public static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number as text: shortest round-trip decimal, `-inf`/`inf`/`nan` as pandas writes them.
    public static func number(_ value: Double) -> String {
        if value == -.infinity { return "-inf" }
        if value == .infinity { return "inf" }
        if value.isNaN { return "nan" }
        return value.description
    }
}

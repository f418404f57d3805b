/// A CSV table (RFC 4180: comma-separated, CRLF-free `\n` line ends, fields quoted when they contain a comma,
/// quote, or line break, quotes doubled).
struct CSVTable {
    var header: [String]
    var rows: [[String]] = []

    init(header: [String]) {
        self.header = header
    }

    mutating func append(_ row: [String]) {
        precondition(row.count == header.count, "a CSV row must have one field per column")
        rows.append(row)
    }

    var rendered: String {
        var output = ""
        for row in [header] + rows {
            output += row.map(Self.field).joined(separator: ",")
            output += "\n"
        }
        return output
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A log-probability as text: shortest round-trip decimal, `-inf` for impossible values.
    static func number(_ value: Double) -> String {
        if value == -.infinity { return "-inf" }
        if value == .infinity { return "inf" }
        if value.isNaN { return "nan" }
        return value.description
    }
}

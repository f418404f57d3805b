import Foundation

/// A table of text fields with named columns: what `sdscm sample` and `sdscm benchmark` write and `sdscm evaluate`
/// reads. CSV in and out follows RFC 4180 (fields quoted when they contain a comma, quote or line break, quotes
/// doubled, `\n` line ends on output, `\n`, `\r\n` or `\r` accepted on input), and columns turn into the numeric
/// matrices estimators take (`encodedColumns(_:)`).
public struct DataTable: Sendable, Hashable {
    /// Column names.
    public let header: [String]
    /// Rows, each with one field per column.
    public private(set) var rows: [[String]] = []

    /// An empty table with these column names.
    public init(header: [String]) {
        self.header = header
    }

    /// A table with `rows`; every row must have one field per column.
    public init(header: [String], rows: [[String]]) throws {
        self.header = header
        for row in rows { try append(row) }
    }

    /// Appends a row, which must have one field per column.
    public mutating func append(_ row: [String]) throws {
        guard row.count == header.count else {
            throw DataTableError.raggedRow(line: rows.count + 2, fields: row.count, columns: header.count)
        }
        rows.append(row)
    }

    /// Number of rows.
    public var count: Int { rows.count }

    // MARK: Columns

    /// The position of column `name`.
    public func columnIndex(_ name: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else { throw DataTableError.unknownColumn(name) }
        return index
    }

    /// The fields of column `name`, top to bottom.
    public func column(_ name: String) throws -> [String] {
        let index = try columnIndex(name)
        return rows.map { $0[index] }
    }

    /// Column `name` as numbers (`inf`, `-inf` and `nan` as pandas writes them); a field that is not one is an
    /// error naming its row.
    public func numbers(_ name: String) throws -> [Double] {
        let index = try columnIndex(name)
        return try rows.enumerated().map { row, fields in
            guard let value = Self.parseNumber(fields[index]) else {
                throw DataTableError.notANumber(column: name, line: row + 2, field: fields[index])
            }
            return value
        }
    }

    /// Row `index` as fields by column name.
    public func row(_ index: Int) -> [String: String] {
        Dictionary(zip(header, rows[index]), uniquingKeysWith: { first, _ in first })
    }

    // MARK: Estimator inputs

    /// How a column becomes numbers for an estimator.
    public enum Encoding: Sendable, Hashable {
        /// The field is a number already (e.g. the reference layout's value indices).
        case number
        /// The position of the value in this domain (the same code in every dataset of a design).
        case code([String])
        /// One indicator per value of this domain but the first (the first is the reference level).
        case oneHot([String])
    }

    /// The design matrix of `columns` (row-major, one row per table row) and the name of each matrix column
    /// (`name` for a number or code, `name=value` for an indicator). A value outside its domain is an error.
    public func encodedColumns(_ columns: [(name: String, encoding: Encoding)]) throws -> (matrix: [[Double]], names: [String]) {
        var matrix = [[Double]](repeating: [], count: rows.count)
        var names: [String] = []
        for (name, encoding) in columns {
            switch encoding {
            case .number:
                for (row, value) in try numbers(name).enumerated() { matrix[row].append(value) }
                names.append(name)
            case .code(let domain), .oneHot(let domain):
                let positions = Dictionary(domain.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
                let codes = try column(name).enumerated().map { row, value -> Int in
                    guard let code = positions[value] else {
                        throw DataTableError.valueOutsideDomain(column: name, line: row + 2, value: value)
                    }
                    return code
                }
                if case .code = encoding {
                    for (row, code) in codes.enumerated() { matrix[row].append(Double(code)) }
                    names.append(name)
                } else {
                    for level in domain.indices.dropFirst() {
                        for (row, code) in codes.enumerated() { matrix[row].append(code == level ? 1 : 0) }
                        names.append("\(name)=\(domain[level])")
                    }
                }
            }
        }
        return (matrix, names)
    }

    // MARK: CSV

    /// The table as CSV text (header first, `\n` after every row).
    public var csv: String { Self.csvLine(header) + csvRows }

    /// The rows without the header, as CSV text: what a writer appends block by block after one header line.
    public var csvRows: String {
        var output = ""
        for row in rows { output += Self.csvLine(row) }
        return output
    }

    /// One record as a CSV line, fields quoted where needed, ending in `\n`.
    public static func csvLine(_ record: [String]) -> String {
        record.map(field).joined(separator: ",") + "\n"
    }

    /// Parses CSV text: the first record is the header; every record must have as many fields as it.
    public init(csv text: String) throws {
        var records = try Self.records(text)
        guard !records.isEmpty else { throw DataTableError.empty }
        header = records.removeFirst()
        for record in records { try append(record) }
    }

    /// Reads a CSV file.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw DataTableError.unreadable(url.path) }
        try self.init(csv: String(decoding: data, as: UTF8.self))
    }

    /// Writes the CSV to `url` atomically (a temporary file renamed over it), creating its folder.
    public func write(to url: URL) throws {
        try SafeFile.createFolder(url.deletingLastPathComponent())
        try SafeFile.write(Data(csv.utf8), to: url.path)
    }

    /// One field, quoted if needed. Bytes, not `Character`s, are inspected and escaped (as the reader reads them):
    /// `"\r\n"` is one `Character` equal to neither `"\r"` nor `"\n"`, and a quote or comma followed by a combining
    /// mark is one `Character` with it, which `Character` comparison and `replacingOccurrences` would miss.
    public static func field(_ text: String) -> String {
        let quote = UInt8(ascii: "\"")
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == quote || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
        else { return text }
        var bytes: [UInt8] = [quote]
        for byte in text.utf8 {
            if byte == quote { bytes.append(quote) }
            bytes.append(byte)
        }
        bytes.append(quote)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A number as a field: the shortest decimal that reads back to the same `Double`; `-inf`, `inf` and `nan` as
    /// pandas writes them.
    public static func number(_ value: Double) -> String {
        if value == -.infinity { return "-inf" }
        if value == .infinity { return "inf" }
        if value.isNaN { return "nan" }
        return value.description
    }

    /// A field as a number (`number(_:)`'s spellings, and pandas's `-inf`, `inf`, `nan`), or nil.
    public static func parseNumber(_ field: String) -> Double? {
        switch field {
        case "inf", "+inf", "Infinity": return .infinity
        case "-inf", "-Infinity": return -.infinity
        case "nan", "NaN": return .nan
        default: return Double(field)
        }
    }

    /// The records of CSV text (a final line break does not add a record).
    static func records(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field: [UInt8] = []
        var quoted = false, wasQuoted = false
        var line = 1, quoteLine = 1
        let bytes = Array(text.utf8)
        var i = 0
        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        while i < bytes.count {
            let byte = bytes[i]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") { field.append(byte); i += 1 } else { quoted = false }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") && field.isEmpty && !wasQuoted {
                quoted = true
                wasQuoted = true
                quoteLine = line
            } else if byte == UInt8(ascii: ",") {
                endField()
            } else if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if byte == UInt8(ascii: "\r") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
                endField()
                records.append(record)
                record = []
                line += 1
            } else {
                if wasQuoted { throw DataTableError.malformed(line: line, reason: "text after a closing quote") }
                field.append(byte)
            }
            i += 1
        }
        if quoted { throw DataTableError.malformed(line: quoteLine, reason: "a quoted field is never closed") }
        if !field.isEmpty || !record.isEmpty || wasQuoted { endField(); records.append(record) }
        return records
    }
}

/// Why a table could not be read or used.
public enum DataTableError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No header.
    case empty
    /// The file could not be read.
    case unreadable(String)
    /// CSV syntax error at a line (1-based, counting the header).
    case malformed(line: Int, reason: String)
    /// A row with another number of fields than the header.
    case raggedRow(line: Int, fields: Int, columns: Int)
    /// No column of that name.
    case unknownColumn(String)
    /// A field that should be a number is not.
    case notANumber(column: String, line: Int, field: String)
    /// A field that should be one of a domain's values is not.
    case valueOutsideDomain(column: String, line: Int, value: String)

    public var description: String {
        switch self {
        case .empty: return "the table is empty (no header)"
        case .unreadable(let path): return "cannot read '\(path)'"
        case let .malformed(line, reason): return "CSV line \(line): \(reason)"
        case let .raggedRow(line, fields, columns): return "CSV line \(line) has \(fields) fields, the header has \(columns)"
        case .unknownColumn(let name): return "no column '\(name)'"
        case let .notANumber(column, line, field): return "CSV line \(line), column '\(column)': '\(field)' is not a number"
        case let .valueOutsideDomain(column, line, value):
            return "CSV line \(line), column '\(column)': '\(value)' is not one of the variable's values"
        }
    }
}

extension DataTableError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

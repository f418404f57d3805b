import Foundation
import SDSCM
import SDSCMTestSupport
import Testing

/// `DataTable`: CSV reading and writing against hand-written RFC 4180 text, typed errors with their line numbers,
/// number parsing and formatting, and estimator encodings against hand-built matrices.
@Suite struct DataTableTests {
    /// Awkward fields survive csv → DataTable(csv:) → csv unchanged, and their exact text is hand-checked.
    @Test func csvRoundTripOfAwkwardFields() throws {
        let rows = [
            ["plain", "with, comma", "say \"hi\"", ""],
            ["line\nbreak", "crlf\r\ninside", "bare\rcr", "\"\""],
            ["", "", "", ""],
            [" spaced ", "ünïcödé ✓", ",", "\""],
        ]
        let table = try DataTable(header: ["a", "b,c", "d\"e", "f"], rows: rows)
        let expected = "a,\"b,c\",\"d\"\"e\",f\n"
            + "plain,\"with, comma\",\"say \"\"hi\"\"\",\n"
            + "\"line\nbreak\",\"crlf\r\ninside\",\"bare\rcr\",\"\"\"\"\"\"\n"
            + ",,,\n"
            + " spaced ,ünïcödé ✓,\",\",\"\"\"\"\n"
        #expect(table.csv == expected)
        let parsed = try DataTable(csv: table.csv)
        #expect(parsed.header == table.header)
        #expect(parsed.rows == rows)
        #expect(parsed == table)
        #expect(parsed.csv == table.csv)
        #expect(parsed.count == 4)
        #expect(parsed.row(1) == ["a": "line\nbreak", "b,c": "crlf\r\ninside", "d\"e": "bare\rcr", "f": "\"\""])
        #expect(try parsed.column("f") == ["", "\"\"", "", "\""])
    }

    /// Quoting looks at bytes: a CRLF (one `Character`), and a quote or comma carrying a combining mark (one
    /// `Character` with it) are still quoted, with the quote doubled; the table reads back the same.
    @Test func quotingOfMultiScalarCharacters() throws {
        #expect(DataTable.field("a\r\nb") == "\"a\r\nb\"")
        #expect(DataTable.field(",\u{301}") == "\",\u{301}\"")
        #expect(DataTable.field("x\"\u{301}y") == "\"x\"\"\u{301}y\"")
        #expect(DataTable.field("plain é") == "plain é")
        let rows = [["a\r\nb", ",\u{301}"], ["x\"\u{301}y", "\r\n"]]
        let table = try DataTable(header: ["p", "q"], rows: rows)
        #expect(try DataTable(csv: table.csv).rows == rows)
    }

    /// A one-column table whose last field is empty: the empty record is kept (a line of its own).
    @Test func emptyFieldsInOneColumnTable() throws {
        let table = try DataTable(header: ["x"], rows: [["1"], [""], [""]])
        #expect(table.csv == "x\n1\n\n\n")
        #expect(try DataTable(csv: table.csv).rows == [["1"], [""], [""]])
        // A quoted empty field on the last line without a line break is a record too.
        #expect(try DataTable(csv: "x\n1\n\"\"").rows == [["1"], [""]])
    }

    /// `\r\n` and bare `\r` line ends read like `\n`; a last line without a line break still counts.
    @Test func lineEndings() throws {
        let expected = try DataTable(header: ["a", "b"], rows: [["1", "2"], ["3", "x y"]])
        for text in ["a,b\n1,2\n3,x y\n", "a,b\r\n1,2\r\n3,x y\r\n", "a,b\r1,2\r3,x y\r", "a,b\n1,2\n3,x y",
                     "a,b\r\n1,2\r\n3,x y", "a,b\r1,2\n3,x y\r\n", "a,b\n1,2\n\"3\",\"x y\""] {
            let parsed = try DataTable(csv: text)
            #expect(parsed == expected, "\(text.debugDescription)")
        }
        // Header only.
        #expect(try DataTable(csv: "a,b").rows.isEmpty)
        #expect(try DataTable(csv: "a,b\r\n").header == ["a", "b"])
        #expect(throws: DataTableError.empty) { try DataTable(csv: "") }
    }

    /// Syntax errors name the line (1-based, counting the header) and the reason.
    @Test func malformedInput() throws {
        // The unterminated quote opens on line 4 (after a quoted field spanning lines 2–3), not where the input ends.
        #expect(throws: DataTableError.malformed(line: 4, reason: "a quoted field is never closed")) {
            try DataTable(csv: "a,b\n\"x\ny\",1\n2,\"open\nmore\n")
        }
        #expect(throws: DataTableError.malformed(line: 2, reason: "a quoted field is never closed")) {
            try DataTable(csv: "a,b\n1,\"never")
        }
        #expect(throws: DataTableError.malformed(line: 3, reason: "text after a closing quote")) {
            try DataTable(csv: "a,b\n1,2\n\"quoted\"tail,3\n")
        }
        #expect(throws: DataTableError.malformed(line: 1, reason: "text after a closing quote")) {
            try DataTable(csv: "\"a\" ,b\n")
        }
        // CRLF line ends count one line each.
        #expect(throws: DataTableError.malformed(line: 3, reason: "text after a closing quote")) {
            try DataTable(csv: "a,b\r\n1,2\r\n\"x\"y,3\r\n")
        }
    }

    /// A row with another number of fields than the header: its line, its field count and the header's.
    @Test func raggedRows() throws {
        #expect(throws: DataTableError.raggedRow(line: 3, fields: 3, columns: 2)) { try DataTable(csv: "a,b\n1,2\n1,2,3\n") }
        #expect(throws: DataTableError.raggedRow(line: 2, fields: 1, columns: 2)) { try DataTable(csv: "a,b\n1\n") }
        #expect(throws: DataTableError.raggedRow(line: 4, fields: 1, columns: 2)) { try DataTable(csv: "a,b\n1,2\n3,4\n\n") }
        var table = DataTable(header: ["a", "b"])
        try table.append(["1", "2"])
        #expect(throws: DataTableError.raggedRow(line: 3, fields: 1, columns: 2)) { try table.append(["x"]) }
        #expect(table.count == 1)
        #expect(throws: DataTableError.raggedRow(line: 2, fields: 3, columns: 2)) {
            try DataTable(header: ["a", "b"], rows: [["1", "2", "3"]])
        }
    }

    /// `numbers(_:)` reads decimals, exponents and pandas's `inf`, `-inf`, `nan`; anything else names the line.
    @Test func numbers() throws {
        let table = try DataTable(csv: "x,y\n1.5,inf\n-2e-3,-inf\n0,nan\n1e308,NaN\n")
        #expect(try table.numbers("x") == [1.5, -0.002, 0, 1e308])
        let y = try table.numbers("y")
        #expect(y.count == 4)
        #expect(y[0] == .infinity && y[1] == -.infinity && y[2].isNaN && y[3].isNaN)
        #expect(throws: DataTableError.unknownColumn("z")) { try table.numbers("z") }

        let bad = try DataTable(csv: "x\n1\n2\nabc\n\n")
        #expect(throws: DataTableError.notANumber(column: "x", line: 4, field: "abc")) { try bad.numbers("x") }
        let empty = try DataTable(csv: "x,y\n1,2\n,3\n")
        #expect(throws: DataTableError.notANumber(column: "x", line: 3, field: "")) { try empty.numbers("x") }
        #expect(try empty.numbers("y") == [2, 3])
    }

    /// `number(_:)` writes the shortest decimal that reads back to the same double, and pandas's spellings of the
    /// non-finite values; every written number parses back to itself.
    @Test func numberFormatting() throws {
        #expect(DataTable.number(0.1) == "0.1")
        #expect(DataTable.number(0.1 + 0.2) == "0.30000000000000004")
        #expect(DataTable.number(1.0 / 3) == "0.3333333333333333")
        #expect(DataTable.number(2) == "2.0")
        #expect(DataTable.number(-0.5) == "-0.5")
        #expect(DataTable.number(1e-7) == "1e-07")
        #expect(DataTable.number(.infinity) == "inf")
        #expect(DataTable.number(-.infinity) == "-inf")
        #expect(DataTable.number(.nan) == "nan")
        #expect(DataTable.number(-.nan) == "nan")

        var random = SeededGenerator(seed: 17)
        var checked = 0
        for _ in 0..<5000 {
            let value = Double(bitPattern: random.next())
            let text = DataTable.number(value)
            let back = try #require(DataTable.parseNumber(text), "\(text)")
            if value.isNaN {
                #expect(back.isNaN && text == "nan")
            } else {
                #expect(back.bitPattern == value.bitPattern, "\(value) written as \(text)")
                // Shortest: dropping the last significant digit no longer reads back (for plain decimals).
                if value.isFinite, !text.contains("e"), let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) > 2 {
                    #expect(Double(String(text.dropLast())) != value, "\(text) is not the shortest")
                }
            }
            checked += 1
        }
        #expect(checked == 5000)
        // Round trip through a table column.
        let values = [0.1, -3.25, 1e300, .infinity, -.infinity]
        let table = try DataTable(header: ["v"], rows: values.map { [DataTable.number($0)] })
        #expect(try DataTable(csv: table.csv).numbers("v") == values)
    }

    /// Estimator encodings against hand-built matrices: numbers as they are, codes as positions in the domain,
    /// one-hot indicators for every value but the first (named `column=value`).
    @Test func encodedColumns() throws {
        let table = try DataTable(csv: "age,dose,score\nold,high,1.5\nyoung,low,-2\nmid,mid,inf\nyoung,high,0\n")
        let (matrix, names) = try table.encodedColumns([
            ("score", .number), ("age", .code(["young", "mid", "old"])), ("dose", .oneHot(["low", "mid", "high"])),
        ])
        #expect(names == ["score", "age", "dose=mid", "dose=high"])
        #expect(matrix == [
            [1.5, 2, 0, 1],
            [-2, 0, 0, 0],
            [.infinity, 1, 1, 0],
            [0, 0, 0, 1],
        ])
        // Codes and indicators follow the order of the given domain, not the data.
        let (single, singleNames) = try table.encodedColumns([("dose", .code(["high", "mid", "low"])), ("age", .oneHot(["old", "young", "mid"]))])
        #expect(singleNames == ["dose", "age=young", "age=mid"])
        #expect(single == [[0, 0, 0], [2, 1, 0], [1, 0, 1], [0, 1, 0]])
        // One-hot of a one-value domain adds no columns.
        let constant = try DataTable(csv: "k\na\na\n")
        let (empty, emptyNames) = try constant.encodedColumns([("k", .oneHot(["a"]))])
        #expect(emptyNames.isEmpty && empty == [[], []])

        #expect(throws: DataTableError.valueOutsideDomain(column: "age", line: 4, value: "mid")) {
            try table.encodedColumns([("age", .code(["young", "old"]))])
        }
        #expect(throws: DataTableError.valueOutsideDomain(column: "dose", line: 2, value: "high")) {
            try table.encodedColumns([("dose", .oneHot(["low", "mid"]))])
        }
        #expect(throws: DataTableError.notANumber(column: "age", line: 2, field: "old")) {
            try table.encodedColumns([("age", .number)])
        }
        #expect(throws: DataTableError.unknownColumn("nope")) { try table.encodedColumns([("nope", .code(["a"]))]) }
    }

    /// Writing to a file (creating the folder) and reading it back gives the same table.
    @Test func fileRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-datatable-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("nested/table.csv")
        let table = try DataTable(header: ["a", "b"], rows: [["x,y", "line\nbreak"], ["", "\"q\""]])
        try table.write(to: url)
        #expect(try DataTable(contentsOf: url) == table)
        #expect(throws: DataTableError.unreadable(folder.appendingPathComponent("missing.csv").path)) {
            try DataTable(contentsOf: folder.appendingPathComponent("missing.csv"))
        }
    }
}

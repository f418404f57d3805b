import Foundation
import SDSCM

/// Writes files so that readers see either the old content or the complete new one, never a partial file.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `path`, then renames it into place (see `SafeFile`: symbolic
    /// links written through, modes kept, special files refused).
    public static func write(_ data: Data, to path: String) throws {
        do {
            try SafeFile.write(data, to: path)
        } catch let error as FileWriteError {
            throw CommandFailure(error.description)
        }
    }

    /// Streams a CSV to `path`: the header, then the rows of each block of `units` as `rows` computes them, so
    /// memory holds one block; nothing appears at `path` until every row is written.
    static func writeCSV(header: [String], units: Int, block: Int = 8192, to path: String,
                        rows: (Range<Int>) async throws -> [[String]]) async throws {
        let writer: SafeFile.Writer
        do { writer = try SafeFile.Writer(path: path) } catch let error as FileWriteError { throw CommandFailure(error.description) }
        do {
            try writer.append(Data(DataTable.csvLine(header).utf8))
            var start = 0
            while start < units {
                let range = start..<min(units, start + block)
                var table = DataTable(header: header)
                for row in try await rows(range) { try table.append(row) }
                try writer.append(Data(table.csvRows.utf8))
                start = range.upperBound
            }
            try writer.commit()
        } catch let error as FileWriteError {
            writer.abandon()
            throw CommandFailure(error.description)
        } catch {
            writer.abandon()
            throw error
        }
    }
}

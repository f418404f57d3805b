import Foundation

/// Writes files so that readers see either the old content or the complete new one, never a partial file.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `path`, then renames it into place.
    public static func write(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CommandFailure("cannot write '\(path)': \(error.localizedDescription)")
        }
    }
}

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
}

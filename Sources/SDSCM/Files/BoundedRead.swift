import Foundation

/// Reading an input whole, up to a limit: a configuration given as `/dev/zero` or an endless pipe must end in an
/// error, not in exhausted memory.
package enum BoundedRead {
    /// The most bytes a configuration file may have.
    package static let configurationLimit = 64 << 20

    /// The bytes at `path` (a file, pipe or process substitution), or nil if it cannot be opened; throws
    /// `tooLarge` past `limit` bytes.
    package static func contents(of path: String, limit: Int) throws -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return try read(handle, limit: limit)
    }

    /// Everything `handle` yields, in chunks, up to `limit` bytes.
    package static func read(_ handle: FileHandle, limit: Int) throws -> Data? {
        var data = Data()
        while true {
            guard let chunk = try? handle.read(upToCount: 1 << 20) else { return data.isEmpty ? nil : data }
            if chunk.isEmpty { return data }
            data.append(chunk)
            if data.count > limit { throw TooLarge(limit: limit) }
        }
    }

    /// An input longer than its limit.
    package struct TooLarge: Error {
        package let limit: Int
        package var message: String { "larger than \(limit >> 20) MiB" }
    }
}

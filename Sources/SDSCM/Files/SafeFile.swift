import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an output file was not written. The message names the path and the reason in the system's words.
public struct FileWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path as given.
    public let path: String
    /// What is wrong (e.g. "it is a directory", "No space left on device").
    public let reason: String

    /// `cannot write '<path>': <reason>`.
    public var description: String { "cannot write '\(path)': \(reason)" }
}

extension FileWriteError: LocalizedError {
    /// The message the command line prints.
    public var errorDescription: String? { description }
}

/// Output files written the way careful editors write them: readers see the old content or the whole new one,
/// never a partial file; a symbolic link is written through (its target changes, the link stays); an existing
/// file keeps its permission bits; anything that is not a regular file (a device such as /dev/null, a FIFO, a
/// directory) is refused rather than replaced.
package enum SafeFile {
    /// Writes `data` to `path`: a new file beside the destination, flushed, then renamed over it.
    package static func write(_ data: Data, to path: String) throws {
        let writer = try Writer(path: path)
        do {
            try writer.append(data)
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// An output written in pieces (rows streamed as they are computed) with the same guarantees: nothing is
    /// visible at the destination until `commit`, and `abandon` (or a failure) leaves the destination as it was.
    package final class Writer {
        let path: String
        let target: String
        let temporary: String
        let mode: mode_t?
        var descriptor: Int32
        var finished = false

        /// Checks the destination (regular file or new path; links resolved) and opens the temporary file.
        package init(path: String) throws {
            guard !path.isEmpty else { throw FileWriteError(path: path, reason: "the path is empty") }
            var target = path
            var info = stat()
            if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                guard let resolved = realpath(path, nil) else {
                    throw FileWriteError(path: path, reason: "it is a symbolic link whose target cannot be resolved (\(SafeFile.reason(errno)))")
                }
                target = String(cString: resolved)
                free(resolved)
            }
            var mode: mode_t?
            if stat(target, &info) == 0 {
                switch info.st_mode & S_IFMT {
                case S_IFREG: mode = info.st_mode & 0o7777
                case S_IFDIR: throw FileWriteError(path: path, reason: "it is a directory")
                default: throw FileWriteError(path: path, reason: "it is not a regular file (a device, FIFO or socket), so it is not replaced")
                }
            } else if errno != ENOENT {
                throw FileWriteError(path: path, reason: SafeFile.reason(errno))
            }
            let url = URL(fileURLWithPath: target)
            let temporary = url.deletingLastPathComponent()
                .appendingPathComponent(".\(url.lastPathComponent).sdscm-\(getpid())-\(UUID().uuidString.prefix(8))").path
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ?? 0o666)
            guard descriptor >= 0 else { throw FileWriteError(path: path, reason: SafeFile.reason(errno)) }
            self.path = path
            self.target = target
            self.temporary = temporary
            self.mode = mode
            self.descriptor = descriptor
        }

        /// Appends `data` to the temporary file.
        package func append(_ data: Data) throws {
            var failure: Int32 = 0
            data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < bytes.count {
                    let written = SafeFile.systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    offset += written
                }
            }
            if failure != 0 { throw fail(failure) }
        }

        /// Flushes the temporary file and renames it over the destination (keeping an existing file's mode).
        package func commit() throws {
            if let mode, fchmod(descriptor, mode) != 0 { throw fail(errno) }
            if fsync(descriptor) != 0 { throw fail(errno) }
            let closed = close(descriptor)
            descriptor = -1
            guard closed == 0 else { throw fail(errno) }
            guard rename(temporary, target) == 0 else { throw fail(errno) }
            finished = true
        }

        /// Removes the temporary file; the destination is untouched.
        package func abandon() {
            guard !finished else { return }
            if descriptor >= 0 { close(descriptor); descriptor = -1 }
            unlink(temporary)
            finished = true
        }

        func fail(_ code: Int32) -> FileWriteError {
            abandon()
            return FileWriteError(path: path, reason: SafeFile.reason(code))
        }

        deinit { abandon() }
    }

    /// Creates `url` and its parents if needed; a failure names the folder and the system's reason instead of
    /// Foundation's "error 512".
    package static func createFolder(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw FileWriteError(path: url.path, reason: "it exists and is not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            let reason = underlying.map { String(cString: strerror(Int32($0.code))) } ?? "the folder cannot be created"
            throw FileWriteError(path: url.path, reason: reason)
        }
    }

    /// Whether two paths name the same existing file (device and inode, through symbolic links).
    package static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    static func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(descriptor, bytes, count)
        #else
        return Darwin.write(descriptor, bytes, count)
        #endif
    }
}

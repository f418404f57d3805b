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
        guard !path.isEmpty else { throw FileWriteError(path: path, reason: "the path is empty") }
        var target = path
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            guard let resolved = realpath(path, nil) else {
                throw FileWriteError(path: path, reason: "it is a symbolic link whose target cannot be resolved (\(reason(errno)))")
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
            throw FileWriteError(path: path, reason: reason(errno))
        }
        let url = URL(fileURLWithPath: target)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).sdscm-\(getpid())-\(UUID().uuidString.prefix(8))").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ?? 0o666)
        guard descriptor >= 0 else { throw FileWriteError(path: path, reason: reason(errno)) }
        func fail(_ code: Int32) -> FileWriteError {
            close(descriptor)
            unlink(temporary)
            return FileWriteError(path: path, reason: reason(code))
        }
        var failure: Int32 = 0
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure != 0 { throw fail(failure) }
        // An existing file keeps its exact mode (the umask applied at creation may have cleared bits).
        if let mode, fchmod(descriptor, mode) != 0 { throw fail(errno) }
        if fsync(descriptor) != 0 { throw fail(errno) }
        guard close(descriptor) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileWriteError(path: path, reason: reason(code))
        }
        guard rename(temporary, target) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileWriteError(path: path, reason: reason(code))
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

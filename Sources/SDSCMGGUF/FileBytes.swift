#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Immutable bytes of a GGUF file: either a read-only memory mapping of the file or an owned copy.
///
/// Mapping is the normal path: a 100 MB model costs only the pages that are actually touched, so opening a model
/// and reading its header does not grow the resident set by the file size. The owned copy exists for in-memory
/// parsing (tests, fuzzing, bytes received from elsewhere).
///
/// The storage never changes after `init`, which is why sharing it across threads is sound.
package final class FileBytes: @unchecked Sendable {
    /// Start of the bytes; stable for the lifetime of this object.
    package let base: UnsafeRawPointer
    /// Number of readable bytes.
    package let count: Int
    private let release: Release

    private enum Release {
        case unmap(length: Int)
        case deallocate
    }

    /// Maps `path` read-only. Throws `GGUFError.fileUnreadable` naming the path and the system's reason.
    package init(mapping path: String) throws {
        #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
        // Non-blocking: opening a FIFO for reading would otherwise wait for a writer forever; the type check below
        // then refuses it (for a regular file the flag changes nothing).
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { throw GGUFError.fileUnreadable(path: path, reason: FileBytes.systemError()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw GGUFError.fileUnreadable(path: path, reason: FileBytes.systemError())
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError.fileUnreadable(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            // mmap rejects zero lengths; an empty file is still a (truncated) GGUF input, so parse it as such.
            base = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16))
            count = 0
            release = .deallocate
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw GGUFError.fileUnreadable(path: path, reason: "mmap failed: " + FileBytes.systemError())
        }
        base = UnsafeRawPointer(mapped)
        count = size
        release = .unmap(length: size)
        #else
        throw GGUFError.fileUnreadable(path: path, reason: "memory mapping is not available on this platform")
        #endif
    }

    /// Copies `bytes` into storage owned by this object.
    package init(copying bytes: [UInt8]) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { source in
            if let address = source.baseAddress { memory.copyMemory(from: address, byteCount: source.count) }
        }
        base = UnsafeRawPointer(memory)
        count = bytes.count
        release = .deallocate
    }

    deinit {
        switch release {
        case .unmap(let length):
            #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
            munmap(UnsafeMutableRawPointer(mutating: base), length)
            #endif
        case .deallocate:
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    /// The bytes in `range`, which the caller has already validated against `count`.
    package func buffer(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "validated range escaped the file")
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    private static func systemError() -> String {
        String(cString: strerror(errno))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Musl)
private let systemWrite = Musl.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// Where a command writes: the process's stdout/stderr, or buffers in tests.
public final class CommandIO: @unchecked Sendable {
    private let outSink: (String) -> Void
    private let errorSink: (String) -> Void

    /// Writes to the process's standard output and standard error.
    public static func standard() -> CommandIO {
        CommandIO(out: { writeAll($0, to: 1) }, error: { writeAll($0, to: 2) })
    }

    /// Writes every byte of `text` to the file descriptor, retrying short and interrupted writes.
    private static func writeAll(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)
        var written = 0
        bytes.withUnsafeMutableBytes { buffer in
            while written < buffer.count {
                let result = systemWrite(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result > 0 {
                    written += result
                } else if result < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// Custom destinations (tests capture into strings).
    public init(out: @escaping (String) -> Void, error: @escaping (String) -> Void) {
        outSink = out
        errorSink = error
    }

    /// Writes `text` and a newline to standard output.
    public func print(_ text: String = "") { outSink(text + "\n") }

    /// Writes `text` to standard output as is (streamed generation output).
    public func write(_ text: String) { outSink(text) }

    /// Writes `text` to standard error as is (progress bars).
    public func writeError(_ text: String) { errorSink(text) }

    /// Writes `text` and a newline to standard error.
    public func printError(_ text: String) { errorSink(text + "\n") }
}

extension Sequence {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

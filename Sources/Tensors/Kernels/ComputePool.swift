import Dispatch

/// Runs work on a fixed number of threads.
///
/// Kernels split their outputs into one contiguous range per thread and every output is computed by exactly
/// one thread with the same code, so results are bit-identical whatever the thread count.
public struct ComputePool: Sendable {
    /// Number of threads used (at least 1).
    public let threads: Int

    /// A pool of `threads` threads; nil means one per active processor.
    public init(threads: Int? = nil) {
        self.threads = max(1, threads ?? ProcessInfoShim.activeProcessorCount)
    }

    /// Calls `body(part)` for `part` in `0..<parts`, on up to `threads` threads, and returns when all finished.
    @inlinable
    public func run(parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 || threads == 1 {
            for part in 0..<parts { body(part) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in box.value(part) }
        }
    }

    /// Splits `0..<count` into at most `threads` contiguous ranges whose bounds are multiples of `alignment`.
    public func ranges(_ count: Int, alignment: Int = 1) -> [Range<Int>] {
        let units = (count + alignment - 1) / alignment
        let parts = max(1, min(threads, units))
        return (0..<parts).map { part in
            let start = min(count, units * part / parts * alignment)
            let end = min(count, units * (part + 1) / parts * alignment)
            return start..<end
        }
    }
}

/// Wraps a value the compiler cannot prove `Sendable` but that the caller shares safely (kernels write disjoint
/// ranges of one output buffer).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    @inlinable public init(_ value: Value) { self.value = value }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of online processors, without Foundation.
public enum ProcessInfoShim {
    public static var activeProcessorCount: Int {
        #if canImport(Glibc) || canImport(Darwin)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }
}

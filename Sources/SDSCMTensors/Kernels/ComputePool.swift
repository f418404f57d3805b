import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs work on a fixed number of threads.
///
/// Kernels split their outputs into one contiguous range per thread and every output is computed by exactly
/// one thread with the same code, so results are bit-identical whatever the thread count.
///
/// Decoding one token runs about two hundred small matmuls; dispatching each through
/// `DispatchQueue.concurrentPerform` cost around 50 µs, more than the matmul itself. So pools with several
/// threads keep persistent workers that spin briefly on an atomic generation counter before parking, and a
/// dispatch costs about a microsecond.
package struct ComputePool: Sendable {
    /// Number of threads used (at least 1).
    package let threads: Int
    private let workers: WorkerPool?

    /// A pool of `threads` threads; nil means one per active processor. Pools with the same thread count share
    /// their worker threads.
    package init(threads: Int? = nil) {
        let count = max(1, threads ?? ProcessInfoShim.activeProcessorCount)
        self.threads = count
        workers = count > 1 ? WorkerPool.shared(threads: count) : nil
    }

    /// Calls `body(part)` for `part` in `0..<parts`, on up to `threads` threads, and returns when all finished.
    package func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, let workers else {
            for part in 0..<parts { body(part) }
            return
        }
        withoutActuallyEscaping(body) { body in workers.run(parts: parts, body) }
    }

    /// Splits `0..<count` into at most `threads · perThread` contiguous ranges whose bounds are multiples of
    /// `alignment`. More parts than threads let a thread that woke late or ran slower take fewer of them (parts
    /// are handed out one at a time), instead of the others spinning at the barrier.
    package func ranges(_ count: Int, alignment: Int = 1, perThread: Int = 1) -> [Range<Int>] {
        let units = (count + alignment - 1) / alignment
        let parts = max(1, min(threads * perThread, units))
        return (0..<parts).map { part in
            let start = min(count, units * part / parts * alignment)
            let end = min(count, units * (part + 1) / parts * alignment)
            return start..<end
        }
    }
}

/// Persistent worker threads that execute one job at a time, in parts.
final class WorkerPool: @unchecked Sendable {
    private static let pools = Mutex<[Int: WorkerPool]>([:])

    static func shared(threads: Int) -> WorkerPool {
        pools.withLock { pools in
            if let pool = pools[threads] { return pool }
            let pool = WorkerPool(threads: threads)
            pools[threads] = pool
            return pool
        }
    }

    private let threadCount: Int
    /// Incremented for every job; workers compare it with the last one they ran.
    private let generation = Atomic<Int>(0)
    /// The next unclaimed part of the current job.
    private let nextPart = Atomic<Int>(0)
    /// Workers that have finished with the current job. The caller waits for all of them before returning, so
    /// no worker can still be looking at a job when the next one is written.
    private let acknowledged = Atomic<Int>(0)
    /// Workers parked on the condition variable.
    private let sleepers = Atomic<Int>(0)
    /// Serializes callers: one job at a time.
    private let callerLock = Mutex<Void>(())
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    // The job, published by the release increment of `generation` and read after an acquiring load.
    private nonisolated(unsafe) var job: ((Int) -> Void)?
    private nonisolated(unsafe) var parts = 0

    private init(threads: Int) {
        threadCount = threads
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for _ in 1..<threads {
            let context = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            #if canImport(Glibc)
            pthread_create(&thread, nil, { context in
                Unmanaged<WorkerPool>.fromOpaque(context!).takeRetainedValue().workerLoop()
                return nil
            }, context)
            #else
            pthread_create(&thread, nil, { context in
                Unmanaged<WorkerPool>.fromOpaque(context).takeRetainedValue().workerLoop()
                return nil
            }, context)
            #endif
            pthread_detach(thread)
        }
    }

    func run(parts count: Int, _ body: @escaping (Int) -> Void) {
        callerLock.withLock { _ in
            job = body
            parts = count
            nextPart.store(0, ordering: .relaxed)
            acknowledged.store(0, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            if sleepers.load(ordering: .acquiring) > 0 {
                pthread_mutex_lock(&mutex)
                pthread_cond_broadcast(&condition)
                pthread_mutex_unlock(&mutex)
            }
            work()
            while acknowledged.load(ordering: .acquiring) < threadCount - 1 { spinPause() }
            job = nil
        }
    }

    /// Claims and runs parts of the current job until none are left.
    private func work() {
        guard let body = job else { return }
        while true {
            let part = nextPart.add(1, ordering: .relaxed).oldValue
            guard part < parts else { return }
            body(part)
        }
    }

    private func workerLoop() {
        // Generation 0 is "no job yet": reading the counter here instead could skip a job published before this
        // thread started, and the caller would wait forever for its acknowledgement.
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < 20_000 {
                    spinPause()
                    continue
                }
                // Park until the next job.
                pthread_mutex_lock(&mutex)
                sleepers.add(1, ordering: .releasing)
                while generation.load(ordering: .acquiring) == seen {
                    pthread_cond_wait(&condition, &mutex)
                }
                sleepers.subtract(1, ordering: .releasing)
                pthread_mutex_unlock(&mutex)
            }
            seen = generation.load(ordering: .acquiring)
            work()
            acknowledged.add(1, ordering: .releasing)
        }
    }

    @inline(__always)
    private func spinPause() {
        #if arch(x86_64) || arch(arm64)
        // A short busy wait; `sched_yield` would hand the core to another process for a whole time slice.
        for _ in 0..<16 { _ = generation.load(ordering: .relaxed) }
        #endif
    }
}

/// The number of online processors, without Foundation.
package enum ProcessInfoShim {
    package static var activeProcessorCount: Int {
        #if canImport(Glibc) || canImport(Darwin)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }
}

/// Wraps a value the compiler cannot prove `Sendable` but that the caller shares safely (kernels write disjoint
/// ranges of one output buffer).
package struct UncheckedSendable<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}

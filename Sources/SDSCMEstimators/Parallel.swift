import Foundation

/// Work spread over the cores with results in index order, so that fits built in parallel (trees, chains) are the
/// same whatever the thread count.
public enum Parallel {
    /// `[body(0), body(1), …, body(count − 1)]`, evaluated concurrently.
    public static func map<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        let slots = Slots<T>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { slots.set($0, body($0)) }
        return slots.values.map { $0! }
    }

    /// Results filled in by concurrent workers, each at its own index.
    final class Slots<T>: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [T?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ value: T) { lock.lock(); values[index] = value; lock.unlock() }
    }
}

/// Row indices for cross-validation.
enum CrossValidation {
    /// The rows of 0..<count not in `held`, in order: a fold's training rows.
    static func complement(_ held: [Int], _ count: Int) -> [Int] {
        let set = Set(held)
        return (0..<count).filter { !set.contains($0) }
    }
}

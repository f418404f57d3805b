import Synchronization

/// Mechanism outputs by content: with fixed phrasings a variable's distribution depends only on its rendered
/// context (and its parents' values, for equations that read them), so each distinct parent assignment is
/// evaluated once however many units, queries and counterfactual arms need it.
final class MechanismMemo: Sendable {
    /// A variable and what its equation sees.
    struct Key: Hashable, Sendable {
        var variable: Int
        var context: String
        var parentValues: [String]
    }

    private struct State: ~Copyable {
        var entries: [Key: MechanismScores] = [:]
        var lookups = 0
        var insertions = 0
        var greedyText: [GreedyKey: GreedyText] = [:]
    }

    /// A free-text variable generated greedily (temperature 0) after a prompt: its value depends on nothing else.
    struct GreedyKey: Hashable, Sendable {
        var variable: Int
        var prompt: String
    }

    /// A greedy generation's value and tokens.
    struct GreedyText: Sendable {
        var value: String
        var tokens: [Int]
    }

    /// The greedy generation of `key`, if one was stored.
    func greedyText(_ key: GreedyKey) -> GreedyText? { state.withLock { $0.greedyText[key] } }

    /// Stores a greedy generation.
    func storeGreedyText(_ key: GreedyKey, _ text: GreedyText) { state.withLock { $0.greedyText[key] = text } }

    private let state = Mutex(State())

    /// The key of the memoizable mechanism the current task is evaluating (language-model scoring stores its
    /// answer under it as soon as the batch is answered).
    @TaskLocal static var pendingKey: Key?

    /// The stored scores of `key`, counting the lookup unless `counting` is false (an exact query's planning
    /// pass, which a unit-by-unit evaluation would not make).
    func lookup(_ key: Key, counting: Bool = true) -> MechanismScores? {
        state.withLock { state in
            if counting { state.lookups += 1 }
            return state.entries[key]
        }
    }

    /// Whether `key` is stored (not counted as a lookup).
    func contains(_ key: Key) -> Bool { state.withLock { $0.entries[key] != nil } }

    /// Stores `scores` for `key` unless present.
    func insert(_ key: Key, _ scores: MechanismScores) {
        state.withLock { state in
            if state.entries[key] == nil {
                state.entries[key] = scores
                state.insertions += 1
            }
        }
    }

    /// Distinct entries evaluated, and lookups answered without evaluating (every lookup but the first of each
    /// entry: exactly the hits of evaluating units one at a time, however they were batched).
    var counts: (evaluated: Int, hits: Int) {
        state.withLock { ($0.insertions, max(0, $0.lookups - $0.insertions)) }
    }
}

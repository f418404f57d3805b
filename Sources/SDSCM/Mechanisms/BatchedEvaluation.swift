/// Running many units' work together so their language-model scoring shares matrix passes.
///
/// A unit's work (sampling, counterfactual arms, exact queries) asks for mechanisms one at a time, each depending
/// on values drawn before it, so it cannot be scored ahead. Instead every unit of a block runs until it needs a
/// mechanism input that is not memoized; the block's missing inputs are then scored in one batched call, and the
/// units run again, now further. Results are those of running the units one by one, bit for bit: the memo
/// holds the same scores however they were computed, and all randomness is keyed, not drawn in order.
extension CausalModel {
    /// Marker of a unit stopped at a mechanism input that is not memoized yet.
    struct DeferredScoring: Error {}

    /// What the current batched run of one unit found missing, and how many memo lookups it made.
    final class Deferral: @unchecked Sendable {
        var missing: (index: Int, values: [String?])?
        var lookups = 0
    }

    @TaskLocal static var deferral: Deferral?

    /// `body(unit)` for every unit, in `blockSize` blocks whose language-model scoring is batched; results in
    /// the order of `units`. `body` must be repeatable (it is rerun until nothing it needs is missing), so it
    /// must not have side effects before its last model query. Models with free-text variables run unit by
    /// unit (generation is not memoized).
    public func batched<T>(_ units: [Int], blockSize: Int = 32, body: (Int) throws -> T) throws -> [T] {
        guard blockSize > 1, languageModel != nil, !graph.variables.contains(where: \.isText) else {
            return try units.map(body)
        }
        var results: [T] = []
        results.reserveCapacity(units.count)
        var start = 0
        while start < units.count {
            let block = Array(units[start..<min(units.count, start + blockSize)])
            results += try runBlock(block, body: body)
            start += block.count
        }
        return results
    }

    private func runBlock<T>(_ block: [Int], body: (Int) throws -> T) throws -> [T] {
        var results = [T?](repeating: nil, count: block.count)
        var created = [Int](repeating: 0, count: block.count)  // memo entries scored for each unit
        var pending = Array(block.indices)
        while !pending.isEmpty {
            var requests: [(index: Int, values: [String?])] = []
            var owners: [Int] = []
            var still: [Int] = []
            for slot in pending {
                let deferral = Deferral()
                do {
                    let value = try Self.$deferral.withValue(deferral) { try body(block[slot]) }
                    results[slot] = value
                    // Lookups of entries scored for this unit were misses when run unit by unit.
                    let hits = deferral.lookups - created[slot]
                    memo.withLock { $0.counters.cacheHits += max(0, hits) }
                } catch is DeferredScoring {
                    requests.append(deferral.missing!)
                    owners.append(slot)
                    still.append(slot)
                }
            }
            if !requests.isEmpty {
                let added = try prefetch(requests)
                for (owner, isNew) in zip(owners, added) where isNew { created[owner] += 1 }
                if !added.contains(true) {
                    // Nothing new could be scored (cannot happen for language-model mechanisms): finish plainly.
                    for slot in still { results[slot] = try body(block[slot]) }
                    still = []
                }
            }
            pending = still
        }
        return results.map { $0! }
    }
}

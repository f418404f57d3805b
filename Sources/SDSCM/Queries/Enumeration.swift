import Foundation

/// Every joint assignment of some variables with its probability, in τ order: the engine of exact queries.
///
/// Each variable is enumerated by its mechanism (or its intervention, or only its evidence value) given the values
/// above it. Before the depth-first walk, the mechanisms it will need are evaluated level by level, each level's
/// distinct contexts in one batched language-model call; the walk then finds them all memoized.
struct Enumeration {
    let model: CausalModel
    /// Variables to enumerate (their parents must be enumerated or fixed).
    let variables: Set<Int>
    /// Interventions on enumerated variables.
    let interventions: ResolvedInterventions
    /// Variables held at a value (not enumerated; their probability is not counted).
    let fixed: [Int: String]
    /// Enumerated variables restricted to one value (their probability is counted).
    var evidence: [Int: String] = [:]
    /// Most joint assignments allowed.
    let limit: Int

    /// The enumerated variables in τ order.
    var free: [Int] { model.graph.order.filter { variables.contains($0) && fixed[$0] == nil } }

    /// Calls `visit` with every joint assignment of the enumerated variables (value indices by variable) that has
    /// non-zero probability, and that probability.
    func run(_ visit: ([Int: Int], Double) async throws -> Void) async throws {
        let graph = model.graph
        let free = self.free
        var size = 1.0
        for index in free { size *= Double(evidence[index] == nil ? graph.variables[index].values!.count : 1) }
        guard size <= Double(limit) else { throw CausalModelError.enumerationTooLarge(size: size, limit: limit) }
        try await prefetch(free)

        var assignment: [Int: Int] = [:]
        var values = [String?](repeating: nil, count: graph.variables.count)
        for (index, value) in fixed { values[index] = value }
        func recurse(_ depth: Int, _ probability: Double) async throws {
            guard depth < free.count else {
                try await visit(assignment, probability)
                return
            }
            let index = free[depth]
            let domain = graph.variables[index].values!
            let distribution = try await self.distribution(of: index, values: values)
            for (position, logProbability) in distribution.enumerated() where logProbability > -.infinity {
                if let value = evidence[index], domain[position] != value { continue }
                assignment[index] = position
                values[index] = domain[position]
                try await recurse(depth + 1, probability * Foundation.exp(logProbability))
            }
            assignment[index] = nil
            values[index] = nil
        }
        try await recurse(0, 1)
    }

    /// The distribution `index` is enumerated with: its intervention's, or its mechanism's.
    private func distribution(of index: Int, values: [String?], planning: Bool = false) async throws -> [Double] {
        if let intervention = interventions[index] {
            return intervention.logProbabilities(over: model.graph.variables[index].values!)
        }
        return try await model.scores(of: index, values: values, countingLookup: !planning).normalized
    }

    /// Evaluates, one τ level at a time, the mechanisms of every reachable parent assignment of `free`, each level
    /// in one batched call. States keep only the values later variables read, so equal contexts meet.
    private func prefetch(_ free: [Int]) async throws {
        guard model.batcher != nil, !free.isEmpty else { return }
        let graph = model.graph
        var start = [String?](repeating: nil, count: graph.variables.count)
        for (index, value) in fixed { start[index] = value }
        var states: Set<[String?]> = [start]
        for (depth, index) in free.enumerated() {
            if interventions[index] == nil {
                try await model.prefetch(states.map { (index, $0) })
            }
            guard depth + 1 < free.count else { break }
            // Values that a later enumerated variable reads (or that stay fixed).
            var live = Set(fixed.keys)
            for later in free[(depth + 1)...] { live.formUnion(graph.parentIndices[later]) }
            let domain = graph.variables[index].values!
            var next = Set<[String?]>()
            for state in states {
                let distribution = try await self.distribution(of: index, values: state, planning: true)
                for (position, logProbability) in distribution.enumerated() where logProbability > -.infinity {
                    if let value = evidence[index], domain[position] != value { continue }
                    var successor = state
                    successor[index] = domain[position]
                    for variable in successor.indices where !live.contains(variable) { successor[variable] = nil }
                    next.insert(successor)
                }
            }
            states = next
        }
    }
}

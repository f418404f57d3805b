/// d-separation and back-door adjustment on the DAG: which conditional independences every mechanism satisfies,
/// and which covariates an analyst must adjust for to identify an effect from observational data.
extension Graph {
    /// Whether every variable in `x` is d-separated from every variable in `y` given `z` (so `x ⊥ y | z` holds in
    /// every distribution the graph admits, whatever the mechanisms). The sets must be disjoint.
    public func isDSeparated(_ x: Set<String>, from y: Set<String>, given z: Set<String> = []) throws -> Bool {
        let (xs, ys, zs) = (try indices(x), try indices(y), try indices(z))
        try checkDisjoint([x, y, z])
        return Self.reachable(from: xs, given: zs, parents: parentIndices, children: childIndices).isDisjoint(with: ys)
    }

    /// Whether `z` satisfies the back-door criterion for the effect of `treatment` on `outcome`: no variable of `z`
    /// descends from the treatment, and `z` blocks every path between them that starts with an arrow into the
    /// treatment. Then `P(outcome | do(treatment)) = Σ_z P(outcome | treatment, z) P(z)`.
    public func satisfiesBackDoor(_ z: Set<String>, treatment: String, outcome: String) throws -> Bool {
        let (t, y) = try treatmentAndOutcome(treatment, outcome)
        let zs = try indices(z)
        guard !zs.contains(t), !zs.contains(y) else {
            throw CausalModelError.unsupportedQuery("an adjustment set cannot contain the treatment or the outcome")
        }
        return isBackDoorSet(zs, treatment: t, outcome: y, descendants: descendants(of: t))
    }

    /// Every minimal back-door adjustment set for the effect of `treatment` on `outcome` (no proper subset is one),
    /// smallest first, each sorted by declaration order. `observed` limits the candidates (default: every variable);
    /// an empty result means no set of observed variables identifies the effect by adjustment.
    ///
    /// Minimal sets lie among the ancestors of the treatment and the outcome, so only those are searched; more than
    /// `candidateLimit` of them (2^limit subsets) is refused with a typed error.
    public func minimalAdjustmentSets(treatment: String, outcome: String, observed: Set<String>? = nil,
                                      candidateLimit: Int = 20) throws -> [[String]] {
        let (t, y) = try treatmentAndOutcome(treatment, outcome)
        let allowed = try observed.map(indices)
        let descendantsOfT = descendants(of: t)
        let candidates = ancestors(of: t).union(ancestors(of: y)).subtracting(descendantsOfT).subtracting([t, y])
            .filter { allowed?.contains($0) ?? true }.sorted()
        guard candidates.count <= candidateLimit else {
            throw CausalModelError.unsupportedQuery(
                "\(candidates.count) candidate covariates for adjustment, above the limit of \(candidateLimit) (2^n subsets are searched)")
        }
        var found: [Set<Int>] = []
        for size in 0...candidates.count {
            for subset in Self.subsets(of: candidates, size: size) {
                let set = Set(subset)
                guard !found.contains(where: { $0.isSubset(of: set) }) else { continue }
                if isBackDoorSet(set, treatment: t, outcome: y, descendants: descendantsOfT) { found.append(set) }
            }
        }
        return found.map { $0.sorted().map { variables[$0].name } }
    }

    // MARK: Implementation

    private func treatmentAndOutcome(_ treatment: String, _ outcome: String) throws -> (Int, Int) {
        let t = try index(of: treatment), y = try index(of: outcome)
        guard t != y else { throw CausalModelError.unsupportedQuery("the treatment and the outcome are both '\(treatment)'") }
        return (t, y)
    }

    private func isBackDoorSet(_ z: Set<Int>, treatment t: Int, outcome y: Int, descendants: Set<Int>) -> Bool {
        guard z.isDisjoint(with: descendants) else { return false }
        // d-separation of treatment and outcome given z once the treatment's outgoing edges are removed.
        var parents = parentIndices, children = childIndices
        for child in children[t] { parents[child].removeAll { $0 == t } }
        children[t] = []
        return !Self.reachable(from: [t], given: z, parents: parents, children: children).contains(y)
    }

    /// The variables reachable from `sources` by an active trail given `z` (Koller & Friedman, Algorithm 3.1).
    static func reachable(from sources: Set<Int>, given z: Set<Int>, parents: [[Int]], children: [[Int]]) -> Set<Int> {
        // Variables in z or with a descendant in z: colliders there are open.
        var openColliders = z
        var stack = Array(z)
        while let next = stack.popLast() {
            for parent in parents[next] where openColliders.insert(parent).inserted { stack.append(parent) }
        }
        enum Direction: Hashable { case up, down }  // up: reached from a child; down: reached from a parent
        struct Visit: Hashable { var node: Int; var direction: Direction }
        var pending = sources.map { Visit(node: $0, direction: .up) }
        var visited = Set<Visit>()
        var reachable = Set<Int>()
        while let visit = pending.popLast() {
            guard visited.insert(visit).inserted else { continue }
            let n = visit.node
            if !z.contains(n) { reachable.insert(n) }
            switch visit.direction {
            case .up where !z.contains(n):
                pending += parents[n].map { Visit(node: $0, direction: .up) }
                pending += children[n].map { Visit(node: $0, direction: .down) }
            case .up:
                break
            case .down:
                if !z.contains(n) { pending += children[n].map { Visit(node: $0, direction: .down) } }
                if openColliders.contains(n) { pending += parents[n].map { Visit(node: $0, direction: .up) } }
            }
        }
        return reachable
    }

    private func indices(_ names: Set<String>) throws -> Set<Int> {
        Set(try names.map { try index(of: $0) })
    }

    private func checkDisjoint(_ sets: [Set<String>]) throws {
        for (i, a) in sets.enumerated() {
            for b in sets[(i + 1)...] {
                if let shared = a.intersection(b).sorted().first {
                    throw CausalModelError.unsupportedQuery("'\(shared)' is in two of the sets of a d-separation query")
                }
            }
        }
    }

    /// The subsets of `items` with `size` elements, in lexicographic order of positions.
    static func subsets(of items: [Int], size: Int) -> [[Int]] {
        guard size > 0 else { return [[]] }
        guard size <= items.count else { return [] }
        var result: [[Int]] = []
        var chosen: [Int] = []
        func extend(from start: Int) {
            if chosen.count == size { result.append(chosen); return }
            guard start < items.count else { return }
            for position in start..<items.count where items.count - position >= size - chosen.count {
                chosen.append(items[position])
                extend(from: position + 1)
                chosen.removeLast()
            }
        }
        extend(from: 0)
        return result
    }
}

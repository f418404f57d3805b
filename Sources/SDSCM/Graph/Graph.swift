/// The DAG of a sequence-driven SCM: variables in declaration order, their parents, and a topological order τ.
///
/// τ matters beyond acyclicity: a variable's context lists its parents' text in τ order, and language models are
/// sensitive to order. τ is the topological order that, among variables whose parents are all placed, always
/// takes the one declared first; so a graph declared in a valid order keeps exactly that order.
public struct Graph: Sendable {
    /// Variables in declaration order.
    public let variables: [Variable]
    /// Parent indices of each variable, in τ order.
    public let parentIndices: [[Int]]
    /// Children indices of each variable, ascending.
    public let childIndices: [[Int]]
    /// Variable indices in topological order τ.
    public let order: [Int]
    /// Position of each variable in τ.
    public let rank: [Int]
    private let indexByName: [String: Int]

    /// Validates the variables: unique names, known parents, non-empty domains without repeats, at least one
    /// phrasing, sensible text options, and no cycle (the error lists one).
    public init(_ variables: [Variable]) throws {
        var indexByName: [String: Int] = [:]
        for (index, variable) in variables.enumerated() {
            guard indexByName[variable.name] == nil else { throw CausalModelError.duplicateVariable(variable.name) }
            indexByName[variable.name] = index
            switch variable.domain {
            case .categorical(let values):
                guard !values.isEmpty else {
                    throw CausalModelError.invalidDomain(variable: variable.name, reason: "the domain is empty")
                }
                var seen = Set<String>()
                for value in values where !seen.insert(value).inserted {
                    throw CausalModelError.invalidDomain(variable: variable.name, reason: "value '\(value)' is listed twice")
                }
            case .text(let options):
                guard options.maxTokens > 0 else {
                    throw CausalModelError.invalidDomain(variable: variable.name, reason: "max_tokens must be positive")
                }
                guard options.temperature >= 0 && options.temperature.isFinite else {
                    throw CausalModelError.invalidDomain(variable: variable.name, reason: "temperature must be ≥ 0")
                }
                guard options.topK >= 0, options.topP > 0 && options.topP <= 1 else {
                    throw CausalModelError.invalidDomain(variable: variable.name, reason: "top_k must be ≥ 0 and top_p in (0, 1]")
                }
                if options.stop.contains("") {
                    throw CausalModelError.invalidDomain(variable: variable.name, reason: "a stop string is empty")
                }
            }
            guard !variable.phrasings.isEmpty else {
                throw CausalModelError.invalidPhrasing(variable: variable.name, reason: "it has no phrasing")
            }
        }
        var parents: [[Int]] = []
        for variable in variables {
            var seen = Set<Int>()
            var list: [Int] = []
            for parent in variable.parents {
                guard let index = indexByName[parent] else {
                    throw CausalModelError.unknownParent(variable: variable.name, parent: parent)
                }
                if parent == variable.name { throw CausalModelError.cycle([parent, parent]) }
                if seen.insert(index).inserted { list.append(index) }
            }
            parents.append(list)
        }
        // Kahn's algorithm, always taking the earliest-declared ready variable.
        var remaining = parents.map(\.count)
        var children = [[Int]](repeating: [], count: variables.count)
        for (child, list) in parents.enumerated() { for parent in list { children[parent].append(child) } }
        var ready = Set(remaining.indices.filter { remaining[$0] == 0 })
        var order: [Int] = []
        while let next = ready.min() {
            ready.remove(next)
            order.append(next)
            for child in children[next] {
                remaining[child] -= 1
                if remaining[child] == 0 { ready.insert(child) }
            }
        }
        if order.count < variables.count {
            throw CausalModelError.cycle(Self.findCycle(parents: parents, among: Set(remaining.indices.filter { remaining[$0] > 0 }))
                .map { variables[$0].name })
        }
        var rank = [Int](repeating: 0, count: variables.count)
        for (position, index) in order.enumerated() { rank[index] = position }
        self.variables = variables
        self.parentIndices = parents.map { $0.sorted { rank[$0] < rank[$1] } }
        self.childIndices = children.map { $0.sorted() }
        self.order = order
        self.rank = rank
        self.indexByName = indexByName
    }

    /// A cycle through the unplaced variables: walk parent links from one of them until a variable repeats.
    private static func findCycle(parents: [[Int]], among stuck: Set<Int>) -> [Int] {
        var current = stuck.min()!
        var path: [Int] = []
        var position: [Int: Int] = [:]
        while position[current] == nil {
            position[current] = path.count
            path.append(current)
            current = parents[current].filter { stuck.contains($0) }.min()!
        }
        // path from `current`'s first visit is the cycle, walked child → parent; report it parent → child.
        var cycle = Array(Array(path[position[current]!...]).reversed())
        // Start at the earliest-declared variable, so the message does not depend on where the walk began.
        let start = cycle.firstIndex(of: cycle.min()!)!
        cycle = Array(cycle[start...] + cycle[..<start])
        return cycle + [cycle[0]]
    }

    /// The index of the variable called `name`.
    public func index(of name: String) throws -> Int {
        guard let index = indexByName[name] else { throw CausalModelError.unknownVariable(name) }
        return index
    }

    /// The variable called `name`.
    public func variable(named name: String) throws -> Variable { variables[try index(of: name)] }

    /// Indices of all ancestors of `index` (not itself).
    public func ancestors(of index: Int) -> Set<Int> {
        var result = Set<Int>()
        var stack = parentIndices[index]
        while let next = stack.popLast() {
            if result.insert(next).inserted { stack += parentIndices[next] }
        }
        return result
    }

    /// Indices of all descendants of `index` (not itself).
    public func descendants(of index: Int) -> Set<Int> {
        var result = Set<Int>()
        var stack = childIndices[index]
        while let next = stack.popLast() {
            if result.insert(next).inserted { stack += childIndices[next] }
        }
        return result
    }

    /// Descendants of any of `indices` (not the indices themselves unless one descends from another).
    public func descendants(of indices: some Sequence<Int>) -> Set<Int> {
        var result = Set<Int>()
        for index in indices { result.formUnion(descendants(of: index)) }
        return result
    }
}

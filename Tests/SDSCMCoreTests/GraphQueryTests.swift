import Foundation
import SDSCM
import SDSCMTestSupport
import Testing

/// d-separation, back-door adjustment and conditional exact inference, each against a truth computed
/// independently of the code under test: hand derivations, the path definition of d-separation, and exact
/// (conditional / interventional) probabilities of models with random tables.
@Suite struct GraphQueryTests {
    // MARK: Helpers

    /// A DAG as (name, parents) pairs with binary variables "0"/"1".
    typealias Structure = [(name: String, parents: [String])]

    static func graph(_ structure: Structure) throws -> Graph {
        try Graph(structure.map { Variable.categorical($0.name, ["0", "1"], parents: $0.parents) })
    }

    /// A model over `structure` with a full conditional probability table per variable (one row per parent
    /// assignment), each probability drawn uniformly from [0.15, 0.85] by a seeded generator: strictly positive and
    /// generic (no accidental independences).
    static func randomTableModel(_ structure: Structure, seed: UInt64) throws -> CausalModel {
        var random = SeededGenerator(seed: seed)
        var equations: [String: any StructuralEquation] = [:]
        for (name, parents) in structure {
            var rows: [ProbabilityTable.Row] = []
            for assignment in assignments(of: parents) {
                let p = 0.15 + 0.7 * random.nextUnit()
                rows.append(.init(when: assignment, probabilities: ["0": p, "1": 1 - p]))
            }
            equations[name] = ProbabilityTable(rows: rows)
        }
        return try CausalModel(graph: graph(structure), languageModel: nil, equations: equations)
    }

    /// Every assignment of binary values to `names` (one empty assignment for no names).
    static func assignments(of names: [String]) -> [[String: String]] {
        names.reduce([[:]]) { partial, name in
            partial.flatMap { assignment in ["0", "1"].map { value in assignment.merging([name: value]) { $1 } } }
        }
    }

    /// Every subset of `items` with at most `maxSize` elements (order of `items` kept inside each subset).
    static func subsets<T>(of items: [T], maxSize: Int) -> [[T]] {
        var result: [[T]] = [[]]
        for item in items {
            result += result.filter { $0.count < maxSize }.map { $0 + [item] }
        }
        return result
    }

    /// d-separation by its definition: no simple path between a node of `x` and a node of `y` in the skeleton is
    /// active given `z` (every collider on it is in `z` or has a descendant in `z`; no other inner node is in `z`).
    static func dSeparatedByPaths(_ structure: Structure, _ x: Set<String>, _ y: Set<String>, _ z: Set<String>) -> Bool {
        var children: [String: [String]] = [:]
        var parents: [String: Set<String>] = [:]
        for (name, ps) in structure {
            parents[name, default: []].formUnion(ps)
            for p in ps { children[p, default: []].append(name) }
        }
        func descendantsOrSelf(_ node: String) -> Set<String> {
            var result: Set<String> = [node]
            var stack = [node]
            while let next = stack.popLast() {
                for child in children[next] ?? [] where result.insert(child).inserted { stack.append(child) }
            }
            return result
        }
        func neighbours(_ node: String) -> [String] { Array(parents[node] ?? []) + (children[node] ?? []) }
        func active(_ path: [String]) -> Bool {
            for position in path.indices.dropFirst().dropLast() {
                let node = path[position]
                let intoFromLeft = parents[node]?.contains(path[position - 1]) ?? false
                let intoFromRight = parents[node]?.contains(path[position + 1]) ?? false
                if intoFromLeft && intoFromRight {
                    if descendantsOrSelf(node).isDisjoint(with: z) { return false }
                } else if z.contains(node) {
                    return false
                }
            }
            return true
        }
        var found = false
        func extend(_ path: [String]) {
            guard !found else { return }
            let last = path.last!
            if path.count > 1 && y.contains(last) {
                if active(path) { found = true }
                return
            }
            for next in neighbours(last) where !path.contains(next) { extend(path + [next]) }
        }
        for source in x { extend([source]) }
        return !found
    }

    /// `P(names = assignment)` by the chain rule over exact conditionals.
    static func jointProbability(_ assignment: [String: String], order names: [String], exact: ExactInference,
                                 given condition: [String: String] = [:]) async throws -> Double {
        var probability = 1.0
        var evidence = condition
        for name in names {
            probability *= try await exact.distribution(of: name, given: evidence)[assignment[name]!]!
            evidence[name] = assignment[name]!
        }
        return probability
    }

    /// The adjustment formula Σ_s P(outcome | treatment = t, s) P(s) over the binary variables `set`.
    static func adjusted(outcome: String, treatment: String, value t: String, set: [String],
                         exact: ExactInference) async throws -> [Double] {
        var total = [0.0, 0.0]
        for s in assignments(of: set) {
            let weight = try await jointProbability(s, order: set, exact: exact)
            let conditional = try await exact.distribution(of: outcome, given: s.merging([treatment: t]) { $1 })
            for index in 0..<2 { total[index] += weight * conditional.probabilities[index] }
        }
        return total
    }

    static let chain: Structure = [("A", []), ("B", ["A"]), ("C", ["B"])]
    static let fork: Structure = [("A", ["B"]), ("B", []), ("C", ["B"])]
    static let collider: Structure = [("A", []), ("B", ["A", "C"]), ("C", [])]
    static let colliderWithDescendant: Structure = [("A", []), ("B", ["A", "C"]), ("C", []), ("D", ["B"])]
    /// X ← U1 → M ← U2 → Y, X → Y.
    static let mBias: Structure = [("U1", []), ("U2", []), ("X", ["U1"]), ("M", ["U1", "U2"]), ("Y", ["U2", "X"])]
    /// The M-structure without the X → Y edge.
    static let mStructure: Structure = [("U1", []), ("U2", []), ("X", ["U1"]), ("M", ["U1", "U2"]), ("Y", ["U2"])]
    /// Diamond with a tail: A → B, A → C, B → D, C → D, D → E.
    static let diamond: Structure = [("A", []), ("B", ["A"]), ("C", ["A"]), ("D", ["B", "C"]), ("E", ["D"])]
    /// A → T, A → B, B → Y, T → M → Y: the back-door path T ← A → B → Y is blocked by {A} or by {B}.
    static let twoRoutes: Structure = [("A", []), ("T", ["A"]), ("B", ["A"]), ("M", ["T"]), ("Y", ["B", "M"])]
    /// Two confounders Z1, Z2 of T → Y, and W a descendant of T only.
    static let twoConfounders: Structure = [("Z1", []), ("Z2", []), ("T", ["Z1", "Z2"]), ("Y", ["Z1", "Z2", "T"]), ("W", ["T"])]

    // MARK: d-separation

    /// Hand-derived answers on the chain, the fork, the collider (and its descendant) and the M-structure.
    @Test func dSeparationHandDerived() throws {
        let chain = try Self.graph(Self.chain)
        #expect(try chain.isDSeparated(["A"], from: ["C"]) == false)
        #expect(try chain.isDSeparated(["A"], from: ["C"], given: ["B"]) == true)
        #expect(try chain.isDSeparated(["C"], from: ["A"], given: ["B"]) == true)

        let fork = try Self.graph(Self.fork)
        #expect(try fork.isDSeparated(["A"], from: ["C"]) == false)
        #expect(try fork.isDSeparated(["A"], from: ["C"], given: ["B"]) == true)

        let collider = try Self.graph(Self.collider)
        #expect(try collider.isDSeparated(["A"], from: ["C"]) == true)
        #expect(try collider.isDSeparated(["A"], from: ["C"], given: ["B"]) == false)

        let descendant = try Self.graph(Self.colliderWithDescendant)
        #expect(try descendant.isDSeparated(["A"], from: ["C"]) == true)
        #expect(try descendant.isDSeparated(["A"], from: ["C"], given: ["D"]) == false)  // a collider's descendant opens it
        #expect(try descendant.isDSeparated(["A"], from: ["C"], given: ["B", "D"]) == false)
        #expect(try descendant.isDSeparated(["A"], from: ["D"]) == false)
        #expect(try descendant.isDSeparated(["A"], from: ["D"], given: ["B"]) == true)
        #expect(try descendant.isDSeparated(["A", "C"], from: ["D"], given: ["B"]) == true)
        #expect(try descendant.isDSeparated(["A", "C"], from: ["D"]) == false)

        let m = try Self.graph(Self.mStructure)
        #expect(try m.isDSeparated(["X"], from: ["Y"]) == true)
        #expect(try m.isDSeparated(["X"], from: ["Y"], given: ["M"]) == false)  // conditioning on M opens X ← U1 → M ← U2 → Y
        #expect(try m.isDSeparated(["X"], from: ["Y"], given: ["M", "U1"]) == true)
        #expect(try m.isDSeparated(["X"], from: ["Y"], given: ["M", "U2"]) == true)
        #expect(try m.isDSeparated(["U1"], from: ["U2"]) == true)
        #expect(try m.isDSeparated(["U1"], from: ["U2"], given: ["M"]) == false)
        #expect(try m.isDSeparated(["X"], from: ["M"], given: ["U1"]) == true)

        // With the direct edge X → Y nothing separates them.
        let mBias = try Self.graph(Self.mBias)
        for z in Self.subsets(of: ["U1", "U2", "M"], maxSize: 3) {
            #expect(try mBias.isDSeparated(["X"], from: ["Y"], given: Set(z)) == false, "given \(z)")
        }
    }

    /// Against the path definition of d-separation on random DAGs (declared in shuffled order), for every pair and
    /// every conditioning set of up to three other variables, and for pairs of sources.
    @Test func dSeparationMatchesPathDefinition() throws {
        var random = SeededGenerator(seed: 2024)
        var checked = 0, separated = 0
        for _ in 0..<12 {
            let names = (0..<7).map { "v\($0)" }
            var structure: Structure = names.indices.map { j in
                (names[j], names.indices.filter { i in i < j && random.nextUnit() < 0.35 }.map { names[$0] })
            }
            structure.shuffle(using: &random)
            let graph = try Self.graph(structure)
            for (i, x) in names.enumerated() {
                for y in names[(i + 1)...] {
                    for z in Self.subsets(of: names.filter { $0 != x && $0 != y }, maxSize: 3) {
                        let expected = Self.dSeparatedByPaths(structure, [x], [y], Set(z))
                        #expect(try graph.isDSeparated([x], from: [y], given: Set(z)) == expected, "\(structure) \(x) ⊥ \(y) | \(z)")
                        #expect(try graph.isDSeparated([y], from: [x], given: Set(z)) == expected)
                        checked += 1
                        if expected { separated += 1 }
                    }
                }
            }
            // Set-valued sources: {v0, v1} against each other variable.
            for y in names.dropFirst(2) {
                for z in Self.subsets(of: names.filter { !["v0", "v1", y].contains($0) }, maxSize: 2) {
                    let expected = Self.dSeparatedByPaths(structure, ["v0", "v1"], [y], Set(z))
                    #expect(try graph.isDSeparated(["v0", "v1"], from: [y], given: Set(z)) == expected)
                    checked += 1
                }
            }
        }
        #expect(checked == 12 * (21 * 26 + 5 * 11))
        // Both answers occur often, so neither a constant true nor a constant false could pass.
        #expect(separated > 500 && separated < 12 * 21 * 26 - 500, "\(separated) separated")
    }

    /// d-separation against exact conditional independence of models with random tables: for every pair and
    /// every conditioning set of at most two others, P(x | y, z) = P(x | z) for every assignment exactly when the
    /// graph says x ⊥ y | z (and a clear difference otherwise: random tables are faithful).
    @Test(arguments: [(mBias, UInt64(1)), (diamond, UInt64(2)), (twoConfounders, UInt64(3))])
    func dSeparationMatchesConditionalIndependence(structure: Structure, seed: UInt64) async throws {
        let model = try Self.randomTableModel(structure, seed: seed)
        let exact = ExactInference(model: model)
        let names = structure.map(\.name)
        var checked = 0, separated = 0
        for (i, x) in names.enumerated() {
            for y in names[(i + 1)...] {
                for z in Self.subsets(of: names.filter { $0 != x && $0 != y }, maxSize: 2) {
                    let dSeparated = try model.graph.isDSeparated([x], from: [y], given: Set(z))
                    var difference = 0.0
                    for zValues in Self.assignments(of: z) {
                        let marginal = try await exact.distribution(of: x, given: zValues)
                        for yValue in ["0", "1"] {
                            let conditional = try await exact.distribution(of: x, given: zValues.merging([y: yValue]) { $1 })
                            for (a, b) in zip(conditional.probabilities, marginal.probabilities) { difference = max(difference, abs(a - b)) }
                        }
                    }
                    if dSeparated {
                        #expect(difference < 1e-9, "\(x) ⊥ \(y) | \(z): difference \(difference)")
                        separated += 1
                    } else {
                        #expect(difference > 1e-6, "\(x) and \(y) | \(z) d-connected but difference \(difference)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 10 * 7)
        #expect(separated > 0 && separated < checked)
    }

    /// Typed errors: unknown names and overlapping sets.
    @Test func dSeparationErrors() throws {
        let graph = try Self.graph(Self.colliderWithDescendant)
        #expect(throws: CausalModelError.unknownVariable("Q")) { try graph.isDSeparated(["Q"], from: ["A"]) }
        #expect(throws: CausalModelError.unknownVariable("Q")) { try graph.isDSeparated(["A"], from: ["C"], given: ["Q"]) }
        for (x, y, z): (Set<String>, Set<String>, Set<String>) in [(["A"], ["A"], []), (["A"], ["C"], ["C"]), (["A"], ["C"], ["A", "B"])] {
            let error = #expect(throws: CausalModelError.self) { try graph.isDSeparated(x, from: y, given: z) }
            guard case .unsupportedQuery = error else { Issue.record("expected unsupportedQuery, got \(String(describing: error))"); continue }
        }
        #expect(throws: CausalModelError.unknownVariable("Q")) { try graph.satisfiesBackDoor([], treatment: "Q", outcome: "A") }
        #expect(throws: CausalModelError.unknownVariable("Q")) { try graph.satisfiesBackDoor(["Q"], treatment: "A", outcome: "D") }
        #expect(throws: CausalModelError.unknownVariable("Q")) { try graph.minimalAdjustmentSets(treatment: "A", outcome: "Q") }
        #expect(throws: CausalModelError.unknownVariable("Q")) { try graph.minimalAdjustmentSets(treatment: "A", outcome: "D", observed: ["Q"]) }
        let error = #expect(throws: CausalModelError.self) { try graph.satisfiesBackDoor(["A"], treatment: "A", outcome: "D") }
        if case .unsupportedQuery = error {} else { Issue.record("expected unsupportedQuery, got \(String(describing: error))") }
    }

    // MARK: Back-door adjustment

    /// Hand-derived adjustment sets: the confounder triangle, M-bias, a mediator, two confounders, `observed`.
    @Test func backDoorHandDerived() throws {
        let triangle = try Self.graph([("Z", []), ("T", ["Z"]), ("Y", ["Z", "T"])])
        #expect(try triangle.minimalAdjustmentSets(treatment: "T", outcome: "Y") == [["Z"]])
        #expect(try triangle.satisfiesBackDoor([], treatment: "T", outcome: "Y") == false)
        #expect(try triangle.satisfiesBackDoor(["Z"], treatment: "T", outcome: "Y") == true)
        #expect(try triangle.minimalAdjustmentSets(treatment: "T", outcome: "Y", observed: []) == [])
        #expect(try triangle.minimalAdjustmentSets(treatment: "T", outcome: "Y", observed: ["Y"]) == [])

        let mBias = try Self.graph(Self.mBias)
        #expect(try mBias.minimalAdjustmentSets(treatment: "X", outcome: "Y") == [[]])
        #expect(try mBias.satisfiesBackDoor([], treatment: "X", outcome: "Y") == true)
        #expect(try mBias.satisfiesBackDoor(["M"], treatment: "X", outcome: "Y") == false)
        #expect(try mBias.satisfiesBackDoor(["M", "U1"], treatment: "X", outcome: "Y") == true)
        #expect(try mBias.satisfiesBackDoor(["M", "U2"], treatment: "X", outcome: "Y") == true)

        // Z → T, Z → Y, T → M → Y: M is on the causal path, so only {Z} (never anything with M).
        let mediated = try Self.graph([("Z", []), ("T", ["Z"]), ("M", ["T"]), ("Y", ["M", "Z"])])
        #expect(try mediated.minimalAdjustmentSets(treatment: "T", outcome: "Y") == [["Z"]])
        #expect(try mediated.satisfiesBackDoor(["Z", "M"], treatment: "T", outcome: "Y") == false)
        #expect(try mediated.satisfiesBackDoor(["M"], treatment: "T", outcome: "Y") == false)

        let twoRoutes = try Self.graph(Self.twoRoutes)
        #expect(try twoRoutes.minimalAdjustmentSets(treatment: "T", outcome: "Y") == [["A"], ["B"]])
        #expect(try twoRoutes.minimalAdjustmentSets(treatment: "T", outcome: "Y", observed: ["B", "M"]) == [["B"]])

        let confounders = try Self.graph(Self.twoConfounders)
        #expect(try confounders.minimalAdjustmentSets(treatment: "T", outcome: "Y") == [["Z1", "Z2"]])
        #expect(try confounders.satisfiesBackDoor(["Z1"], treatment: "T", outcome: "Y") == false)
        #expect(try confounders.satisfiesBackDoor(["Z1", "Z2", "W"], treatment: "T", outcome: "Y") == false)  // W descends from T
        #expect(try confounders.minimalAdjustmentSets(treatment: "T", outcome: "Y", observed: ["Z1", "W"]) == [])
    }

    /// The back-door criterion against the adjustment formula in models with random tables: for every set S of
    /// non-descendants of the treatment, Σ_s P(y | t, s) P(s) equals P(y | do(t)) (within 1e-9) exactly when S is
    /// a back-door set (for such sets the back-door and adjustment criteria coincide; random tables are generic),
    /// and the minimal adjustment sets are the inclusion-minimal sets that pass. Sets with a mediator fail it.
    @Test(arguments: [(mBias, "X", "Y", UInt64(11)), (twoRoutes, "T", "Y", UInt64(12)), (twoConfounders, "T", "Y", UInt64(13)),
                      (diamond, "B", "E", UInt64(14)), (diamond, "B", "D", UInt64(15))])
    func backDoorMatchesAdjustmentFormula(structure: Structure, treatment: String, outcome: String, seed: UInt64) async throws {
        let model = try Self.randomTableModel(structure, seed: seed)
        let graph = model.graph
        let exact = ExactInference(model: model)
        let descendants = Set(graph.descendants(of: try graph.index(of: treatment)).map { graph.variables[$0].name })
        let others = structure.map(\.name).filter { $0 != treatment && $0 != outcome }
        var truth: [Double] = []
        for t in ["0", "1"] { truth += try await exact.distribution(of: outcome, interventions: [treatment: .value(t)]).probabilities }

        func difference(_ set: [String]) async throws -> Double {
            var formula: [Double] = []
            for t in ["0", "1"] { formula += try await Self.adjusted(outcome: outcome, treatment: treatment, value: t, set: set, exact: exact) }
            return zip(formula, truth).map { abs($0 - $1) }.max()!
        }

        var valid: [Set<String>] = []
        var checked = 0
        for set in Self.subsets(of: others.filter { !descendants.contains($0) }, maxSize: others.count) {
            let backDoor = try graph.satisfiesBackDoor(Set(set), treatment: treatment, outcome: outcome)
            let gap = try await difference(set)
            if backDoor {
                #expect(gap < 1e-9, "\(set): adjustment differs from do() by \(gap)")
                valid.append(Set(set))
            } else {
                #expect(gap > 1e-6, "\(set) is not a back-door set, yet adjustment matches do() (gap \(gap))")
            }
            checked += 1
        }
        #expect(checked >= 4)
        #expect(!valid.isEmpty && valid.count < checked, "both valid and invalid sets are checked")
        let minimal = valid.filter { set in !valid.contains { $0 != set && $0.isSubset(of: set) } }
        let found = try graph.minimalAdjustmentSets(treatment: treatment, outcome: outcome)
        #expect(Set(found.map(Set.init)) == Set(minimal), "\(found) vs \(minimal)")
        #expect(!found.isEmpty)
        #expect(found.count == Set(found.map(Set.init)).count)

        // Sets with a descendant of the treatment on a causal path (a mediator) are refused and do not adjust.
        let outcomeAncestors = Set(graph.ancestors(of: try graph.index(of: outcome)).map { graph.variables[$0].name })
        for mediator in descendants.sorted() where outcomeAncestors.contains(mediator) {
            for set in found {
                #expect(try graph.satisfiesBackDoor(Set(set + [mediator]), treatment: treatment, outcome: outcome) == false)
                let gap = try await difference(set + [mediator])
                #expect(gap > 1e-6, "adjusting for mediator \(mediator) with \(set): gap \(gap)")
            }
        }
    }

    /// On M-bias specifically: {} and {M, U1} adjust correctly, {M} does not (numbers, not only the criterion).
    @Test func mBiasAdjustmentNumbers() async throws {
        let exact = ExactInference(model: try Self.randomTableModel(Self.mBias, seed: 99))
        for t in ["0", "1"] {
            let truth = try await exact.distribution(of: "Y", interventions: ["X": .value(t)]).probabilities
            let none = try await Self.adjusted(outcome: "Y", treatment: "X", value: t, set: [], exact: exact)
            let both = try await Self.adjusted(outcome: "Y", treatment: "X", value: t, set: ["M", "U1"], exact: exact)
            let m = try await Self.adjusted(outcome: "Y", treatment: "X", value: t, set: ["M"], exact: exact)
            #expect(abs(none[0] - truth[0]) < 1e-9 && abs(both[0] - truth[0]) < 1e-9)
            #expect(abs(m[0] - truth[0]) > 1e-6)
        }
    }

    // MARK: Conditional and interventional exact inference

    /// A → B, (A, B) → C with known tables; zero entries for the impossible-evidence checks.
    static func handModel() throws -> CausalModel {
        let graph = try Graph([
            .categorical("A", ["a0", "a1"]),
            .categorical("B", ["b0", "b1", "b2"], parents: ["A"]),
            .categorical("C", ["c0", "c1"], parents: ["A", "B"]),
        ])
        return try CausalModel(graph: graph, languageModel: nil, equations: [
            "A": ProbabilityTable(probabilities: ["a0": 0.3, "a1": 0.7]),
            "B": ProbabilityTable(rows: [
                .init(when: ["A": "a0"], probabilities: ["b0": 0.5, "b1": 0.5, "b2": 0]),
                .init(when: ["A": "a1"], probabilities: ["b0": 0.2, "b1": 0.3, "b2": 0.5]),
            ]),
            "C": ProbabilityTable(rows: [
                .init(when: ["A": "a0", "B": "b0"], probabilities: ["c0": 0.9, "c1": 0.1]),
                .init(when: ["A": "a0", "B": "b1"], probabilities: ["c0": 0.4, "c1": 0.6]),
                .init(when: ["A": "a0", "B": "b2"], probabilities: ["c0": 0.5, "c1": 0.5]),
                .init(when: ["A": "a1", "B": "b0"], probabilities: ["c0": 0.7, "c1": 0.3]),
                .init(when: ["A": "a1", "B": "b1"], probabilities: ["c0": 0.2, "c1": 0.8]),
                .init(when: ["A": "a1", "B": "b2"], probabilities: ["c0": 0.1, "c1": 0.9]),
            ]),
        ])
    }

    static func close(_ actual: [Double], _ expected: [Double]) -> Bool {
        actual.count == expected.count && zip(actual, expected).allSatisfy { abs($0 - $1) < 1e-12 }
    }

    /// Conditional, interventional and mixed queries against Bayes' rule worked out from the tables.
    @Test func conditionalDistributionsByHand() async throws {
        let exact = ExactInference(model: try Self.handModel())
        let pA = ["a0": 0.3, "a1": 0.7]
        let pB = ["a0": ["b0": 0.5, "b1": 0.5, "b2": 0.0], "a1": ["b0": 0.2, "b1": 0.3, "b2": 0.5]]
        let pC0 = ["a0": ["b0": 0.9, "b1": 0.4, "b2": 0.5], "a1": ["b0": 0.7, "b1": 0.2, "b2": 0.1]]
        let bs = ["b0", "b1", "b2"]

        // P(A | C = c0) ∝ P(A) Σ_b P(b | A) P(c0 | A, b):
        // a0: 0.3 (0.5·0.9 + 0.5·0.4) = 0.195; a1: 0.7 (0.2·0.7 + 0.3·0.2 + 0.5·0.1) = 0.175.
        let joint = ["a0", "a1"].map { a in pA[a]! * bs.map { pB[a]![$0]! * pC0[a]![$0]! }.reduce(0, +) }
        #expect(Self.close(joint, [0.195, 0.175]))
        let aGivenC0 = try await exact.distribution(of: "A", given: ["C": "c0"])
        #expect(aGivenC0.values == ["a0", "a1"])
        #expect(Self.close(aGivenC0.probabilities, [0.195 / 0.37, 0.175 / 0.37]))

        // P(B | C = c1) ∝ Σ_a P(a) P(B | a) P(c1 | a, B).
        let bJoint = bs.map { b in ["a0", "a1"].map { a in pA[a]! * pB[a]![b]! * (1 - pC0[a]![b]!) }.reduce(0, +) }
        let bGivenC1 = try await exact.distribution(of: "B", given: ["C": "c1"])
        #expect(Self.close(bGivenC1.probabilities, bJoint.map { $0 / bJoint.reduce(0, +) }))

        // Evidence on the target's ancestor and descendant: P(B | A = a1, C = c0) ∝ P(B | a1) P(c0 | a1, B).
        let bGivenBoth = bs.map { pB["a1"]![$0]! * pC0["a1"]![$0]! }
        let distribution = try await exact.distribution(of: "B", given: ["A": "a1", "C": "c0"])
        #expect(Self.close(distribution.probabilities, bGivenBoth.map { $0 / bGivenBoth.reduce(0, +) }))

        // P(C | do(B = b2)) = Σ_a P(a) P(C | a, b2) (A keeps its prior; b2 is impossible under a0 observationally).
        let cDoB2 = try await exact.distribution(of: "C", interventions: ["B": .value("b2")])
        #expect(Self.close(cDoB2.probabilities, [0.3 * 0.5 + 0.7 * 0.1, 0.3 * 0.5 + 0.7 * 0.9]))

        // Evidence plus intervention: P(A | do(B = b1), C = c1) ∝ P(A) P(c1 | A, b1): a0 0.3·0.6, a1 0.7·0.8.
        let aMixed = try await exact.distribution(of: "A", given: ["C": "c1"], interventions: ["B": .value("b1")])
        #expect(Self.close(aMixed.probabilities, [0.18 / 0.74, 0.56 / 0.74]))
        // Observationally the same evidence differs (B's dependence on A enters): P(A | B = b1, C = c1).
        let aObserved = try await exact.distribution(of: "A", given: ["B": "b1", "C": "c1"])
        let observed = [0.3 * 0.5 * 0.6, 0.7 * 0.3 * 0.8]
        #expect(Self.close(aObserved.probabilities, observed.map { $0 / observed.reduce(0, +) }))

        // A distributional intervention: P(B | do(A ~ {a0: .25, a1: .75}), C = c0).
        let mixedA = ["a0": 0.25, "a1": 0.75]
        let bUnderMix = bs.map { b in ["a0", "a1"].map { a in mixedA[a]! * pB[a]![b]! * pC0[a]![b]! }.reduce(0, +) }
        let bMix = try await exact.distribution(of: "B", given: ["C": "c0"], interventions: ["A": .distribution(mixedA)])
        #expect(Self.close(bMix.probabilities, bUnderMix.map { $0 / bUnderMix.reduce(0, +) }))

        // Evidence on the target itself is a point mass.
        let point = try await exact.distribution(of: "B", given: ["B": "b1"])
        #expect(point.probabilities == [0, 1, 0])
    }

    /// On a language-model-scored chain (A → B, (A, B) → C, C → D; batched prefetch during enumeration), conditional
    /// and mixed queries equal Bayes' rule over the joint built in the test from the mechanisms' distributions
    /// (asked one context at a time of a separate model instance).
    @Test func conditionalDistributionsOnLanguageModelChain() async throws {
        let mechanisms = try MockModels.chain()
        let exact = ExactInference(model: try MockModels.chain())
        let domains = mechanisms.graph.variables.map { $0.values! }
        let names = ["A", "B", "C", "D"]
        // The joint P(a, b, c, d), and the same with do(A = old) (A's factor replaced by a point mass).
        var joint: [([String: String], Double)] = []
        for a in domains[0] {
            for b in domains[1] {
                for c in domains[2] {
                    for d in domains[3] {
                        let unit = ["A": a, "B": b, "C": c, "D": d]
                        var p = 1.0
                        for name in names { p *= try await mechanisms.distribution(of: name, given: unit)[unit[name]!]! }
                        joint.append((unit, p))
                    }
                }
            }
        }
        #expect(joint.count == 36)
        #expect(abs(joint.map(\.1).reduce(0, +) - 1) < 1e-12)
        func bayes(_ target: String, _ evidence: [String: String], doAOld: Bool = false) async throws -> [Double] {
            let domain = domains[names.firstIndex(of: target)!]
            var totals = [Double](repeating: 0, count: domain.count)
            for (unit, p) in joint where evidence.allSatisfy({ unit[$0.key] == $0.value }) {
                var weight = p
                if doAOld {
                    guard unit["A"] == "old" else { continue }
                    weight /= try await mechanisms.distribution(of: "A", given: [:])["old"]!
                }
                totals[domain.firstIndex(of: unit[target]!)!] += weight
            }
            let mass = totals.reduce(0, +)
            return totals.map { $0 / mass }
        }
        var checked = 0
        for (target, evidence) in [("A", ["D": "good"]), ("B", ["D": "red"]), ("B", ["C": "yes", "D": "bad"]), ("C", ["A": "old", "D": "good"]),
                                   ("A", ["B": "mid", "D": "bad"]), ("D", [:])] {
            let answer = try await exact.distribution(of: target, given: evidence)
            let truth = try await bayes(target, evidence)
            #expect(zip(answer.probabilities, truth).allSatisfy { abs($0 - $1) < 1e-12 }, "\(target) | \(evidence): \(answer) vs \(truth)")
            checked += 1
        }
        for (target, evidence) in [("B", ["D": "good"]), ("D", ["C": "no"]), ("C", [:])] {
            let answer = try await exact.distribution(of: target, given: evidence, interventions: ["A": .value("old")])
            let truth = try await bayes(target, evidence, doAOld: true)
            #expect(zip(answer.probabilities, truth).allSatisfy { abs($0 - $1) < 1e-12 }, "\(target) | do(A=old), \(evidence)")
            checked += 1
        }
        #expect(checked == 9)
    }

    /// Evidence of probability zero, free-text evidence or targets, values outside a domain and unknown names are
    /// typed errors.
    @Test func conditionalDistributionErrors() async throws {
        let exact = ExactInference(model: try Self.handModel())
        for (evidence, interventions): ([String: String], [String: Intervention]) in [
            (["A": "a0", "B": "b2"], [:]),                    // P(b2 | a0) = 0
            (["B": "b2"], ["A": .value("a0")]),              // the same under do(A = a0)
            (["B": "b0"], ["B": .value("b1")]),              // evidence against the intervention
        ] {
            let error = await #expect(throws: CausalModelError.self) {
                try await exact.distribution(of: "C", given: evidence, interventions: interventions)
            }
            guard case .unsupportedQuery(let message) = error else {
                Issue.record("expected unsupportedQuery for \(evidence), got \(String(describing: error))")
                continue
            }
            #expect(message.contains("probability zero"), "\(message)")
        }
        await #expect(throws: CausalModelError.valueOutsideDomain(variable: "B", value: "b9")) {
            try await exact.distribution(of: "C", given: ["B": "b9"])
        }
        await #expect(throws: CausalModelError.valueOutsideDomain(variable: "A", value: "zz")) {
            try await exact.distribution(of: "C", interventions: ["A": .value("zz")])
        }
        await #expect(throws: CausalModelError.unknownVariable("Q")) { try await exact.distribution(of: "C", given: ["Q": "q"]) }
        await #expect(throws: CausalModelError.unknownVariable("Q")) { try await exact.distribution(of: "Q") }

        // A free-text variable (language model needed for it; the categorical ones stay tables).
        let graph = try Graph([
            .categorical("A", ["a0", "a1"]),
            .text("note", .init(maxTokens: 4), parents: ["A"]),
            .categorical("C", ["c0", "c1"], parents: ["note"]),
        ])
        let model = try CausalModel(graph: graph, languageModel: MockModels.hashed(), equations: [
            "A": ProbabilityTable(probabilities: ["a0": 0.5, "a1": 0.5]),
            "C": UniformEquation(),
        ])
        let withText = ExactInference(model: model)
        await #expect(throws: CausalModelError.needsCategorical(variable: "note", query: "evidence")) {
            try await withText.distribution(of: "A", given: ["note": "hello"])
        }
        await #expect(throws: CausalModelError.needsCategorical(variable: "note", query: "a conditional distribution")) {
            try await withText.distribution(of: "note")
        }
        // A categorical target below free text cannot be enumerated either.
        await #expect(throws: CausalModelError.needsCategorical(variable: "note", query: "a conditional distribution")) {
            try await withText.distribution(of: "C")
        }
        // A target and evidence above the text variable are fine.
        let a = try await withText.distribution(of: "A")
        #expect(a.probabilities == [0.5, 0.5])
    }
}

extension SeededGenerator {
    /// Uniform in [0, 1).
    fileprivate mutating func nextUnit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
}

/// Adjustment questions need two different variables.
@Suite struct AdjustmentArgumentTests {
    @Test func treatmentMustDifferFromOutcome() throws {
        let graph = try Graph([.categorical("T", ["a", "b"]), .categorical("Y", ["y", "n"], parents: ["T"])])
        #expect(throws: CausalModelError.unsupportedQuery("the treatment and the outcome are both 'T'")) {
            try graph.minimalAdjustmentSets(treatment: "T", outcome: "T")
        }
        #expect(throws: CausalModelError.unsupportedQuery("the treatment and the outcome are both 'T'")) {
            try graph.satisfiesBackDoor([], treatment: "T", outcome: "T")
        }
        #expect(try graph.minimalAdjustmentSets(treatment: "T", outcome: "Y") == [[]])
    }
}

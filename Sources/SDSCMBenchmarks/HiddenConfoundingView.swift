import Foundation
import SDSCM

/// Why the hidden-confounding view of a dataset was not produced.
public enum HiddenConfoundingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The design marks no covariate exogenous and lists no hidden covariates, so nothing is hidden.
    case noExogenousVariables
    /// Enumerating the hidden variables would exceed the limit.
    case tooLarge(assignments: Double, limit: Int)
    /// A hidden or visible pre-treatment variable is free text (its probability given the hidden variables is
    /// not enumerated).
    case freeText(String)
    /// An exogenous variable descends from the treatment.
    case exogenousDescendant(String)

    /// The reason, as the manifest's `hidden_skipped` records it.
    public var description: String {
        switch self {
        case .noExogenousVariables: return "no covariate is exogenous and the configuration lists no \"hidden\" covariates, so there is nothing to hide"
        case let .tooLarge(assignments, limit):
            return "the hidden variables have \(Int(assignments)) joint assignments, above the limit of \(limit) (each costs about one unit's scoring per distinct visible assignment; --hidden-limit \(Int(assignments)) computes it)"
        case .freeText(let name): return "pre-treatment variable '\(name)' is free text"
        case .exogenousDescendant(let name): return "exogenous variable '\(name)' descends from the treatment"
        }
    }
}

extension BenchmarkSchema {
    /// Hidden assignments the hidden view may enumerate per distinct visible assignment, on average over a
    /// dataset's units, when the user sets no limit: each assignment costs about one unit's scoring (measured on the
    /// paper's design: 330–400 tokens per assignment and visible assignment against 311 per unit), so 32 keeps the
    /// view within about 32 times the dataset's own cost.
    public static let hiddenAssignmentsPerUnit = 32

    /// The hidden-view limit for a dataset of `units` units when the user sets none: the most assignments whose
    /// enumeration stays within `hiddenAssignmentsPerUnit` unit scorings per unit. The enumeration runs once per
    /// distinct visible assignment, and a dataset has at most `min(units, visible assignments)` of them, so the
    /// limit is `32 × units / min(units, visible assignments)`, never below 32: the paper's design (4,608 visible
    /// assignments) keeps 32, a design whose visible covariates take six joint values gets `32 × units / 6`.
    public func automaticHiddenLimit(units: Int) -> Int {
        let budget = Double(Self.hiddenAssignmentsPerUnit) * Double(max(1, units))
        // A free-text covariate has unboundedly many values (the view then refuses it anyway).
        let space = visible.reduce(1.0) { $0 * Double(domains[$1]?.count ?? Int.max) }
        let keys = min(Double(max(1, units)), space)
        return max(Self.hiddenAssignmentsPerUnit, Int(min(budget / keys, Double(Int32.max))))
    }
}

/// The benchmark as an analyst without the hidden covariates (the exogenous ones unless the configuration lists
/// them) sees it: the visible pre-treatment covariates,
/// treatment and outcome, and the exact CATE given the visible covariates,
/// `E[μ_t1(U, x) − μ_t0(U, x) | X = x]`, with the hidden U enumerated under the SD-SCM's own distribution
/// `P(u | x) ∝ Π P(v | parents)` over the pre-treatment variables.
struct HiddenConfoundingView {
    let schema: BenchmarkSchema
    let model: CausalModel
    /// The hidden covariates (the schema's), enumerated in τ order.
    let hidden: [Int]
    /// The variables the hidden view shows (the schema's).
    let visible: [Int]
    let preTreatment: [Int]

    init(schema: BenchmarkSchema, model: CausalModel, limit: Int) throws {
        let graph = model.graph
        let t = schema.treatment
        let descendants = graph.descendants(of: t)
        let exogenous = graph.order.filter { graph.variables[$0].exogenous }
        guard !schema.hidden.isEmpty else { throw HiddenConfoundingError.noExogenousVariables }
        if let bad = exogenous.first(where: { descendants.contains($0) }) {
            throw HiddenConfoundingError.exogenousDescendant(graph.variables[bad].name)
        }
        preTreatment = graph.order.filter { $0 != t && !descendants.contains($0) }
        if let text = preTreatment.first(where: { graph.variables[$0].isText }) {
            throw HiddenConfoundingError.freeText(graph.variables[text].name)
        }
        hidden = graph.order.filter(schema.hidden.contains)
        visible = schema.visible
        let size = hidden.reduce(1.0) { $0 * Double(graph.variables[$1].values!.count) }
        guard size <= Double(limit) else { throw HiddenConfoundingError.tooLarge(assignments: size, limit: limit) }
        self.schema = schema
        self.model = model
    }

    /// The visible covariates of a unit: units that share them share the CATE.
    func key(of factual: SampledUnit) -> [String] {
        visible.map { factual.values[$0] }
    }

    /// A unit's row, with the CATE fields of its visible covariates (see `cateFields(for:contrasts:)`).
    func row(unit: Int, factual: SampledUnit, cate: [String]) -> [String] {
        [String(unit)] + key(of: factual) + [factual.values[schema.treatment], factual.values[schema.outcome]] + cate
    }

    /// How many language-model contexts may be in flight at once while the hidden assignments are enumerated:
    /// the engine's retained prefix caches (48 by default), so that each context still finds its predecessor's
    /// cache. Concurrent assignments beyond that were measured slower (and 13 GB resident for ~900 in flight).
    static let contextBudget = 48

    /// The exact CATE columns given visible covariates `key` (in `visible` order). The hidden assignments are
    /// evaluated `width` at a time (each a task; their scoring batched together), in enumeration order, and
    /// summed in that order, so the result does not depend on `width`.
    func cateFields(for key: [String], contrasts: [(Int, Int)], width: Int = 1) async throws -> [String] {
        let graph = model.graph
        let treatment = graph.variables[schema.treatment]
        let outcome = graph.variables[schema.outcome]
        let exact = ExactInference(model: model)
        var base = [String?](repeating: nil, count: graph.variables.count)
        for (index, value) in zip(visible, key) { base[index] = value }
        // Hidden assignments in τ order, the last hidden variable fastest (the order of a depth-first recursion).
        let domains = hidden.map { graph.variables[$0].values! }
        var assignments: [[String?]] = []
        var digits = [Int](repeating: 0, count: hidden.count)
        while true {
            var values = base
            for (position, index) in hidden.enumerated() { values[index] = domains[position][digits[position]] }
            assignments.append(values)
            var position = hidden.count - 1
            while position >= 0 {
                digits[position] += 1
                if digits[position] < domains[position].count { break }
                digits[position] = 0
                position -= 1
            }
            if position < 0 { break }
        }
        let preTreatment = self.preTreatment, model = self.model, enumerated = assignments
        var totalWeight = 0.0
        var sums = [[Double]](repeating: [Double](repeating: 0, count: 2 * outcome.values!.count), count: contrasts.count)
        var start = 0
        while start < enumerated.count {
            let chunk = Array(start..<min(enumerated.count, start + max(1, width)))
            start = chunk.last! + 1
            let terms = try await model.mapUnits(chunk, width: chunk.count) { row -> (Double, [String: [Double]])? in
                let values = enumerated[row]
                var logWeight = 0.0
                for index in preTreatment {
                    let distribution = try await model.logProbabilities(of: index, values: values)
                    logWeight += distribution[graph.variables[index].values!.firstIndex(of: values[index]!)!]
                    if logWeight == -.infinity { return nil }
                }
                var unitValues: [String: String] = [:]
                for index in preTreatment { unitValues[graph.variables[index].name] = values[index]! }
                let potential = try await exact.potentialOutcomes(treatment: treatment.name, outcome: outcome.name, unitValues: unitValues)
                    .mapValues(\.probabilities)
                return (Foundation.exp(logWeight), potential)
            }
            for case let (weight, potential)? in terms {
                totalWeight += weight
                for (c, (treated, control)) in contrasts.enumerated() {
                    let p1 = potential[treatment.values![treated]]!, p0 = potential[treatment.values![control]]!
                    for (j, (a, b)) in zip(p1, p0).enumerated() {
                        sums[c][j] += weight * (a - b)
                        sums[c][outcome.values!.count + j] += weight * DatasetGenerator.logDifference(a, b)
                    }
                }
            }
        }
        return sums.flatMap { $0.map { DataTable.number($0 / totalWeight) } }
    }
}

extension HiddenConfoundingError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

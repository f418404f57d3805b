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
            return "the hidden variables have \(Int(assignments)) joint assignments, above the limit of \(limit) (each costs about one unit's scoring; raise the hidden limit to compute it)"
        case .freeText(let name): return "pre-treatment variable '\(name)' is free text"
        case .exogenousDescendant(let name): return "exogenous variable '\(name)' descends from the treatment"
        }
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

    /// The exact CATE columns given visible covariates `key` (in `visible` order). The hidden assignments are
    /// visited one after another so that each one's contexts extend the previous one's retained prefix caches
    /// (other keys of the block run alongside); evaluating all of them concurrently was measured slower and about
    /// 13 GB resident on the breast-cancer design, the engine's 48 retained caches serving few of ~900 contexts.
    func cateFields(for key: [String], contrasts: [(Int, Int)]) async throws -> [String] {
        let graph = model.graph
        let treatment = graph.variables[schema.treatment]
        let outcome = graph.variables[schema.outcome]
        let exact = ExactInference(model: model)
        var values = [String?](repeating: nil, count: graph.variables.count)
        for (index, value) in zip(visible, key) { values[index] = value }
        var totalWeight = 0.0
        var sums = [[Double]](repeating: [Double](repeating: 0, count: 2 * outcome.values!.count), count: contrasts.count)
        // Enumerate the hidden assignments in τ order.
        func recurse(_ depth: Int) async throws {
            if depth < hidden.count {
                for value in graph.variables[hidden[depth]].values! {
                    values[hidden[depth]] = value
                    try await recurse(depth + 1)
                }
                values[hidden[depth]] = nil
                return
            }
            var logWeight = 0.0
            for index in preTreatment {
                let distribution = try await model.logProbabilities(of: index, values: values)
                logWeight += distribution[graph.variables[index].values!.firstIndex(of: values[index]!)!]
                if logWeight == -.infinity { return }
            }
            let weight = Foundation.exp(logWeight)
            var unitValues: [String: String] = [:]
            for index in preTreatment { unitValues[graph.variables[index].name] = values[index]! }
            let potential = try await exact.potentialOutcomes(treatment: treatment.name, outcome: outcome.name, unitValues: unitValues)
                .mapValues(\.probabilities)
            totalWeight += weight
            for (c, (treated, control)) in contrasts.enumerated() {
                let p1 = potential[treatment.values![treated]]!, p0 = potential[treatment.values![control]]!
                for (j, (a, b)) in zip(p1, p0).enumerated() {
                    sums[c][j] += weight * (a - b)
                    sums[c][outcome.values!.count + j] += weight * DatasetGenerator.logDifference(a, b)
                }
            }
        }
        try await recurse(0)
        return sums.flatMap { $0.map { DataTable.number($0 / totalWeight) } }
    }
}

extension HiddenConfoundingError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

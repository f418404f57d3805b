import Foundation
import SDSCM

/// Why the hidden-confounding view of a dataset was not produced.
public enum HiddenConfoundingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The design marks no variable exogenous, so nothing is hidden.
    case noExogenousVariables
    /// Enumerating the hidden variables would exceed the limit.
    case tooLarge(assignments: Double, limit: Int)
    /// A hidden or visible pre-treatment variable is free text (its probability given the hidden variables is
    /// not enumerated).
    case freeText(String)
    /// An exogenous variable descends from the treatment.
    case exogenousDescendant(String)

    public var description: String {
        switch self {
        case .noExogenousVariables: return "no variable is exogenous, so there is nothing to hide"
        case let .tooLarge(assignments, limit):
            return "the hidden variables have \(Int(assignments)) joint assignments, above the limit of \(limit) (each costs about one unit's scoring; raise the hidden limit to compute it)"
        case .freeText(let name): return "pre-treatment variable '\(name)' is free text"
        case .exogenousDescendant(let name): return "exogenous variable '\(name)' descends from the treatment"
        }
    }
}

/// The benchmark as an analyst without the exogenous variables sees it: the visible pre-treatment covariates,
/// treatment and outcome, and the exact CATE given the visible covariates,
/// `E[μ_t1(U, x) − μ_t0(U, x) | X = x]`, with the hidden U enumerated under the SD-SCM's own distribution
/// `P(u | x) ∝ Π P(v | parents)` over the pre-treatment variables.
struct HiddenConfoundingView {
    let design: BenchmarkDesign
    let model: CausalModel
    let hidden: [Int]
    let visible: [Int]
    let preTreatment: [Int]
    private let cache = CATECache()

    final class CATECache: @unchecked Sendable {
        var rows: [[String]: [String]] = [:]
    }

    init(design: BenchmarkDesign, model: CausalModel, limit: Int) throws {
        let graph = model.graph
        let t = design.treatmentIndex
        let descendants = graph.descendants(of: t)
        let exogenous = graph.order.filter { graph.variables[$0].exogenous }
        guard !exogenous.isEmpty else { throw HiddenConfoundingError.noExogenousVariables }
        if let bad = exogenous.first(where: { descendants.contains($0) }) {
            throw HiddenConfoundingError.exogenousDescendant(graph.variables[bad].name)
        }
        preTreatment = graph.order.filter { $0 != t && !descendants.contains($0) }
        if let text = preTreatment.first(where: { graph.variables[$0].isText }) {
            throw HiddenConfoundingError.freeText(graph.variables[text].name)
        }
        hidden = exogenous
        visible = preTreatment.filter { !graph.variables[$0].exogenous }
        let size = hidden.reduce(1.0) { $0 * Double(graph.variables[$1].values!.count) }
        guard size <= Double(limit) else { throw HiddenConfoundingError.tooLarge(assignments: size, limit: limit) }
        self.design = design
        self.model = model
    }

    func header(contrasts: [(Int, Int)], suffix: ((Int, Int)) -> String) -> [String] {
        let variables = model.graph.variables
        let outcome = variables[design.outcomeIndex]
        var header = ["unit"] + visible.map { variables[$0].name } + [variables[design.treatmentIndex].name, outcome.name]
        for pair in contrasts {
            header += outcome.values!.map { "CATE P(\(outcome.name)=\($0))" + suffix(pair) }
            header += outcome.values!.map { "CATE logP(\(outcome.name)=\($0))" + suffix(pair) }
        }
        return header
    }

    func row(unit: Int, factual: SampledUnit, contrasts: [(Int, Int)]) throws -> [String] {
        let key = visible.map { factual.values[$0] }
        let prefix = [String(unit)] + key + [factual.values[design.treatmentIndex], factual.values[design.outcomeIndex]]
        if let cached = cache.rows[key] { return prefix + cached }
        let graph = model.graph
        let treatment = graph.variables[design.treatmentIndex]
        let outcome = graph.variables[design.outcomeIndex]
        let exact = ExactInference(model: model)
        var values = [String?](repeating: nil, count: graph.variables.count)
        for index in visible { values[index] = factual.values[index] }
        var totalWeight = 0.0
        var sums = [[Double]](repeating: [Double](repeating: 0, count: 2 * outcome.values!.count), count: contrasts.count)
        // Enumerate the hidden assignments in τ order.
        func recurse(_ depth: Int) throws {
            if depth < hidden.count {
                for value in graph.variables[hidden[depth]].values! {
                    values[hidden[depth]] = value
                    try recurse(depth + 1)
                }
                values[hidden[depth]] = nil
                return
            }
            var logWeight = 0.0
            for index in preTreatment {
                let distribution = try model.logProbabilities(of: index, values: values)
                logWeight += distribution[graph.variables[index].values!.firstIndex(of: values[index]!)!]
                if logWeight == -.infinity { return }
            }
            let weight = Foundation.exp(logWeight)
            var unitValues: [String: String] = [:]
            for index in preTreatment { unitValues[graph.variables[index].name] = values[index]! }
            let potential = try exact.potentialOutcomes(treatment: treatment.name, outcome: outcome.name, unitValues: unitValues)
            totalWeight += weight
            for (c, (treated, control)) in contrasts.enumerated() {
                let p1 = potential[treatment.values![treated]]!, p0 = potential[treatment.values![control]]!
                for (j, (a, b)) in zip(p1, p0).enumerated() {
                    sums[c][j] += weight * (a - b)
                    sums[c][outcome.values!.count + j] += weight * DatasetGenerator.logDifference(a, b)
                }
            }
        }
        try recurse(0)
        let fields = sums.flatMap { $0.map { CSVTable.number($0 / totalWeight) } }
        cache.rows[key] = fields
        return prefix + fields
    }
}

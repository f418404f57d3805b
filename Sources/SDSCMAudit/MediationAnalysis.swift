import Foundation
import SDSCM

/// Natural direct and indirect effects of a treatment on an outcome through a named mediator, from nested
/// counterfactuals under shared noise.
///
/// For a unit u, treated value a1 and control a0: M(a) is the mediator the unit would have under do(A = a), and
/// p(a, m) the probability of outcome value o given the outcome's parents in the unit's replay under
/// do(A = a, M = m). Then NDE_u = p(a1, M(a0)) − p(a0, M(a0)) (change the treatment, hold the mediator where the
/// control put it), NIE_u = p(a1, M(a1)) − p(a1, M(a0)) (hold the treatment, move the mediator), and the total
/// effect TE_u = p(a1, M(a1)) − p(a0, M(a0)) = NDE_u + NIE_u. Shared noise makes the cross-world quantity
/// p(a1, M(a0)) a property of the unit: the mediator's noise is the same in both worlds, which no observational
/// or single-world tool can give.
public struct MediationAnalysis: Sendable {
    /// The causal model.
    public let model: CausalModel
    /// Indices of the treatment, mediator and outcome in the model's graph.
    public let treatment: Int, mediator: Int, outcome: Int
    /// Seed of the units' noise.
    public let seed: UInt64

    /// Why a mediation analysis cannot run.
    public enum MediationError: Error, Equatable, Sendable, CustomStringConvertible {
        case needsCategorical(String)
        case notOnAPath(treatment: String, mediator: String, outcome: String)
        case treatmentInducedConfounding(String)

        /// The message, naming the variable at fault.
        public var description: String {
            switch self {
            case .needsCategorical(let name): return "'\(name)' must be categorical for a mediation analysis"
            case let .notOnAPath(treatment, mediator, outcome):
                return "'\(mediator)' is not on a causal path from '\(treatment)' to '\(outcome)' (it must descend from the treatment and be an ancestor of the outcome)"
            case .treatmentInducedConfounding(let name):
                return "'\(name)' descends from the treatment and is an ancestor of the mediator, so the natural effects are not given by the mediation formula; the exact values are not computed (the sampled ones are)"
            }
        }
    }

    /// One effect decomposition for an outcome value.
    public struct Decomposition: Sendable, Codable, Equatable {
        /// The outcome value whose probability changes.
        public var outcomeValue: String
        /// Total effect, natural direct effect, natural indirect effect (NDE + NIE = total).
        public var total: Double, direct: Double, indirect: Double
        /// Standard errors over units (nil for exact values).
        public var totalSE: Double?, directSE: Double?, indirectSE: Double?

        /// A decomposition from its parts (e.g. pooled over variations).
        public init(outcomeValue: String, total: Double, direct: Double, indirect: Double,
                    totalSE: Double? = nil, directSE: Double? = nil, indirectSE: Double? = nil) {
            self.outcomeValue = outcomeValue
            self.total = total
            self.direct = direct
            self.indirect = indirect
            self.totalSE = totalSE
            self.directSE = directSE
            self.indirectSE = indirectSE
        }
    }

    /// Checks that all three are categorical and the mediator lies on a path from the treatment to the outcome.
    public init(model: CausalModel, treatment: String, mediator: String, outcome: String, seed: UInt64) throws {
        let graph = model.graph
        self.treatment = try graph.index(of: treatment)
        self.mediator = try graph.index(of: mediator)
        self.outcome = try graph.index(of: outcome)
        for index in [self.treatment, self.mediator, self.outcome] where graph.variables[index].values == nil {
            throw MediationError.needsCategorical(graph.variables[index].name)
        }
        guard graph.descendants(of: self.treatment).contains(self.mediator),
              graph.descendants(of: self.mediator).contains(self.outcome) else {
            throw MediationError.notOnAPath(treatment: treatment, mediator: mediator, outcome: outcome)
        }
        self.model = model
        self.seed = seed
    }

    /// Sampled decomposition over units `0..<units` (the same units an audit with this seed samples), `treated`
    /// against `control` (values of the treatment), with per-unit standard errors.
    public func sampled(units: Int, treated: String, control: String) async throws -> [Decomposition] {
        let graph = model.graph
        let sampler = Sampler(model: model, seed: seed)
        let t = graph.variables[treatment].name, m = graph.variables[mediator].name
        let mediator = self.mediator, outcome = self.outcome
        let perUnit = try await model.mapUnits(Array(0..<units)) { unit -> [(Double, Double, Double)] in
            let factual = try await sampler.sample(unit: unit)
            let control0 = try await sampler.counterfactual(of: factual, interventions: [t: .value(control)])
            let treated1 = try await sampler.counterfactual(of: factual, interventions: [t: .value(treated)])
            let crossed = try await sampler.counterfactual(of: factual, interventions: [t: .value(treated), m: .value(control0.values[mediator])])
            let p00 = control0.logProbabilities[outcome]!.map(Foundation.exp)
            let p11 = treated1.logProbabilities[outcome]!.map(Foundation.exp)
            let p10 = crossed.logProbabilities[outcome]!.map(Foundation.exp)
            return p00.indices.map { ((p11[$0] - p00[$0]), (p10[$0] - p00[$0]), (p11[$0] - p10[$0])) }
        }
        return graph.variables[outcome].values!.enumerated().map { o, value in
            let total = Self.meanAndSE(perUnit.map { $0[o].0 })
            let direct = Self.meanAndSE(perUnit.map { $0[o].1 })
            let indirect = Self.meanAndSE(perUnit.map { $0[o].2 })
            return Decomposition(outcomeValue: value, total: total.mean, direct: direct.mean, indirect: indirect.mean,
                                 totalSE: total.se, directSE: direct.se, indirectSE: indirect.se)
        }
    }

    /// Exact decomposition by enumeration (the mediation formula), over the treatment's non-descendants:
    /// NDE = Σ_w P(w) Σ_m P(m | do(a0), w) [P(o | do(a1, m), w) − P(o | do(a0, m), w)] and
    /// NIE = Σ_w P(w) Σ_m [P(m | do(a1), w) − P(m | do(a0), w)] P(o | do(a1, m), w); the total is computed on its
    /// own, P(o | do(a1)) − P(o | do(a0)). Valid (and equal to the shared-noise natural effects) when no descendant
    /// of the treatment is an ancestor of the mediator; otherwise a typed error.
    public func exact(treated: String, control: String, limit: Int = 1_000_000) async throws -> [Decomposition] {
        let graph = model.graph
        let descendants = graph.descendants(of: treatment)
        if let bad = graph.ancestors(of: mediator).sorted().first(where: { descendants.contains($0) && $0 != treatment }) {
            throw MediationError.treatmentInducedConfounding(graph.variables[bad].name)
        }
        let t = graph.variables[treatment].name, m = graph.variables[mediator].name, y = graph.variables[outcome].name
        let exact = ExactInference(model: model, limit: limit)
        let mediatorValues = graph.variables[mediator].values!
        let outcomeCount = graph.variables[outcome].values!.count
        // The treatment's non-descendants that matter: ancestors of the mediator or the outcome.
        let relevant = graph.ancestors(of: mediator).union(graph.ancestors(of: outcome))
        let pre = graph.order.filter { relevant.contains($0) && !descendants.contains($0) && $0 != treatment }
        var direct = [Double](repeating: 0, count: outcomeCount), indirect = direct
        // Enumerate the pre-treatment assignments with their probabilities (their joint does not depend on A).
        var weights: [([String: String], Double)] = [([:], 1)]
        for index in pre {
            let name = graph.variables[index].name
            var next: [([String: String], Double)] = []
            for (assignment, weight) in weights {
                let conditional = try await exact.distribution(of: name, given: assignment)
                for (value, probability) in zip(conditional.values, conditional.probabilities) where probability > 0 {
                    next.append((assignment.merging([name: value]) { $1 }, weight * probability))
                }
            }
            weights = next
            guard weights.count <= limit else { throw CausalModelError.unsupportedQuery("the mediation formula needs more than \(limit) pre-treatment assignments") }
        }
        for (assignment, weight) in weights {
            let m0 = try await exact.distribution(of: m, given: assignment, interventions: [t: .value(control)]).probabilities
            let m1 = try await exact.distribution(of: m, given: assignment, interventions: [t: .value(treated)]).probabilities
            for (k, value) in mediatorValues.enumerated() where m0[k] > 0 || m1[k] > 0 {
                let y1 = try await exact.distribution(of: y, given: assignment, interventions: [t: .value(treated), m: .value(value)]).probabilities
                let y0 = try await exact.distribution(of: y, given: assignment, interventions: [t: .value(control), m: .value(value)]).probabilities
                for o in 0..<outcomeCount {
                    direct[o] += weight * m0[k] * (y1[o] - y0[o])
                    indirect[o] += weight * (m1[k] - m0[k]) * y1[o]
                }
            }
        }
        let doTreated = try await exact.distribution(of: y, interventions: [t: .value(treated)]).probabilities
        let doControl = try await exact.distribution(of: y, interventions: [t: .value(control)]).probabilities
        return graph.variables[outcome].values!.enumerated().map { o, value in
            Decomposition(outcomeValue: value, total: doTreated[o] - doControl[o], direct: direct[o], indirect: indirect[o],
                          totalSE: nil, directSE: nil, indirectSE: nil)
        }
    }

    static func meanAndSE(_ values: [Double]) -> (mean: Double, se: Double) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        guard values.count > 1 else { return (mean, .nan) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (mean, (variance / n).squareRoot())
    }
}

extension MediationAnalysis.MediationError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

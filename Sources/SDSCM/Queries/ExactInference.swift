import Foundation

/// Exact answers by enumeration: marginals, conditional and interventional distributions, average treatment
/// effects and each unit's expected potential outcomes. These are the ground truth samplers and benchmarks are
/// checked against.
///
/// The joint distribution factorizes over the graph, and every categorical mechanism is a memoized table row per
/// parent assignment, so enumerating all joint assignments in τ order costs one language-model scoring per
/// distinct context (each level of the enumeration in one batched call). The enumeration refuses (typed error)
/// when the number of joint assignments exceeds `limit`.
public struct ExactInference: Sendable {
    /// The model queried.
    public let model: CausalModel
    /// Largest number of joint assignments enumerated.
    public let limit: Int

    /// Exact queries on `model`, enumerating at most `limit` joint assignments per query.
    public init(model: CausalModel, limit: Int = 1_000_000) {
        self.model = model
        self.limit = limit
    }

    /// The marginal distribution of every categorical variable (declaration order) under `interventions`
    /// (empty: observational), conditioned on `evidence` when given (true conditioning: the evidence's ancestors
    /// are weighted by the evidence's probability, not set). Free-text variables are skipped if nothing
    /// categorical depends on them; otherwise the query is refused. Evidence of probability zero is a typed error.
    public func marginals(given evidence: [String: String] = [:], interventions: [String: Intervention] = [:]) async throws -> Marginals {
        let graph = model.graph
        let resolved = try ResolvedInterventions(interventions, graph: graph)
        let observed = try Self.resolve(evidence, graph: graph)
        let included = try categoricalClosure(of: Set(graph.variables.indices.filter { !graph.variables[$0].isText }),
                                              query: "exact marginals")
        var totals = [Int: [Double]]()
        for index in included { totals[index] = [Double](repeating: 0, count: graph.variables[index].values!.count) }
        var enumeration = Enumeration(model: model, variables: included, interventions: resolved, fixed: [:], limit: limit)
        enumeration.evidence = observed
        var mass = 0.0
        try await enumeration.run { assignment, probability in
            mass += probability
            for index in included { totals[index]![assignment[index]!] += probability }
        }
        guard mass > 0 else { throw Self.impossible(evidence, interventions) }
        return Marginals(graph.variables.indices.filter { totals[$0] != nil }.map { index in
            Distribution(variable: graph.variables[index].name, values: graph.variables[index].values!,
                         probabilities: observed.isEmpty ? totals[index]! : totals[index]!.map { $0 / mass })
        })
    }

    /// Evidence by variable index, checked: categorical variables, values in their domains.
    static func resolve(_ evidence: [String: String], graph: Graph) throws -> [Int: String] {
        var observed: [Int: String] = [:]
        for (name, value) in evidence {
            let index = try graph.index(of: name)
            guard let values = graph.variables[index].values else {
                throw CausalModelError.needsCategorical(variable: name, query: "evidence")
            }
            guard values.contains(value) else { throw CausalModelError.valueOutsideDomain(variable: name, value: value) }
            observed[index] = value
        }
        return observed
    }

    /// The error for evidence of probability zero.
    static func impossible(_ evidence: [String: String], _ interventions: [String: Intervention]) -> CausalModelError {
        let described = evidence.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return CausalModelError.unsupportedQuery("the evidence (\(described)) has probability zero under \(Intervention.describe(interventions))")
    }

    /// `P(target | do(interventions), evidence)`: the distribution of `target` among the joint assignments (under
    /// the interventions) that agree with the evidence, by enumeration of the target, the evidence and their
    /// ancestors. Evidence of probability zero is a typed error.
    public func distribution(of target: String, given evidence: [String: String] = [:],
                             interventions: [String: Intervention] = [:]) async throws -> Distribution {
        let graph = model.graph
        let targetIndex = try graph.index(of: target)
        guard let domain = graph.variables[targetIndex].values else {
            throw CausalModelError.needsCategorical(variable: target, query: "a conditional distribution")
        }
        let resolved = try ResolvedInterventions(interventions, graph: graph)
        let observed = try Self.resolve(evidence, graph: graph)
        let included = try categoricalClosure(of: Set(observed.keys).union([targetIndex]), query: "a conditional distribution")
        var enumeration = Enumeration(model: model, variables: included, interventions: resolved, fixed: [:], limit: limit)
        enumeration.evidence = observed
        var totals = [Double](repeating: 0, count: domain.count)
        try await enumeration.run { assignment, probability in totals[assignment[targetIndex]!] += probability }
        let mass = totals.reduce(0, +)
        guard mass > 0 else { throw Self.impossible(evidence, interventions) }
        return Distribution(variable: target, values: domain, probabilities: totals.map { $0 / mass })
    }

    /// `P(outcome = value | do(treatment = treated)) − P(outcome = value | do(treatment = control))`.
    public func averageTreatmentEffect(treatment: String, outcome: String, value: String,
                                       treated: String, control: String) async throws -> Double {
        let outcomeIndex = try model.graph.index(of: outcome)
        guard model.graph.variables[outcomeIndex].values?.contains(value) == true else {
            throw CausalModelError.valueOutsideDomain(variable: outcome, value: value)
        }
        let p1 = try await marginals(interventions: [treatment: .value(treated)])[outcome]![value]!
        let p0 = try await marginals(interventions: [treatment: .value(control)])[outcome]![value]!
        return p1 - p0
    }

    /// A unit's expected potential outcomes: for each treatment value t (the keys), the distribution of `outcome`
    /// under do(treatment = t) with every non-descendant of the treatment fixed at the unit's values (mediators are
    /// enumerated). `unitValues` gives every variable's value by name.
    public func potentialOutcomes(treatment: String, outcome: String, unitValues: [String: String]) async throws -> [String: Distribution] {
        let graph = model.graph
        let treatmentIndex = try graph.index(of: treatment)
        let outcomeIndex = try graph.index(of: outcome)
        guard let treatmentValues = graph.variables[treatmentIndex].values else {
            throw CausalModelError.needsCategorical(variable: treatment, query: "potential outcomes")
        }
        guard let outcomeValues = graph.variables[outcomeIndex].values else {
            throw CausalModelError.needsCategorical(variable: outcome, query: "potential outcomes")
        }
        // Only the outcome and the treatment's descendants on a path to it are enumerated; their other parents
        // are the unit's (non-descendant) values.
        let relevant = graph.descendants(of: treatmentIndex)
            .intersection(graph.ancestors(of: outcomeIndex).union([outcomeIndex]))
        guard relevant.contains(outcomeIndex) else {
            throw CausalModelError.unsupportedQuery("'\(outcome)' is not a descendant of '\(treatment)'")
        }
        if let text = relevant.sorted().first(where: { graph.variables[$0].isText }) {
            throw CausalModelError.needsCategorical(variable: graph.variables[text].name, query: "potential outcomes")
        }
        var fixed: [Int: String] = [:]
        for index in relevant {
            for parent in graph.parentIndices[index] where parent != treatmentIndex && !relevant.contains(parent) {
                let name = graph.variables[parent].name
                guard let value = unitValues[name] else { throw CausalModelError.missingObservation(variable: name) }
                if let domain = graph.variables[parent].values, !domain.contains(value) {
                    throw CausalModelError.valueOutsideDomain(variable: name, value: value)
                }
                fixed[parent] = value
            }
        }
        let none = try ResolvedInterventions([:], graph: graph)
        var result: [String: Distribution] = [:]
        for treatmentValue in treatmentValues {
            var totals = [Double](repeating: 0, count: outcomeValues.count)
            var assignment = fixed
            assignment[treatmentIndex] = treatmentValue
            try await Enumeration(model: model, variables: relevant, interventions: none, fixed: assignment, limit: limit).run { full, probability in
                totals[full[outcomeIndex]!] += probability
            }
            result[treatmentValue] = Distribution(variable: outcome, values: outcomeValues, probabilities: totals)
        }
        return result
    }

    /// `variables` plus every ancestor they need, refusing free-text variables among them.
    func categoricalClosure(of variables: Set<Int>, query: String) throws -> Set<Int> {
        var closure = variables
        for index in variables { closure.formUnion(model.graph.ancestors(of: index)) }
        if let text = closure.sorted().first(where: { model.graph.variables[$0].isText }) {
            throw CausalModelError.needsCategorical(variable: model.graph.variables[text].name, query: query)
        }
        return closure
    }
}

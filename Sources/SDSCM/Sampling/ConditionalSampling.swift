import Foundation
import SDSCMRandomness

/// True conditioning: units from `P(V | evidence, do(interventions))`, without rejection.
///
/// The reference's conditional-interventional query sets the evidence by `do()`, which leaves the evidence's
/// ancestors at their prior and so differs from conditioning whenever the evidence has ancestors outside it (a
/// back-door path through them biases everything downstream). Here the ancestors of the evidence (in the graph
/// cut by the interventions) are drawn from their exact posterior given the evidence, by enumeration; every
/// other variable then follows its mechanism, because the joint factorizes and no other mechanism involves the
/// evidence's probability.
extension Sampler {
    /// Unit `unit` of `P(V | evidence, do(interventions))` (see `sample(units:given:interventions:limit:)`).
    public func sample(unit: Int, given evidence: [String: String], interventions: [String: Intervention] = [:],
                       limit: Int = 1_000_000) async throws -> SampledUnit {
        let posterior = try await EvidencePosterior(model: model, evidence: evidence, interventions: interventions, limit: limit)
        return try await sample(unit: unit, posterior: posterior)
    }

    /// Units `units` of `P(V | evidence, do(interventions))`: the evidence's ancestors drawn from their exact
    /// posterior (one enumeration of at most `limit` joint assignments, shared by all units), then every other
    /// variable by its mechanism. Noise is keyed per (unit, variable) as everywhere else: the posterior draw of an
    /// ancestor uses the conditioning stream, the rest the mechanisms' noise. Evidence must be on categorical
    /// variables that are not intervened on; evidence of probability zero is a typed error. The units cannot be
    /// replayed for counterfactuals (their ancestors' values did not come from the mechanisms' noise).
    public func sample(units: Range<Int>, given evidence: [String: String], interventions: [String: Intervention] = [:],
                       limit: Int = 1_000_000) async throws -> [SampledUnit] {
        let posterior = try await EvidencePosterior(model: model, evidence: evidence, interventions: interventions, limit: limit)
        return try await model.mapUnits(Array(units)) { unit in try await sample(unit: unit, posterior: posterior) }
    }

    private func sample(unit: Int, posterior: EvidencePosterior) async throws -> SampledUnit {
        let preset = posterior.draw(unit: unit, noise: noise, graph: model.graph)
        let provenance = Provenance(kind: .conditioned, seed: noise.seed, model: model.fingerprint,
                                    interventions: posterior.description)
        return try await propagate(unit: unit, interventions: posterior.interventions, keep: [], preset: preset,
                                   provenance: provenance) { _ in .prior(.mechanism) }
    }
}

/// The exact joint posterior of the evidence's ancestors given the evidence, under interventions: every joint
/// assignment with its weight, in the enumeration's (τ, depth-first) order.
struct EvidencePosterior: Sendable {
    /// The interventions, resolved.
    let interventions: ResolvedInterventions
    /// The evidence, by variable index.
    let evidence: [Int: String]
    /// The enumerated variables (the evidence and its ancestors in the cut graph), in τ order.
    let variables: [Int]
    /// Value index of each enumerated variable, per joint assignment.
    let assignments: [[Int]]
    /// Each joint assignment's probability (not normalized).
    let weights: [Double]
    /// `do(…) given(…)`, for provenance.
    let description: String

    init(model: CausalModel, evidence byName: [String: String], interventions byNameInterventions: [String: Intervention],
         limit: Int) async throws {
        let graph = model.graph
        let interventions = try ResolvedInterventions(byNameInterventions, graph: graph)
        self.interventions = interventions
        let evidence = try ExactInference.resolve(byName, graph: graph)
        if let both = evidence.keys.sorted().first(where: { interventions[$0] != nil }) {
            throw CausalModelError.unsupportedQuery("'\(graph.variables[both].name)' is both intervened on and given as evidence; condition on it or set it, not both")
        }
        self.evidence = evidence
        // Ancestors in the graph the interventions cut: an intervened variable does not read its parents.
        var closure = Set(evidence.keys)
        var frontier = Array(evidence.keys)
        while let index = frontier.popLast() {
            guard interventions[index] == nil else { continue }
            for parent in graph.parentIndices[index] where closure.insert(parent).inserted { frontier.append(parent) }
        }
        if let text = closure.sorted().first(where: { graph.variables[$0].isText }) {
            throw CausalModelError.needsCategorical(variable: graph.variables[text].name, query: "conditioning on its descendants")
        }
        let variables = graph.order.filter { closure.contains($0) }
        self.variables = variables
        var enumeration = Enumeration(model: model, variables: closure, interventions: interventions, fixed: [:], limit: limit)
        enumeration.evidence = evidence
        var assignments: [[Int]] = [], weights: [Double] = []
        try await enumeration.run { assignment, probability in
            assignments.append(variables.map { assignment[$0]! })
            weights.append(probability)
        }
        guard weights.contains(where: { $0 > 0 }) else { throw ExactInference.impossible(byName, byNameInterventions) }
        self.assignments = assignments
        self.weights = weights
        description = Intervention.describe(byNameInterventions) + " given(" + byName.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }.joined(separator: ",") + ")"
    }

    /// One unit's values of the enumerated variables: each drawn in τ order from its exact conditional given the
    /// evidence and the values drawn before it (Gumbel-max over the summed weights of the matching assignments,
    /// keyed by unit, variable and value).
    func draw(unit: Int, noise: NoiseSource, graph: Graph) -> [Int: String] {
        var matching = Array(assignments.indices)
        var values: [Int: String] = [:]
        for (position, index) in variables.enumerated() {
            let domain = graph.variables[index].values!
            if let observed = evidence[index] {
                values[index] = observed
                continue
            }
            var mass = [Double](repeating: 0, count: domain.count)
            for row in matching { mass[assignments[row][position]] += weights[row] }
            let key = NoiseSource.hash(graph.variables[index].name)
            let choice = GumbelMax.sample(mass.map { $0 > 0 ? Foundation.log($0) : -.infinity }) {
                noise.gumbel(.conditioning, unit: unit, variable: key, position: 0, index: UInt64($0))
            }!
            values[index] = domain[choice]
            matching = matching.filter { assignments[$0][position] == choice }
        }
        return values
    }
}

import Foundation

/// Exact answers by enumeration: marginals, interventional marginals, average treatment effects and each unit's
/// expected potential outcomes. These are the ground truth samplers and benchmarks are checked against.
///
/// The joint distribution factorizes over the graph, and every categorical mechanism is a memoized table row per
/// parent assignment, so enumerating all joint assignments in τ order costs one language-model scoring per
/// distinct context. The enumeration refuses (typed error) when the number of joint assignments exceeds `limit`.
public struct ExactInference: Sendable {
    public let model: CausalModel
    /// Largest number of joint assignments enumerated.
    public let limit: Int

    public init(model: CausalModel, limit: Int = 1_000_000) {
        self.model = model
        self.limit = limit
    }

    /// The marginal distribution of every categorical variable (by name, probabilities in domain order) under
    /// `interventions` (empty: observational). Free-text variables are skipped if nothing categorical depends on
    /// them; otherwise the query is refused.
    public func marginals(interventions: [String: Intervention] = [:]) throws -> [String: [Double]] {
        let graph = model.graph
        let resolved = try Sampler(model: model, seed: 0).resolve(interventions)
        let included = try categoricalClosure(of: Set(graph.variables.indices.filter { !graph.variables[$0].isText }),
                                              query: "exact marginals")
        var totals = [Int: [Double]]()
        for index in included { totals[index] = [Double](repeating: 0, count: graph.variables[index].values!.count) }
        try enumerate(variables: included, interventions: resolved, fixed: [:]) { assignment, probability in
            for index in included { totals[index]![assignment[index]!] += probability }
        }
        var result: [String: [Double]] = [:]
        for (index, values) in totals { result[graph.variables[index].name] = values }
        return result
    }

    /// `P(outcome = value | do(treatment = treated)) − P(outcome = value | do(treatment = control))`.
    public func averageTreatmentEffect(treatment: String, outcome: String, value: String,
                                       treated: String, control: String) throws -> Double {
        let outcomeIndex = try model.graph.index(of: outcome)
        guard let position = model.graph.variables[outcomeIndex].values?.firstIndex(of: value) else {
            throw CausalModelError.valueOutsideDomain(variable: outcome, value: value)
        }
        let p1 = try marginals(interventions: [treatment: .value(treated)])[outcome]![position]
        let p0 = try marginals(interventions: [treatment: .value(control)])[outcome]![position]
        return p1 - p0
    }

    /// A unit's expected potential outcomes: for each treatment value t, the distribution of `outcome` under
    /// do(treatment = t) with every non-descendant of the treatment fixed at the unit's values (mediators are
    /// enumerated). `unitValues` gives every variable's value by name.
    public func potentialOutcomes(treatment: String, outcome: String, unitValues: [String: String]) throws -> [String: [Double]] {
        let graph = model.graph
        let treatmentIndex = try graph.index(of: treatment)
        let outcomeIndex = try graph.index(of: outcome)
        guard let treatmentValues = graph.variables[treatmentIndex].values else {
            throw CausalModelError.needsCategorical(variable: treatment, query: "potential outcomes")
        }
        guard graph.variables[outcomeIndex].values != nil else {
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
        var result: [String: [Double]] = [:]
        for treatmentValue in treatmentValues {
            var distribution = [Double](repeating: 0, count: graph.variables[outcomeIndex].values!.count)
            var assignment = fixed
            assignment[treatmentIndex] = treatmentValue
            try enumerate(variables: relevant, interventions: [:], fixed: assignment) { full, probability in
                distribution[full[outcomeIndex]!] += probability
            }
            result[treatmentValue] = distribution
        }
        return result
    }

    /// `potentialOutcomes` on the log scale: for each treatment value, the natural log of each outcome value's
    /// probability (`-infinity` for impossible ones). With no mediators this is the outcome mechanism's
    /// log-probability given the unit's parents, the quantity the paper's benchmark uses as its outcome.
    public func potentialOutcomeLogProbabilities(treatment: String, outcome: String,
                                                 unitValues: [String: String]) throws -> [String: [Double]] {
        try potentialOutcomes(treatment: treatment, outcome: outcome, unitValues: unitValues)
            .mapValues { $0.map { $0 > 0 ? Foundation.log($0) : -.infinity } }
    }

    // MARK: Enumeration

    /// `variables` plus every ancestor they need, refusing free-text variables among them.
    func categoricalClosure(of variables: Set<Int>, query: String) throws -> Set<Int> {
        var closure = variables
        for index in variables { closure.formUnion(model.graph.ancestors(of: index)) }
        if let text = closure.sorted().first(where: { model.graph.variables[$0].isText }) {
            throw CausalModelError.needsCategorical(variable: model.graph.variables[text].name, query: query)
        }
        return closure
    }

    /// Calls `visit` with every joint assignment of `variables` (value indices) and its probability, with the
    /// variables in `fixed` held at those values. Parents of enumerated variables must be enumerated or fixed.
    func enumerate(variables: Set<Int>, interventions: [Int: Intervention], fixed: [Int: String],
                   visit: ([Int: Int], Double) throws -> Void) throws {
        let graph = model.graph
        let free = graph.order.filter { variables.contains($0) && fixed[$0] == nil }
        var size = 1.0
        for index in free { size *= Double(graph.variables[index].values!.count) }
        guard size <= Double(limit) else { throw CausalModelError.enumerationTooLarge(size: size, limit: limit) }
        let sampler = Sampler(model: model, seed: 0)
        var assignment: [Int: Int] = [:]
        var values = [String?](repeating: nil, count: graph.variables.count)
        for (index, value) in fixed { values[index] = value }

        func recurse(_ depth: Int, _ probability: Double) throws {
            guard depth < free.count else {
                try visit(assignment, probability)
                return
            }
            let index = free[depth]
            let domain = graph.variables[index].values!
            let distribution: [Double]
            if let intervention = interventions[index] {
                switch intervention {
                case .value(let value): distribution = domain.map { $0 == value ? 0 : -.infinity }
                default: distribution = try sampler.apply(intervention, to: index, unit: 0, key: 0).1!
                }
            } else {
                distribution = try model.logProbabilities(of: index, values: values)
            }
            for (position, logProbability) in distribution.enumerated() where logProbability > -.infinity {
                assignment[index] = position
                values[index] = domain[position]
                try recurse(depth + 1, probability * Foundation.exp(logProbability))
            }
            assignment[index] = nil
            values[index] = nil
        }
        try recurse(0, 1)
    }
}

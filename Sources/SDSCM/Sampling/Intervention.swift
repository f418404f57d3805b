import SDSCMRandomness

/// What `do(X = …)` sets a variable to.
public enum Intervention: Sendable, Hashable {
    /// A fixed value (any text for a free-text variable; one of the values for a categorical one).
    case value(String)
    /// A value drawn uniformly from the domain, independently per unit (a randomized trial's assignment).
    case uniform
    /// A value drawn from these probabilities (renormalized), independently per unit.
    case distribution([String: Double])
}

/// Which counterfactual semantics a query uses.
public enum CounterfactualSemantics: String, Sendable, CaseIterable {
    /// Every variable keeps its exogenous Gumbel noise: units this package generated replay their recorded
    /// noise, supplied observations get noise sampled from its posterior. Non-descendants of the intervention
    /// keep their values, and intervening with the factual value reproduces the factual unit.
    case sharedNoise = "shared-noise"
    /// The paper's Algorithm 1/4: exogenous variables and non-descendants keep their values, the intervened
    /// variables are set, and every other descendant is redrawn with fresh noise (a draw from the
    /// interventional distribution given the unit's non-descendants).
    case paper
}

extension Intervention {
    /// The log-probabilities of the values this intervention assigns, over a categorical `domain`: one value with
    /// log-probability 0 (a fixed value outside the domain has none), or the (renormalized) random assignment.
    package func logProbabilities(over domain: [String]) -> [Double] {
        switch self {
        case .value(let value):
            return domain.map { $0 == value ? 0 : -.infinity }
        case .uniform:
            return GumbelMax.normalized([Double](repeating: 0, count: domain.count))
        case .distribution(let probabilities):
            return GumbelMax.normalized(domain.map { value in
                let p = probabilities[value] ?? 0
                return p > 0 && p.isFinite ? PortableMath.log(p) : -.infinity
            })
        }
    }

    /// `do(T=1,U~uniform)`-style text of a set of interventions, sorted by name (stable, for labels and streams).
    public static func describe(_ interventions: [String: Intervention]) -> String {
        let parts = interventions.sorted { $0.key < $1.key }.map { name, intervention -> String in
            switch intervention {
            case .value(let value): return "\(name)=\(value)"
            case .uniform: return "\(name)~uniform"
            case .distribution(let p):
                return "\(name)~{" + p.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",") + "}"
            }
        }
        return "do(" + parts.joined(separator: ",") + ")"
    }
}

/// Interventions by variable index, checked against a graph: names exist, values are in their domains, random
/// assignments are over categorical variables with some positive, finite probability.
package struct ResolvedInterventions: Sendable {
    /// The interventions by variable index.
    package let byIndex: [Int: Intervention]
    /// The interventions by variable name, as given.
    package let byName: [String: Intervention]

    package init(_ interventions: [String: Intervention], graph: Graph) throws {
        var resolved: [Int: Intervention] = [:]
        for (name, intervention) in interventions {
            let index = try graph.index(of: name)
            let variable = graph.variables[index]
            switch intervention {
            case .value(let value):
                if let domain = variable.values, !domain.contains(value) {
                    throw CausalModelError.valueOutsideDomain(variable: name, value: value)
                }
            case .distribution(let probabilities):
                guard let domain = variable.values else {
                    throw CausalModelError.needsCategorical(variable: name, query: "a distributional intervention")
                }
                for (value, p) in probabilities {
                    guard domain.contains(value) else { throw CausalModelError.valueOutsideDomain(variable: name, value: value) }
                    guard p >= 0 && p.isFinite else {
                        throw CausalModelError.unsupportedQuery("intervention on '\(name)': probability \(p) for '\(value)'")
                    }
                }
                guard probabilities.values.contains(where: { $0 > 0 }) else {
                    throw CausalModelError.unsupportedQuery("intervention on '\(name)': no positive probability")
                }
            case .uniform:
                guard variable.values != nil else {
                    throw CausalModelError.needsCategorical(variable: name, query: "a uniform intervention")
                }
            }
            resolved[index] = intervention
        }
        byIndex = resolved
        byName = interventions
    }

    package subscript(index: Int) -> Intervention? { byIndex[index] }
    package var indices: Dictionary<Int, Intervention>.Keys { byIndex.keys }
}

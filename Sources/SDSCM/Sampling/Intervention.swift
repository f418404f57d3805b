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

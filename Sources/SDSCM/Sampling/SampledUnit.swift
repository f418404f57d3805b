/// One sampled unit (a row of a dataset; named so as not to clash with Foundation's `Unit`): every variable's
/// value and text, how each value was drawn, and what produced the unit.
public struct SampledUnit: Sendable, Hashable {
    /// The unit number: with the seed, it keys every noise variate of the unit.
    public let index: Int
    /// What produced the unit: the kind of draw, the seed and the causal model's fingerprint.
    public let provenance: Provenance
    /// The variables' names, in declaration order (the order of `values`).
    public let variables: [String]
    /// Each variable's value, in declaration order.
    public internal(set) var values: [String]
    /// Each variable's text (`prefix + value + suffix`), in declaration order.
    public internal(set) var texts: [String]
    /// For categorical variables, the normalized log-probabilities of the distribution the value was drawn from
    /// (the mechanism given this unit's parents, or the intervention's distribution); nil for free text.
    public internal(set) var logProbabilities: [[Double]?]
    /// For free-text variables the language model generated, the token ids (the value is their text, cut
    /// before a stop string); nil otherwise.
    public internal(set) var tokens: [[Int]?]
    /// The document: every variable's text in τ order, joined by spaces.
    public internal(set) var document: String
    /// The interventions the unit was drawn under, by variable name. A counterfactual arm's are its factual
    /// unit's plus the arm's own (the arm's winning where both set a variable), so that a factual `do()` is kept
    /// in every arm.
    public internal(set) var interventions: [String: Intervention] = [:]

    /// The value of the variable at `index` (declaration order).
    public subscript(index: Int) -> String { values[index] }

    /// The value of the variable called `name`, or nil when there is none.
    public subscript(name: String) -> String? {
        variables.firstIndex(of: name).map { values[$0] }
    }

    /// The text of the variable called `name`, or nil when there is none.
    public func text(of name: String) -> String? {
        variables.firstIndex(of: name).map { texts[$0] }
    }

    /// The distribution the value of categorical variable `name` was drawn from, with its value names.
    public func distribution(of name: String, domain: [String]) -> Distribution? {
        guard let index = variables.firstIndex(of: name), let logs = logProbabilities[index], logs.count == domain.count else { return nil }
        return Distribution(variable: name, values: domain, logProbabilities: logs)
    }

    /// Every value by variable name.
    public var valuesByName: [String: String] {
        Dictionary(uniqueKeysWithValues: zip(variables, values))
    }
}

/// What produced a `SampledUnit`: a counterfactual can only replay the noise of a unit drawn with the same seed by
/// the same model, so units carry both.
public struct Provenance: Sendable, Hashable, Codable {
    /// How the unit's values were determined.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Drawn by `Sampler.sample` with the mechanisms' noise (observational or interventional).
        case sampled
        /// A shared-noise counterfactual of a sampled unit (the same noise, replayed).
        case counterfactual
        /// A paper-semantics counterfactual: descendants redrawn with a fresh noise stream.
        case paperCounterfactual = "paper-counterfactual"
        /// A counterfactual of a supplied observation, with noise drawn from its posterior.
        case abducted
        /// A supplied observation (no noise of its own).
        case observed
        /// Drawn given evidence (`Sampler.sample(units:given:)`): the evidence's ancestors from their posterior.
        case conditioned
    }

    /// How the values were determined.
    public var kind: Kind
    /// The seed of the noise.
    public var seed: UInt64
    /// The causal model's `fingerprint`.
    public var model: String
    /// The interventions applied, as `Intervention.describe` writes them (`do()` for none).
    public var interventions: String

    /// A provenance record of how, with which seed and model, and under which interventions a unit was produced.
    public init(kind: Kind, seed: UInt64, model: String, interventions: String) {
        self.kind = kind
        self.seed = seed
        self.model = model
        self.interventions = interventions
    }
}

/// One sampled unit (a row of a dataset; named so as not to clash with Foundation's `Unit`): every variable's value and text, and how each value was drawn.
public struct SampledUnit: Sendable, Hashable {
    /// The unit number: with the seed, it keys every noise variate of the unit.
    public let index: Int
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

    /// The value of the variable at `index`.
    public subscript(index: Int) -> String { values[index] }
}

import Foundation

/// A probability distribution over a categorical variable's values: the one shape every query answers with
/// (mechanisms, marginals, conditional and interventional queries, potential outcomes).
public struct Distribution: Sendable, Hashable, CustomStringConvertible {
    /// The variable it is a distribution of.
    public let variable: String
    /// The values, in the variable's domain order.
    public let values: [String]
    /// The probability of each value, in `values` order.
    public let probabilities: [Double]
    /// The natural log of each probability (`-infinity` for impossible values).
    public let logProbabilities: [Double]

    /// A distribution from probabilities (logs are taken here).
    public init(variable: String, values: [String], probabilities: [Double]) {
        precondition(values.count == probabilities.count, "one probability per value")
        self.variable = variable
        self.values = values
        self.probabilities = probabilities
        logProbabilities = probabilities.map { $0 > 0 ? Foundation.log($0) : -.infinity }
    }

    /// A distribution from normalized log-probabilities (probabilities are their exponentials).
    public init(variable: String, values: [String], logProbabilities: [Double]) {
        precondition(values.count == logProbabilities.count, "one log-probability per value")
        self.variable = variable
        self.values = values
        self.logProbabilities = logProbabilities
        probabilities = logProbabilities.map { Foundation.exp($0) }
    }

    /// The probability of `value`, or nil when it is not one of the values.
    public subscript(value: String) -> Double? {
        values.firstIndex(of: value).map { probabilities[$0] }
    }

    /// The log-probability of `value`, or nil when it is not one of the values.
    public func logProbability(of value: String) -> Double? {
        values.firstIndex(of: value).map { logProbabilities[$0] }
    }

    /// The most likely value (the first on ties).
    public var mostLikely: String {
        var best = 0
        for index in probabilities.indices where probabilities[index] > probabilities[best] { best = index }
        return values[best]
    }

    /// `variable: value p, …` with probabilities to six decimals.
    public var description: String {
        variable + ": " + zip(values, probabilities).map { $0 + " " + String(format: "%.6f", $1) }.joined(separator: ", ")
    }
}

/// The marginal distribution of several variables, in the graph's declaration order.
public struct Marginals: Sendable, Hashable {
    /// One distribution per variable.
    public let distributions: [Distribution]

    /// Marginals of these distributions, in the order given.
    public init(_ distributions: [Distribution]) {
        self.distributions = distributions
    }

    /// The distribution of `variable`, or nil when it is not among them.
    public subscript(variable: String) -> Distribution? {
        distributions.first { $0.variable == variable }
    }

    /// The variables, in order.
    public var variables: [String] { distributions.map(\.variable) }
}

/// A mechanism's output for one parent assignment: the equation's raw log-weights and their normalization.
public struct MechanismScores: Sendable, Hashable {
    /// The equation's log-weights as computed (for language-model scoring: the candidates' chain-rule, mean or
    /// reference scores, as `sdscm.py` stores them in its `logP(...)` columns).
    public var raw: [Double]
    /// `raw` normalized to log-probabilities over the domain.
    public var normalized: [Double]

    /// Scores with their raw log-weights and normalized log-probabilities, one per value.
    public init(raw: [Double], normalized: [Double]) {
        self.raw = raw
        self.normalized = normalized
    }
}

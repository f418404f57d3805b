import Foundation
import SDSCMRandomness
import SDSCM

/// Does an attribute (a demographic, say) causally change what the language model says downstream? Audits
/// answer with counterfactual pairs: each sampled unit is replayed under every value of the attribute with the
/// unit's own noise, so the per-unit comparison holds everything else fixed.
///
/// For each non-baseline value `a` and outcome value `o`, the effect is the mean over units of
/// `P(o | parents of Y in the unit's counterfactual under do(A = a)) − the same under do(A = baseline)`: an
/// unbiased estimate of `P(Y = o | do(a)) − P(Y = o | do(baseline))` with less variance than comparing the
/// sampled outcomes, with a percentile bootstrap interval over units (resampled by counter-based noise). The
/// flip rate is the share of units whose sampled outcome under do(a) differs from that under do(baseline).
public struct CausalAudit: Sendable {
    /// The causal model whose language model is audited.
    public let model: CausalModel
    /// Index of the attribute variable in the model's graph.
    public let attribute: Int
    /// Index of the outcome variable in the model's graph.
    public let outcome: Int
    /// Seed of the units' noise and of the bootstrap resamples.
    public let seed: UInt64

    /// Why an audit cannot run.
    public enum AuditError: Error, Equatable, Sendable, CustomStringConvertible {
        case needsCategorical(String)
        case notADescendant(attribute: String, outcome: String)

        /// The message, naming the variable at fault.
        public var description: String {
            switch self {
            case .needsCategorical(let name): return "'\(name)' must be categorical to be audited"
            case let .notADescendant(attribute, outcome):
                return "'\(outcome)' does not descend from '\(attribute)' in the graph, so it cannot change with it"
            }
        }
    }

    /// Checks that both variables are categorical and the outcome descends from the attribute.
    public init(model: CausalModel, attribute: String, outcome: String, seed: UInt64) throws {
        let graph = model.graph
        self.attribute = try graph.index(of: attribute)
        self.outcome = try graph.index(of: outcome)
        for index in [self.attribute, self.outcome] where graph.variables[index].values == nil {
            throw AuditError.needsCategorical(graph.variables[index].name)
        }
        guard graph.descendants(of: self.attribute).contains(self.outcome) else {
            throw AuditError.notADescendant(attribute: attribute, outcome: outcome)
        }
        self.model = model
        self.seed = seed
    }

    /// One unit under every attribute value.
    public struct UnitRecord: Sendable {
        /// The unit's index (its noise key).
        public var unit: Int
        /// The attribute's value as sampled, before any intervention.
        public var factualAttribute: String
        /// The outcome's value as sampled, before any intervention.
        public var factualOutcome: String
        /// Per attribute value: the counterfactual outcome (shared noise) and its distribution.
        public var outcomes: [String]
        /// Per attribute value: the probability of each outcome value, in domain order.
        public var probabilities: [[Double]]
    }

    /// An effect estimate with its interval.
    public struct Effect: Sendable, Codable {
        /// The attribute value intervened on (compared with the baseline).
        public var attributeValue: String
        /// The outcome value whose probability changes.
        public var outcomeValue: String
        /// Mean over units of the change in that outcome value's probability, do(attribute value) minus do(baseline).
        public var estimate: Double
        /// Lower end of the 95% percentile bootstrap interval (the 2.5% quantile).
        public var lower: Double
        /// Upper end of the 95% percentile bootstrap interval (the 97.5% quantile).
        public var upper: Double
    }

    /// Per attribute value: mean counterfactual probabilities and sampled-outcome frequencies.
    public struct Breakdown: Sendable, Codable {
        /// The attribute value intervened on.
        public var attributeValue: String
        /// Outcome value → its probability under this intervention, averaged over units.
        public var meanProbabilities: [String: Double]
        /// Outcome value → share of units whose counterfactual outcome is that value (0 to 1).
        public var frequencies: [String: Double]
        /// Share of units whose outcome differs from the baseline's (0 for the baseline).
        public var flipRate: Double
    }

    /// Everything an audit reports (`audit.json`).
    public struct Result: Sendable, Codable {
        /// The attribute variable's name.
        public var attribute: String
        /// The outcome variable's name.
        public var outcome: String
        /// The attribute value every effect is measured against.
        public var baseline: String
        /// Number of units sampled.
        public var units: Int
        /// Seed of the units' noise and of the bootstrap.
        public var seed: UInt64
        /// Number of bootstrap resamples behind each interval.
        public var bootstrapSamples: Int
        /// One effect per non-baseline attribute value and outcome value.
        public var effects: [Effect]
        /// One breakdown per attribute value, the baseline included.
        public var breakdown: [Breakdown]
        /// Share of units whose outcome changes for some attribute value.
        public var anyFlipRate: Double
    }

    /// Samples `units` units and replays each under every attribute value; `baseline` is an index into the
    /// attribute's values (default the first).
    public func run(units: Int, baseline: Int = 0, bootstrap: Int = 1000) async throws -> (result: Result, records: [UnitRecord]) {
        let graph = model.graph
        let sampler = Sampler(model: model, seed: seed)
        let name = graph.variables[attribute].name
        let values = graph.variables[attribute].values!, outcomeValues = graph.variables[outcome].values!
        let attribute = self.attribute, outcome = self.outcome
        let records = try await model.mapUnits(Array(0..<units)) { unit -> UnitRecord in
            let factual = try await sampler.sample(unit: unit)
            var outcomes: [String] = [], probabilities: [[Double]] = []
            for value in values {
                let counterfactual = try await sampler.counterfactual(of: factual, interventions: [name: .value(value)])
                outcomes.append(counterfactual.values[outcome])
                probabilities.append(counterfactual.logProbabilities[outcome]!.map { Foundation.exp($0) })
            }
            return UnitRecord(unit: unit, factualAttribute: factual.values[attribute], factualOutcome: factual.values[outcome],
                              outcomes: outcomes, probabilities: probabilities)
        }
        let n = Double(units)
        // Bootstrap resamples: unit indices drawn by Philox keyed by (seed, "bootstrap", sample, draw).
        let philox = Philox(seed: seed, stream: 0x626F_6F74_7374_7261)  // "bootstra"
        let resamples = (0..<bootstrap).map { b in
            (0..<units).map { k in Int(philox.word(UInt64(b), UInt64(k), 0, 0).multipliedFullWidth(by: UInt64(units)).high) }
        }
        var effects: [Effect] = []
        for (a, value) in values.enumerated() where a != baseline {
            for (o, outcomeValue) in outcomeValues.enumerated() {
                let perUnit = records.map { $0.probabilities[a][o] - $0.probabilities[baseline][o] }
                let estimate = perUnit.reduce(0, +) / n
                let means = resamples.map { sample in sample.reduce(0.0) { $0 + perUnit[$1] } / n }.sorted()
                let lower = means.isEmpty ? estimate : Self.quantile(means, 0.025)
                let upper = means.isEmpty ? estimate : Self.quantile(means, 0.975)
                effects.append(Effect(attributeValue: value, outcomeValue: outcomeValue, estimate: estimate, lower: lower, upper: upper))
            }
        }
        let breakdown = values.enumerated().map { a, value in
            Breakdown(
                attributeValue: value,
                meanProbabilities: Dictionary(uniqueKeysWithValues: outcomeValues.enumerated().map { o, outcomeValue in
                    (outcomeValue, records.reduce(0.0) { $0 + $1.probabilities[a][o] } / n)
                }),
                frequencies: Dictionary(uniqueKeysWithValues: outcomeValues.map { outcomeValue in
                    (outcomeValue, Double(records.filter { $0.outcomes[a] == outcomeValue }.count) / n)
                }),
                flipRate: Double(records.filter { $0.outcomes[a] != $0.outcomes[baseline] }.count) / n)
        }
        let anyFlip = Double(records.filter { Set($0.outcomes).count > 1 }.count) / n
        return (Result(attribute: name, outcome: graph.variables[outcome].name, baseline: values[baseline], units: units,
                       seed: seed, bootstrapSamples: bootstrap, effects: effects, breakdown: breakdown, anyFlipRate: anyFlip),
                records)
    }

    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position), fraction = position - Double(lower)
        return lower + 1 < sorted.count ? sorted[lower] * (1 - fraction) + sorted[lower + 1] * fraction : sorted[lower]
    }
}

extension CausalAudit.AuditError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

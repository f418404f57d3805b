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
    public let model: CausalModel
    public let attribute: Int
    public let outcome: Int
    public let seed: UInt64

    /// Why an audit cannot run.
    public enum AuditError: Error, Equatable, Sendable, CustomStringConvertible {
        case needsCategorical(String)
        case notADescendant(attribute: String, outcome: String)

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
        public var unit: Int
        public var factualAttribute: String
        public var factualOutcome: String
        /// Per attribute value: the counterfactual outcome (shared noise) and its distribution.
        public var outcomes: [String]
        public var probabilities: [[Double]]
    }

    /// An effect estimate with its interval.
    public struct Effect: Sendable, Codable {
        public var attributeValue: String
        public var outcomeValue: String
        public var estimate: Double
        public var lower: Double
        public var upper: Double
    }

    /// Per attribute value: mean counterfactual probabilities and sampled-outcome frequencies.
    public struct Breakdown: Sendable, Codable {
        public var attributeValue: String
        public var meanProbabilities: [String: Double]
        public var frequencies: [String: Double]
        /// Share of units whose outcome differs from the baseline's (0 for the baseline).
        public var flipRate: Double
    }

    /// Everything an audit reports (`audit.json`).
    public struct Result: Sendable, Codable {
        public var attribute: String
        public var outcome: String
        public var baseline: String
        public var units: Int
        public var seed: UInt64
        public var bootstrapSamples: Int
        public var effects: [Effect]
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

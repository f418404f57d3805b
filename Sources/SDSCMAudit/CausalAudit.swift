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
        /// Standard error of the estimate (per-unit standard deviation over √n, pooled within variations).
        public var standardError: Double?
    }

    /// An effect in units of the outcome's spread, as the paper's Fig. 6 reports audits: the sample ATE on the
    /// outcome value's probability over the standard deviation (ddof = 1) of that probability among the factual units.
    public struct StandardizedEffect: Sendable, Codable {
        /// The attribute value intervened on (compared with the baseline).
        public var attributeValue: String
        /// The outcome value whose probability changes.
        public var outcomeValue: String
        /// The sample ATE (mean over units of the change in probability).
        public var sate: Double
        /// Standard deviation (ddof = 1) of the factual units' probability of the outcome value (nil below two units).
        public var outcomeSD: Double?
        /// `sate / outcomeSD` (nil when the probability does not vary).
        public var standardized: Double?
    }

    /// One phrasing variation of a pooled audit (one dataset in the paper's sense).
    public struct VariationSummary: Sendable, Codable {
        /// The variation number (phrasings by the reference's rule, `np.random.seed(variation)`).
        public var variation: Int
        /// Every variable's phrasing index in this variation.
        public var phrasingIndices: [Int]
        /// Seed of this variation's units.
        public var seed: UInt64
        /// Units sampled in this variation.
        public var units: Int
        /// Effects within this variation alone.
        public var effects: [Effect]
        /// The standardized SATE of each effect.
        public var standardized: [StandardizedEffect]
    }

    /// Two models' pooled effects and a test of their difference (independent samples, normal approximation).
    public struct ModelComparison: Sendable, Codable {
        /// The two models, as `--model` named them.
        public var first: String, second: String
        /// The attribute value intervened on and the outcome value.
        public var attributeValue: String, outcomeValue: String
        /// Each model's estimate, and first minus second.
        public var firstEstimate: Double, secondEstimate: Double, difference: Double
        /// Standard error of the difference, √(se₁² + se₂²), its z statistic and two-sided p-value (z is nil when
        /// the standard error is 0: both estimates are exact).
        public var standardError: Double, z: Double?, pValue: Double
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
        /// The model audited (set by callers that compare models).
        public var model: String?
        /// Per phrasing variation, when the audit pools several (the effects above are then pooled).
        public var variations: [VariationSummary]?
        /// The standardized SATE of the pooled effects.
        public var standardized: [StandardizedEffect]?
    }

    /// Samples `units` units and replays each under every attribute value; `baseline` is an index into the
    /// attribute's values (default the first).
    public func run(units: Int, baseline: Int = 0, bootstrap: Int = 1000) async throws -> (result: Result, records: [UnitRecord]) {
        let records = try await self.records(units: units)
        return (summarize([records], baseline: baseline, bootstrap: bootstrap), records)
    }

    /// Units `0..<units`, each replayed under every attribute value with its own noise.
    public func records(units: Int) async throws -> [UnitRecord] {
        let graph = model.graph
        let sampler = Sampler(model: model, seed: seed)
        let name = graph.variables[attribute].name
        let values = graph.variables[attribute].values!
        let attribute = self.attribute, outcome = self.outcome
        return try await model.mapUnits(Array(0..<units)) { unit -> UnitRecord in
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
    }

    /// An audit pooled over phrasing variations: `audits[k]` is variation `variations[k].variation`'s model (same
    /// variables, its own phrasings and seed), `units` units each. The pooled effects average over every unit;
    /// their bootstrap resamples units within each variation; each variation is also summarized alone, with its
    /// standardized SATE.
    public static func pooled(_ audits: [CausalAudit], variations: [(variation: Int, phrasingIndices: [Int])], units: Int,
                              baseline: Int = 0, bootstrap: Int = 1000) async throws -> (result: Result, records: [[UnitRecord]]) {
        var strata: [[UnitRecord]] = []
        for audit in audits { strata.append(try await audit.records(units: units)) }
        var result = audits[0].summarize(strata, baseline: baseline, bootstrap: bootstrap)
        result.variations = zip(audits, strata).enumerated().map { k, pair in
            let summary = pair.0.summarize([pair.1], baseline: baseline, bootstrap: bootstrap)
            return VariationSummary(variation: variations[k].variation, phrasingIndices: variations[k].phrasingIndices,
                                    seed: pair.0.seed, units: units, effects: summary.effects,
                                    standardized: summary.standardized ?? [])
        }
        return (result, strata)
    }

    /// Effects, breakdown and standardized SATEs of records grouped in strata (variations); the bootstrap draws
    /// units within each stratum by counter-based noise keyed by (seed, resample, unit, stratum).
    public func summarize(_ strata: [[UnitRecord]], baseline: Int, bootstrap: Int) -> Result {
        let graph = model.graph
        let name = graph.variables[attribute].name
        let values = graph.variables[attribute].values!, outcomeValues = graph.variables[outcome].values!
        let records = strata.flatMap { $0 }
        let n = Double(records.count)
        let philox = Philox(seed: seed, stream: 0x626F_6F74_7374_7261)  // "bootstra"
        let resamples = (0..<bootstrap).map { b in
            strata.enumerated().flatMap { s, stratum in
                let offset = strata[..<s].reduce(0) { $0 + $1.count }
                return (0..<stratum.count).map { k in
                    offset + Int(philox.word(UInt64(b), UInt64(k), UInt64(s), 0).multipliedFullWidth(by: UInt64(stratum.count)).high)
                }
            }
        }
        var effects: [Effect] = [], standardized: [StandardizedEffect] = []
        for (a, value) in values.enumerated() where a != baseline {
            for (o, outcomeValue) in outcomeValues.enumerated() {
                let perUnit = records.map { $0.probabilities[a][o] - $0.probabilities[baseline][o] }
                let estimate = perUnit.reduce(0, +) / n
                let means = resamples.map { sample in sample.reduce(0.0) { $0 + perUnit[$1] } / n }.sorted()
                let lower = means.isEmpty ? estimate : Self.quantile(means, 0.025)
                let upper = means.isEmpty ? estimate : Self.quantile(means, 0.975)
                // Within-stratum variance, as the stratified bootstrap sees it.
                var variance = 0.0, offset = 0
                for stratum in strata {
                    let part = perUnit[offset..<(offset + stratum.count)]
                    offset += stratum.count
                    let mean = part.reduce(0, +) / Double(max(part.count, 1))
                    variance += part.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
                }
                let se: Double? = records.count > strata.count ? (variance / (n - Double(strata.count)) / n).squareRoot() : nil
                effects.append(Effect(attributeValue: value, outcomeValue: outcomeValue, estimate: estimate, lower: lower,
                                      upper: upper, standardError: se))
                // The factual probability: the replay at the factual attribute value reproduces the factual unit.
                let factual = records.map { $0.probabilities[values.firstIndex(of: $0.factualAttribute)!][o] }
                let mean = factual.reduce(0, +) / n
                let sd: Double? = records.count > 1 ? (factual.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot() : nil
                standardized.append(StandardizedEffect(attributeValue: value, outcomeValue: outcomeValue, sate: estimate,
                                                       outcomeSD: sd, standardized: sd.flatMap { $0 > 0 ? estimate / $0 : nil }))
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
        return Result(attribute: name, outcome: graph.variables[outcome].name, baseline: values[baseline], units: records.count,
                      seed: seed, bootstrapSamples: bootstrap, effects: effects, breakdown: breakdown, anyFlipRate: anyFlip,
                      standardized: standardized)
    }

    /// Each shared (attribute value, outcome value) effect of two models' results, first minus second, with a
    /// two-sided normal test of no difference (the models' units are independent samples).
    public static func compare(_ first: Result, _ second: Result) -> [ModelComparison] {
        first.effects.compactMap { a in
            guard let b = second.effects.first(where: { $0.attributeValue == a.attributeValue && $0.outcomeValue == a.outcomeValue }),
                  let seA = a.standardError, let seB = b.standardError else { return nil }
            let se = (seA * seA + seB * seB).squareRoot()
            let difference = a.estimate - b.estimate
            let z: Double? = se > 0 ? difference / se : nil
            let p = z.map { Foundation.erfc(abs($0) / 2.0.squareRoot()) } ?? (difference == 0 ? 1 : 0)
            return ModelComparison(first: first.model ?? "first", second: second.model ?? "second", attributeValue: a.attributeValue,
                                   outcomeValue: a.outcomeValue, firstEstimate: a.estimate, secondEstimate: b.estimate,
                                   difference: difference, standardError: se, z: z, pValue: p)
        }
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

import SDSCMAudit
import SDSCMBundledModels
import Foundation
import SDSCM
import Testing

/// Audits of a table-driven world whose answers follow from its tables by hand.
@Suite struct CausalAuditTests {
    /// A (the audited attribute) and C are independent fair coins; P(Y = yes | A, C) is 0.2 / 0.6 for A = f and
    /// 0.5 / 0.7 for A = m (C = c0 / c1). The effect of m vs f on P(Y = yes) is 0.3 for c0 units and 0.1 for c1
    /// units (0.2 on average); under Gumbel-max replay a binary outcome flips with probability |Δp|, so the flip
    /// rate is also 0.2 in expectation.
    static let json = """
        {"variables": [
          {"name": "A", "values": ["f", "m"], "equation": {"probabilities": {"f": 0.5, "m": 0.5}}},
          {"name": "C", "values": ["c0", "c1"], "equation": {"probabilities": {"c0": 0.5, "c1": 0.5}}},
          {"name": "Y", "values": ["yes", "no"], "parents": ["A", "C"], "equation": {"table": [
            {"when": {"A": "f", "C": "c0"}, "probabilities": {"yes": 0.2, "no": 0.8}},
            {"when": {"A": "f", "C": "c1"}, "probabilities": {"yes": 0.6, "no": 0.4}},
            {"when": {"A": "m", "C": "c0"}, "probabilities": {"yes": 0.5, "no": 0.5}},
            {"when": {"A": "m", "C": "c1"}, "probabilities": {"yes": 0.7, "no": 0.3}}]}}
        ]}
        """

    static func audit(seed: UInt64 = 4) throws -> CausalAudit {
        let model = try CausalModelConfiguration(json: Data(json.utf8)).makeModel(languageModel: nil)
        return try CausalAudit(model: model, attribute: "A", outcome: "Y", seed: seed)
    }

    @Test func effectAndFlipRateMatchTheTables() async throws {
        let units = 4000
        let (result, records) = try await Self.audit().run(units: units)
        #expect(result.baseline == "f" && records.count == units)
        let yes = try #require(result.effects.first { $0.attributeValue == "m" && $0.outcomeValue == "yes" })
        // Per unit the effect is exactly 0.3 or 0.1, so the estimate is 0.3 − 0.2·(share of c1 units).
        let c1 = Double(records.filter { abs($0.probabilities[1][0] - 0.7) < 1e-12 }.count) / Double(units)
        #expect(abs(yes.estimate - (0.3 - 0.2 * c1)) < 1e-12)
        let se = 0.1 / Double(units).squareRoot()  // sd of the per-unit effect is 0.1
        #expect(abs(yes.estimate - 0.2) < 4 * se)
        #expect(yes.lower < yes.estimate && yes.estimate < yes.upper)
        #expect(abs((yes.upper - yes.lower) - 2 * 1.96 * se) < 0.3 * 2 * 1.96 * se)  // bootstrap width ≈ normal width
        let no = try #require(result.effects.first { $0.outcomeValue == "no" })
        #expect(abs(no.estimate + yes.estimate) < 1e-12)
        let flips = try #require(result.breakdown.first { $0.attributeValue == "m" }).flipRate
        #expect(abs(flips - 0.2) < 4 * (0.2 * 0.8 / Double(units)).squareRoot())
        #expect(result.breakdown.first { $0.attributeValue == "f" }!.flipRate == 0)
        #expect(result.anyFlipRate == flips)
        // Replay consistency: each unit's arm at its factual attribute reproduces its factual outcome.
        for record in records {
            let arm = record.factualAttribute == "f" ? 0 : 1
            #expect(record.outcomes[arm] == record.factualOutcome)
        }
    }

    @Test func sameSeedSameAnswer() async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let a = try await Self.audit().run(units: 300).result, b = try await Self.audit().run(units: 300).result
        #expect(try encoder.encode(a) == encoder.encode(b))
        let c = try await Self.audit(seed: 5).run(units: 300).result
        #expect(try encoder.encode(a) != encoder.encode(c))
    }

    @Test func refusesWhatCannotBeAudited() throws {
        let model = try CausalModelConfiguration(json: Data(Self.json.utf8)).makeModel(languageModel: nil)
        #expect(throws: CausalAudit.AuditError.notADescendant(attribute: "C", outcome: "A")) {
            try CausalAudit(model: model, attribute: "C", outcome: "A", seed: 0)
        }
        #expect(throws: CausalModelError.unknownVariable("nope")) { try CausalAudit(model: model, attribute: "nope", outcome: "Y", seed: 0) }
        #expect(throws: CausalModelError.unknownVariable("Z")) { try CausalAudit(model: model, attribute: "A", outcome: "Z", seed: 0) }
    }
}

/// The bundled model audited against the world it was trained on.
@Suite struct BundledModelAuditTests {
    /// In the world, P(treatment = drug | do(age)) is 0.70125 for old and 0.416 for young (through smoking and
    /// severity, and directly): a total effect of +0.28525. The model's tables are within 0.05 of the world's.
    @Test func ageChangesTreatmentAsInTheWorld() async throws {
        let model = try BundledModels.tinyWorldConfiguration().makeModel(languageModel: try BundledModels.tinyWorld())
        let (result, _) = try await CausalAudit(model: model, attribute: "age", outcome: "treatment", seed: 1).run(units: 2000, bootstrap: 200)
        let drug = try #require(result.effects.first { $0.outcomeValue == "drug" })
        #expect(abs(drug.estimate - 0.28525) < 0.03, "estimate \(drug.estimate)")
        #expect(drug.lower < drug.estimate && drug.estimate < drug.upper && drug.upper - drug.lower < 0.05)
    }
}

/// Natural direct and indirect effects on the bundled tiny world (treatment → adherence → recovery, and
/// treatment → recovery directly; age, smoking and severity before the treatment).
@Suite struct MediationTests {
    static func analysis() throws -> MediationAnalysis {
        let model = try BundledModels.tinyWorldConfiguration().makeModel(languageModel: try BundledModels.tinyWorld())
        return try MediationAnalysis(model: model, treatment: "treatment", mediator: "adherence", outcome: "recovery", seed: 3)
    }

    /// By enumeration, NDE + NIE equals the total effect computed on its own, P(o | do(drug)) − P(o | do(rest)); and
    /// the shared-noise sampled decomposition (2,000 units) lies within 3 standard errors of the exact one, with
    /// NDE_u + NIE_u = TE_u in every unit so the sampled parts add up too.
    @Test func directPlusIndirectIsTheTotalEffect() async throws {
        let analysis = try Self.analysis()
        let exact = try await analysis.exact(treated: "drug", control: "rest")
        #expect(exact.map(\.outcomeValue) == ["recovered", "unwell"])
        for part in exact {
            #expect(abs(part.direct + part.indirect - part.total) < 1e-12, "\(part)")
        }
        #expect(abs(exact[0].direct) > 1e-3 && abs(exact[0].indirect) > 1e-3)  // both paths carry an effect
        let sampled = try await analysis.sampled(units: 2000, treated: "drug", control: "rest")
        for (s, e) in zip(sampled, exact) {
            #expect(abs(s.direct + s.indirect - s.total) < 1e-12)
            #expect(abs(s.total - e.total) < 3 * s.totalSE!, "total \(s.total) vs \(e.total) ± \(s.totalSE!)")
            #expect(abs(s.direct - e.direct) < 3 * s.directSE!, "direct \(s.direct) vs \(e.direct) ± \(s.directSE!)")
            #expect(abs(s.indirect - e.indirect) < 3 * s.indirectSE!, "indirect \(s.indirect) vs \(e.indirect) ± \(s.indirectSE!)")
        }
    }

    /// A mediator off the path, a free-text variable, and a mediator with a treatment-induced confounder are refused.
    @Test func refusesWhatIsNotAMediationQuestion() throws {
        let model = try BundledModels.tinyWorldConfiguration().makeModel(languageModel: try BundledModels.tinyWorld())
        #expect(throws: MediationAnalysis.MediationError.self) {
            try MediationAnalysis(model: model, treatment: "treatment", mediator: "severity", outcome: "recovery", seed: 0)
        }
        #expect(throws: MediationAnalysis.MediationError.self) {
            try MediationAnalysis(model: model, treatment: "treatment", mediator: "note", outcome: "recovery", seed: 0)
        }
    }

    /// age → smoking → severity → treatment ← age: with age treated and treatment as mediator, smoking (a descendant
    /// of age and an ancestor of the mediator) confounds it, so the exact formula is refused.
    @Test func treatmentInducedConfoundingIsATypedError() async throws {
        let model = try BundledModels.tinyWorldConfiguration().makeModel(languageModel: try BundledModels.tinyWorld())
        let analysis = try MediationAnalysis(model: model, treatment: "age", mediator: "treatment", outcome: "recovery", seed: 0)
        await #expect(throws: MediationAnalysis.MediationError.self) { try await analysis.exact(treated: "old", control: "young") }
    }
}

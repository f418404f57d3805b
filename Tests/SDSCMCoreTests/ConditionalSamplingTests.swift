import Foundation
import SDSCM
import SDSCMTestSupport
import Testing

/// True conditioning against hand-derived posteriors of `confounded-tables.json` (U → X, (U, X) → T → M,
/// (T, U, M) → Y; T depends only on U): P(U=u0 | T=a) = .4·.7 / (.4·.7 + .6·.2) = .7 where do(T=a) leaves .4.
@Suite struct ConditionalSamplingTests {
    static func model() throws -> CausalModel {
        try CausalModelConfiguration(path: Fixtures.path("configs/confounded-tables.json")).makeModel(languageModel: nil)
    }

    /// Hand-derived: given T=a, U is u0 w.p. .7, X is x0 w.p. .7·.8 + .3·.3 = .65, M is m0 w.p. .9 and Y is 1 w.p.
    /// .7·(.9·.3 + .1·.6) + .3·(.9·.5 + .1·.9) = .393. Given M=m1 (a descendant): P(T=a | m1) = .4·.1 / (.4·.1 + .6·.6)
    /// = .1 and P(U=u0 | m1) = .4·(.7·.1 + .3·.6) / (.4·.25 + .6·.5) = .25.
    @Test func exactMarginalsGivenEvidenceMatchHandDerivedPosteriors() async throws {
        let exact = ExactInference(model: try Self.model())
        let givenA = try await exact.marginals(given: ["T": "a"])
        #expect(abs(givenA["U"]!["u0"]! - 0.7) < 1e-12)
        #expect(abs(givenA["X"]!["x0"]! - 0.65) < 1e-12)
        #expect(abs(givenA["M"]!["m0"]! - 0.9) < 1e-12)
        #expect(abs(givenA["Y"]!["1"]! - 0.393) < 1e-12)
        #expect(givenA["T"]!["a"]! == 1)
        // do(T=a) is not conditioning: U keeps its prior and Y is .4·.33 + .6·.54 = .456.
        let doA = try await exact.marginals(interventions: ["T": .value("a")])
        #expect(abs(doA["U"]!["u0"]! - 0.4) < 1e-12)
        #expect(abs(doA["Y"]!["1"]! - 0.456) < 1e-12)
        let givenM1 = try await exact.marginals(given: ["M": "m1"])
        #expect(abs(givenM1["T"]!["a"]! - 0.1) < 1e-12)
        #expect(abs(givenM1["U"]!["u0"]! - 0.25) < 1e-12)
        // Evidence and an intervention together: given Y=1 under do(M=m1), T's posterior is
        // Σ_u P(u) P(T|u) P(Y=1|u, m1) normalized: a ∝ .4·.7·.6 + .6·.2·.9 = .276, b ∝ .4·.3·.6 + .6·.8·.9 = .504.
        let both = try await exact.marginals(given: ["Y": "1"], interventions: ["M": .value("m1")])
        #expect(abs(both["T"]!["a"]! - 0.276 / 0.78) < 1e-12)
        #expect(both["M"]!["m1"]! == 1)
    }

    /// 20,000 units given T=a (and given M=m1) pass a chi-square test against the exact conditional marginals of every
    /// variable; the evidence holds in every unit; the joint do() of the reference would fail the same test on U.
    @Test func conditionedUnitsFollowTheExactPosterior() async throws {
        let model = try Self.model()
        let sampler = Sampler(model: model, seed: 5)
        let exact = ExactInference(model: model)
        for evidence in [["T": "a"], ["M": "m1"], ["Y": "1", "X": "x1"]] {
            let units = try await sampler.sample(units: 0..<20_000, given: evidence)
            let truth = try await exact.marginals(given: evidence)
            for distribution in truth.distributions {
                let index = try model.graph.index(of: distribution.variable)
                let counts = distribution.values.map { value in units.count { $0.values[index] == value } }
                if let observed = evidence[distribution.variable] {
                    #expect(counts[distribution.values.firstIndex(of: observed)!] == units.count)
                    continue
                }
                let (statistic, degrees) = chiSquare(counts, distribution.probabilities)
                #expect(statistic < chiSquareCritical(degrees), "\(evidence) \(distribution.variable): \(counts) vs \(distribution.probabilities)")
            }
            #expect(units.allSatisfy { $0.provenance.kind == .conditioned })
        }
        // The reference's reading (do(T=a)) leaves U at its prior .4, far from the conditional .7.
        let intervened = try await sampler.sample(units: 0..<20_000, interventions: ["T": .value("a")])
        let u0 = Double(intervened.count { $0.values[0] == "u0" }) / 20_000
        #expect(abs(u0 - 0.4) < 0.02)
    }

    /// Units are keyed by unit index: the same unit is the same whatever range it is drawn in, and reruns agree.
    @Test func conditionedUnitsAreKeyedByUnit() async throws {
        let sampler = Sampler(model: try Self.model(), seed: 9)
        let all = try await sampler.sample(units: 0..<50, given: ["T": "b"])
        let tail = try await sampler.sample(units: 30..<50, given: ["T": "b"])
        #expect(all[30...].map(\.values) == tail.map(\.values))
        let one = try await sampler.sample(unit: 41, given: ["T": "b"])
        #expect(one.values == all[41].values)
    }

    /// Typed errors: evidence of probability zero, on an intervened variable, outside the domain, on an unknown
    /// variable; conditioned units cannot be replayed as counterfactuals.
    @Test func badEvidenceIsATypedError() async throws {
        let model = try Self.model()
        let sampler = Sampler(model: model, seed: 1)
        await #expect(throws: CausalModelError.self) { try await sampler.sample(units: 0..<2, given: ["T": "a"], interventions: ["T": .value("b")]) }
        await #expect(throws: CausalModelError.self) { try await sampler.sample(units: 0..<2, given: ["T": "c"]) }
        await #expect(throws: CausalModelError.self) { try await sampler.sample(units: 0..<2, given: ["Q": "a"]) }
        let zero = try CausalModelConfiguration(json: Data("""
            {"variables": [
              {"name": "A", "values": ["p", "q"], "equation": {"probabilities": {"p": 1, "q": 0}}},
              {"name": "B", "values": ["r", "s"], "parents": ["A"], "equation": {"probabilities": {"r": 0.5, "s": 0.5}}}]}
            """.utf8)).makeModel(languageModel: nil)
        await #expect(throws: CausalModelError.self) { try await Sampler(model: zero, seed: 1).sample(units: 0..<2, given: ["A": "q"]) }
        await #expect(throws: CausalModelError.self) { try await ExactInference(model: zero).marginals(given: ["A": "q"]) }
        let unit = try await sampler.sample(unit: 0, given: ["T": "a"])
        await #expect(throws: CausalModelError.self) { try await sampler.counterfactual(of: unit, interventions: ["T": .value("b")]) }
    }
}

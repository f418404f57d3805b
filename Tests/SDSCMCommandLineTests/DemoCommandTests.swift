import Foundation
import SDSCMCommandLine
import Testing
import SDSCMTestSupport

/// `sdscm demo` in short mode, with its numbers checked against the world's truth.
@Suite struct DemoCommandTests {
    @Test func shortDemoRecoversTheWorldsEffect() async throws {
        let run = await Invocation("demo", "--units", "400", "--json")
        #expect(run.status == 0, "\(run.err)")
        let json = try #require(run.json)
        let world = try #require(json["world_ate"] as? Double)
        let exact = try #require(json["exact_ate"] as? Double)
        let estimate = try #require(json["counterfactual_ate"] as? Double)
        let standardError = try #require(json["counterfactual_standard_error"] as? Double)
        #expect(abs(world - 0.180285) < 1e-9)
        // The bundled model's SD-SCM is close to the world it was trained on …
        #expect(abs(exact - world) <= 0.05, "exact \(exact) vs world \(world)")
        // … and sampled counterfactual contrasts estimate its exact ATE.
        #expect(abs(estimate - exact) <= 4 * standardError + 0.01, "estimate \(estimate) ± \(standardError) vs exact \(exact)")
        #expect((json["examples"] as? [String])?.count == 5)
        let counterfactual = try #require(json["counterfactual"] as? [String: Any])
        let factual = try #require(counterfactual["factual"] as? [String])
        let other = try #require(counterfactual["counterfactual"] as? [String])
        // age, smoking and severity are not descendants of the treatment: unchanged.
        #expect(Array(factual.prefix(3)) == Array(other.prefix(3)))
        #expect(factual[3] != other[3])
    }

    @Test func textDemoPrintsEverySection() async {
        let run = await Invocation("demo", "--units", "50")
        #expect(run.status == 0, "\(run.err)")
        for section in ["as a DAG in τ order", "Five units sampled", "Had it been", "world's true ATE",
                        "SD-SCM exact ATE", "mean counterfactual contrast", "naive difference"] {
            #expect(run.out.contains(section), "\(section)")
        }
    }
}

import Foundation
import SDSCM
import Testing

/// A mechanism whose weights are NaN or +∞ (a corrupt model, a buggy equation) is a typed error naming the
/// variable and value, not an arbitrary Gumbel-max winner.
@Suite struct NonFiniteWeightTests {
    @Test(arguments: [Double.nan, .infinity])
    func nonFiniteWeightsAreNamed(_ weight: Double) async throws {
        let graph = try Graph([.categorical("T", ["a", "b"]), .categorical("Y", ["yes", "no"], parents: ["T"])])
        let model = try CausalModel(graph: graph, languageModel: nil, equations: [
            "T": UniformEquation(),
            "Y": ClosureEquation(name: "broken") { _ in ["yes": weight, "no": 1] },
        ])
        await #expect {
            _ = try await Sampler(model: model, seed: 1).sample(units: 0..<3)
        } throws: { error in
            guard case CausalModelError.invalidEquation(let variable, let reason) = error else { return false }
            return variable == "Y" && reason.contains("'yes'")
        }
    }
}

import Foundation
import SDSCMRandomness
import SDSCM
import Testing
import SDSCMTestSupport

/// The reference code's configuration format and its phrasing selection.
@Suite struct ReferenceConfigurationTests {
    /// sdscm-paper.md, Appendix A: the (prefix, suffix) index of X0..X13 for variations k = 0..49, drawn by
    /// `np.random.seed(k); np.random.randint(0, n)` with these n.
    static let pairCounts = [11, 11, 10, 10, 10, 10, 10, 10, 11, 11, 10, 10, 10, 10]
    static let appendixA: [[Int]] = [
        [5, 0, 3, 3, 7, 9, 3, 5, 2, 4, 7, 6, 8, 8], [5, 8, 9, 5, 0, 0, 1, 7, 6, 9, 2, 4, 5, 2],
        [8, 8, 6, 2, 8, 7, 2, 1, 5, 10, 4, 4, 5, 7], [10, 8, 9, 3, 8, 8, 0, 5, 3, 10, 9, 9, 5, 7],
        [10, 7, 5, 1, 8, 7, 8, 2, 9, 10, 7, 7, 7, 9], [3, 6, 6, 0, 9, 8, 4, 7, 0, 0, 7, 1, 5, 7],
        [10, 9, 3, 4, 0, 9, 1, 9, 10, 1, 4, 1, 8, 2], [4, 9, 6, 3, 3, 7, 7, 9, 7, 8, 9, 8, 7, 6],
        [3, 4, 1, 9, 5, 8, 3, 8, 0, 5, 1, 3, 9, 2], [5, 6, 8, 6, 1, 6, 4, 8, 10, 1, 8, 5, 1, 0],
        [9, 4, 0, 1, 9, 0, 1, 8, 9, 0, 8, 6, 4, 3], [9, 0, 1, 7, 1, 7, 2, 8, 0, 0, 4, 2, 1, 5],
        [6, 1, 2, 3, 3, 0, 6, 1, 4, 5, 9, 2, 6, 0], [2, 0, 0, 6, 2, 4, 9, 3, 10, 4, 2, 6, 5, 9],
        [8, 6, 7, 9, 6, 0, 8, 9, 7, 6, 0, 7, 4, 0], [8, 5, 5, 7, 0, 7, 5, 6, 1, 7, 0, 4, 9, 7],
        [9, 9, 5, 1, 4, 4, 9, 0, 0, 8, 2, 4, 0, 1], [1, 6, 6, 9, 0, 6, 4, 7, 4, 7, 1, 1, 9, 8],
        [10, 3, 8, 5, 1, 2, 2, 8, 8, 2, 1, 5, 5, 4], [5, 2, 8, 3, 4, 2, 8, 6, 2, 5, 1, 6, 2, 7],
        [3, 10, 9, 4, 6, 7, 2, 0, 6, 8, 5, 3, 0, 6], [9, 8, 4, 0, 0, 8, 3, 2, 1, 10, 8, 9, 6, 0],
        [5, 4, 0, 4, 6, 6, 4, 8, 4, 2, 8, 7, 2, 9], [3, 6, 8, 9, 6, 8, 7, 9, 3, 6, 1, 2, 5, 5],
        [2, 3, 0, 7, 1, 1, 1, 4, 4, 3, 2, 3, 3, 7], [4, 10, 6, 7, 2, 8, 4, 9, 4, 5, 1, 7, 3, 8],
        [5, 6, 0, 1, 6, 3, 0, 4, 2, 1, 7, 3, 5, 9], [3, 8, 8, 8, 0, 5, 8, 9, 1, 2, 1, 1, 4, 6],
        [1, 9, 5, 6, 4, 0, 3, 7, 0, 3, 7, 5, 8, 8], [5, 3, 2, 8, 0, 9, 1, 8, 5, 3, 1, 8, 1, 5],
        [5, 5, 4, 7, 2, 5, 1, 3, 9, 7, 7, 1, 1, 3], [2, 7, 0, 2, 7, 6, 6, 2, 2, 9, 1, 7, 1, 1],
        [7, 5, 6, 8, 3, 7, 9, 3, 5, 10, 9, 4, 1, 3], [4, 7, 8, 2, 2, 9, 9, 3, 6, 3, 3, 1, 7, 6],
        [1, 10, 9, 6, 5, 4, 3, 5, 10, 2, 9, 8, 6, 5], [9, 7, 1, 0, 9, 8, 8, 8, 9, 7, 7, 8, 0, 9],
        [5, 2, 8, 1, 9, 5, 7, 6, 4, 0, 6, 6, 6, 1], [5, 6, 3, 3, 5, 8, 5, 7, 8, 8, 3, 2, 8, 1],
        [1, 5, 3, 4, 2, 1, 7, 9, 0, 10, 1, 4, 3, 1], [9, 9, 9, 0, 4, 6, 3, 0, 4, 8, 1, 4, 9, 0],
        [6, 7, 5, 8, 8, 2, 1, 7, 2, 3, 7, 3, 9, 0], [0, 3, 2, 0, 1, 3, 9, 7, 5, 10, 8, 3, 3, 2],
        [6, 3, 7, 4, 6, 9, 2, 6, 10, 10, 7, 4, 3, 7], [4, 0, 1, 5, 0, 3, 1, 2, 7, 0, 3, 2, 9, 1],
        [4, 3, 1, 3, 0, 4, 3, 8, 7, 7, 6, 9, 3, 7], [3, 0, 5, 3, 4, 9, 8, 1, 5, 9, 6, 8, 7, 8],
        [5, 8, 4, 3, 2, 0, 2, 8, 0, 7, 6, 2, 2, 2], [7, 6, 7, 8, 8, 3, 0, 7, 0, 7, 7, 1, 7, 2],
        [0, 3, 1, 4, 0, 0, 6, 6, 2, 0, 6, 6, 0, 7], [10, 8, 5, 6, 4, 2, 5, 5, 1, 2, 4, 0, 2, 3],
    ]

    static var sharedPath: String? { Fixtures.sharedReference("breast_cancer_config.json")?.path }

    @Test func phrasingSelectionReproducesAppendixA() {
        for (variation, expected) in Self.appendixA.enumerated() {
            var generator = MersenneTwister(seed: UInt32(variation))
            #expect(Self.pairCounts.map { generator.legacyRandomInteger(below: $0) } == expected, "variation \(variation)")
        }
    }

    @Test(.enabled(if: sharedPath != nil, "needs ../shared/reference/breast_cancer_config.json (not shipped with the package)"))
    func breastCancerConfigurationLoads() throws {
        let reference = try ReferenceConfiguration(path: try #require(Self.sharedPath))
        #expect(reference.experimentName == "breast_cancer_example")
        #expect(reference.variables.count == 14)
        #expect(reference.variables.map(\.phrasings.count) == Self.pairCounts)
        #expect(reference.variables[0].values == ["25", "35", "45", "55", "65", "75", "85"])
        #expect(reference.variables.prefix(4).allSatisfy(\.exogenous) && !reference.variables[4].exogenous)
        #expect(reference.treatmentIndex == 12 && reference.outcomeIndex == 13)
        #expect(reference.interventionChoices == [0, 1] && reference.outcomeChoices == [0, 1, 2, 3])
        let graph = try Graph(reference.variables)
        #expect(graph.parentIndices[13] == Array(0..<13))
        for variation in 0..<50 {
            #expect(reference.phrasingIndices(variation: UInt32(variation)) == Self.appendixA[variation])
        }
        // Variation 0's age phrasing is pair 5 ("… is referred to the oncology clinic …").
        let configuration = reference.configuration(variation: 0)
        #expect(configuration.phrasings["age"] == 5)
        #expect(reference.variables[0].phrasings[5].suffix.contains("referred to the oncology clinic"))
        #expect(configuration.scoring == .reference)
    }
}

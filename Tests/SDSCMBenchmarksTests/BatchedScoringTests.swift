import SDSCMBenchmarks
import SDSCMBundledModels
import Foundation
import SDSCM
import Testing

/// Evaluating many units at once (their language-model requests answered together) must not change a single byte,
/// nor the work counters, whatever the number of units in flight; free text included.
@Suite struct BatchedScoringTests {
    @Test(arguments: [ScoringMode.sum, .reference])
    func batchedEqualsUnitByUnit(scoring: ScoringMode) async throws {
        let design = try BenchmarkDesign(path: try BundledModels.tinyWorldConfigurationPath())
        #expect(design.configuration.variables.contains { $0.isText })
        var outputs: [(tables: DatasetGenerator.Tables, counters: CausalModel.Counters)] = []
        for blockSize in [1, 7, 16] {
            let model = try design.model(variation: 0, languageModel: try BundledModels.tinyWorld(), scoring: scoring)
            var generator = DatasetGenerator(design: design, model: model, noiseSeed: 99, semantics: .sharedNoise)
            generator.blockSize = blockSize
            outputs.append((try await generator.generate(units: 60), model.counters))
        }
        let (first, counters) = outputs[0]
        #expect(counters.contextsScored > 10)
        #expect(first.extended.count == 60)
        for (tables, other) in outputs.dropFirst() {
            #expect(tables.reference.csv == first.reference.csv)
            #expect(tables.extended.csv == first.extended.csv)
            #expect((try? tables.hidden.get().csv) == (try? first.hidden.get().csv))
            #expect(other.contextsScored == counters.contextsScored)
            #expect(other.cacheHits == counters.cacheHits)
            #expect(other.tokensScored == counters.tokensScored)
            // Batching is real: the model is called far less often than one call per unit's request.
            #expect(other.modelCalls * 3 < counters.modelCalls, "\(other.modelCalls) calls batched vs \(counters.modelCalls) one by one")
        }
        #expect((try? first.hidden.get()) != nil)
    }
}

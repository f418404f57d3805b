import SDSCMBenchmarks
import SDSCMBundledModels
import Foundation
import SDSCM
import Testing

/// Batching many units' language-model scoring into shared passes must not change a single byte.
@Suite struct BatchedScoringTests {
    /// The tiny world without its free-text note (models with free text run unit by unit).
    static func design() throws -> BenchmarkDesign {
        let data = try Data(contentsOf: URL(fileURLWithPath: try BundledModels.tinyWorldConfigurationPath()))
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        object["variables"] = (object["variables"] as! [[String: Any]]).filter { $0["name"] as? String != "note" }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-batched-\(ProcessInfo.processInfo.processIdentifier).json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try BenchmarkDesign(path: url.path)
    }

    @Test(arguments: [ScoringMode.sum, .reference])
    func batchedEqualsUnitByUnit(scoring: ScoringMode) throws {
        let design = try Self.design()
        var outputs: [(tables: DatasetGenerator.Tables, counters: CausalModel.Counters)] = []
        for blockSize in [1, 7, 16] {
            let model = try design.model(variation: 0, languageModel: try BundledModels.tinyWorld(), scoring: scoring)
            var generator = DatasetGenerator(design: design, model: model, noiseSeed: 99, semantics: .sharedNoise)
            generator.blockSize = blockSize
            outputs.append((try generator.generate(units: 60), model.counters))
        }
        let (first, counters) = outputs[0]
        #expect(counters.contextsScored > 10)
        for (tables, other) in outputs.dropFirst() {
            #expect(tables.reference.rendered == first.reference.rendered)
            #expect(tables.extended.rendered == first.extended.rendered)
            #expect((try? tables.hidden.get().rendered) == (try? first.hidden.get().rendered))
            #expect(other.contextsScored == counters.contextsScored)
            #expect(other.cacheHits == counters.cacheHits)
            #expect(other.tokensScored == counters.tokensScored)
        }
        #expect((try? first.hidden.get()) != nil)
    }
}

import SDSCMBundledModels
import Foundation
import SDSCM
import Testing
import SDSCMTestSupport
import SDSCMTransformer

/// The bundled tiny model against the trainer's own forward pass and against the world it was trained on.
@Suite struct TinyWorldTests {
    struct Expected: Decodable {
        struct Prompt: Decodable {
            let prompt: String
            let ids: [Int]
            let logits: String
        }
        let vocabulary: Int
        let prompts: [Prompt]
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Fixtures.directory.appendingPathComponent("tiny-world-logits.json")))
    }

    static func floats(_ base64: String) -> [Float] {
        Data(base64Encoded: base64)!.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Swift's tokenizer and forward pass reproduce the JAX trainer's logits (F32 file) within 1e-4.
    @Test func logitsMatchTheTrainer() throws {
        let model = try TransformerModel(path: BundledModels.tinyWorldModelPath())
        let expected = try Self.expected()
        #expect(model.vocabularySize == expected.vocabulary)
        var worst: Float = 0
        for prompt in expected.prompts {
            #expect(model.tokenizer.encode(prompt.prompt) == prompt.ids, "\(prompt.prompt)")
            var cache = model.makeCache()
            let outputs = prompt.ids.indices.map { OutputRequest(position: $0, kind: .logits) }
            let ours = try model.evaluate(prompt.ids, cache: &cache, outputs: outputs).flatMap { $0 }
            let theirs = Self.floats(prompt.logits)
            #expect(ours.count == theirs.count)
            for (a, b) in zip(ours, theirs) { worst = max(worst, abs(a - b) / max(1, abs(b))) }
        }
        #expect(worst <= 1e-4, "worst relative difference \(worst)")
    }

    /// The Q8_0 copy ranks like the F32 model and stays close to it.
    @Test func quantizedCopyAgrees() throws {
        let f32 = try TransformerModel(path: BundledModels.tinyWorldModelPath())
        let q8 = try TransformerModel(path: BundledModels.tinyWorldQ8ModelPath())
        for prompt in try Self.expected().prompts {
            var a = f32.makeCache(), b = q8.makeCache()
            let x = try f32.nextTokenLogProbabilities(after: prompt.ids, cache: &a)
            let y = try q8.nextTokenLogProbabilities(after: prompt.ids, cache: &b)
            #expect(x.indices.max { x[$0] < x[$1] } == y.indices.max { y[$0] < y[$1] })
            let top = x.indices.sorted { x[$0] > x[$1] }.prefix(5)
            for id in top { #expect(abs(x[id] - y[id]) < 0.1) }
        }
    }

    static func totalVariation(_ p: [Double], _ q: [Double]) -> Double {
        0.5 * zip(p, q).map { abs($0 - $1) }.reduce(0, +)
    }

    /// Every SD-SCM conditional table of the bundled model (true DAG, phrasing 0, sum scoring) is within total
    /// variation 0.05 of the world's table, for every parent assignment.
    @Test func conditionalTablesRecoverTheWorld() async throws {
        let configuration = try BundledModels.tinyWorldConfiguration()
        let model = try configuration.makeModel(languageModel: BundledModels.tinyWorld())
        let truth = try BundledModels.tinyWorldTruth()
        var worst = 0.0
        var rows = 0
        for (name, table) in truth.worldTables {
            let variable = try model.graph.variable(named: name)
            for row in table {
                let distribution = try await model.distribution(of: name, given: row.parents)
                let ours = distribution.probabilities
                let world = variable.values!.map { row.probabilities[$0]! }
                let distance = Self.totalVariation(ours, world)
                #expect(distance <= 0.05, "\(name) | \(row.parents): model \(ours), world \(world)")
                worst = max(worst, distance)
                rows += 1
            }
        }
        #expect(rows == 25)
        print("tiny world: worst total variation over \(rows) table rows = \(worst)")
    }

    /// Exact interventional marginals under do(treatment = drug) and do(treatment = rest) are within total
    /// variation 0.05 of the world's, for every categorical variable.
    @Test func interventionalDistributionsRecoverTheWorld() async throws {
        let configuration = try BundledModels.tinyWorldConfiguration()
        let model = try configuration.makeModel(languageModel: BundledModels.tinyWorld())
        let truth = try BundledModels.tinyWorldTruth()
        let exact = ExactInference(model: model)
        var compared = 0
        for value in ["drug", "rest"] {
            let ours = try await exact.marginals(interventions: ["treatment": .value(value)])
            let world = try #require(truth.worldInterventional["do(treatment=\(value))"])
            for (name, distribution) in world where name != "treatment" {
                let variable = try model.graph.variable(named: name)
                let distance = Self.totalVariation(ours[name]!.probabilities, variable.values!.map { distribution[$0]! })
                #expect(distance <= 0.05, "do(treatment=\(value)): \(name)")
                compared += 1
            }
        }
        #expect(compared == 12)
        let ate = try await exact.averageTreatmentEffect(treatment: "treatment", outcome: "recovery", value: "recovered",
                                                   treated: "drug", control: "rest")
        #expect(abs(ate - truth.worldAte) <= 0.05, "SD-SCM ATE \(ate), world \(truth.worldAte)")
    }

    @Test func bundledConfigurationMatchesTheWorld() throws {
        let configuration = try BundledModels.tinyWorldConfiguration()
        #expect(configuration.variables.map(\.name) == ["age", "smoking", "severity", "treatment", "adherence", "recovery", "checkup", "note"])
        #expect(configuration.treatment == "treatment" && configuration.outcome == "recovery")
        #expect(configuration.variables.allSatisfy { $0.phrasings.count >= 3 })
        #expect(try BundledModels.tinyWorldTruth().worstTotalVariation <= 0.05)
    }
}

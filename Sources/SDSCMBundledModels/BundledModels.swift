import Foundation
import SDSCM
import SDSCMEngine

/// The tiny model that ships inside the package, and the causal world it was trained on.
///
/// A llama-architecture model of about 0.46 M parameters with a 469-token byte-level BPE vocabulary, trained by
/// `Tests/Tools/tiny-model/make_tiny_model.py` on documents sampled from a known eight-variable causal world (a
/// confounder, a mediator, a collider and a free-text note). Its SD-SCM conditional tables are within a total
/// variation of 0.05 of the world's, so everything built on it (tokenizer, forward pass, candidate scoring,
/// Gumbel-max sampling, exact queries) can be checked against known truth, with no download.
public enum BundledModels {
    /// Why a bundled resource could not be found (a build that dropped the resource bundle).
    public struct MissingResource: Error, CustomStringConvertible {
        /// The missing file's name, with its extension.
        public let name: String
        /// The message, naming the missing file.
        public var description: String { "the bundled resource '\(name)' is missing from this build" }
    }

    /// Path of a file in the resource bundle.
    static func path(_ name: String, _ type: String) throws -> String {
        if let url = Bundle.module.url(forResource: name, withExtension: type, subdirectory: "Resources")
            ?? Bundle.module.url(forResource: name, withExtension: type) {
            return url.path
        }
        throw MissingResource(name: "\(name).\(type)")
    }

    /// The tiny world model in F32 (1.9 MB).
    public static func tinyWorldModelPath() throws -> String { try path("tiny-world", "gguf") }

    /// The same model with Q8_0 matrices (0.6 MB).
    public static func tinyWorldQ8ModelPath() throws -> String { try path("tiny-world-q8_0", "gguf") }

    /// The world as an SDSCM configuration (phrasing 0 of each variable).
    public static func tinyWorldConfigurationPath() throws -> String { try path("tiny-world", "json") }

    /// The world's true tables, marginals, interventional marginals and ATE, and the trained model's measured
    /// distances to them, as written by the trainer.
    public static func tinyWorldTablesPath() throws -> String { try path("tiny-world-tables", "json") }

    /// The tiny world model, ready for the causal core.
    public static func tinyWorld(threads: Int? = nil) throws -> TransformerLanguageModel {
        try TransformerLanguageModel(path: tinyWorldModelPath(), threads: threads)
    }

    /// The tiny world's configuration.
    public static func tinyWorldConfiguration() throws -> CausalModelConfiguration {
        try CausalModelConfiguration(path: tinyWorldConfigurationPath())
    }

    /// The world's ground truth, decoded from `tiny-world-tables.json`.
    public static func tinyWorldTruth() throws -> TinyWorldTruth {
        try JSONDecoder().decode(TinyWorldTruth.self, from: Data(contentsOf: URL(fileURLWithPath: tinyWorldTablesPath())))
    }
}

/// The known truth of the tiny world: what the bundled model was trained to reproduce.
public struct TinyWorldTruth: Decodable, Sendable {
    /// One row of a conditional probability table.
    public struct Row: Decodable, Sendable {
        /// The parents' values.
        public let parents: [String: String]
        /// Probability of each value.
        public let probabilities: [String: Double]
    }

    /// Every categorical variable's table.
    public let worldTables: [String: [Row]]
    /// Every categorical variable's marginal.
    public let worldMarginals: [String: [String: Double]]
    /// Marginals under do(treatment = t), keyed `do(treatment=t)`.
    public let worldInterventional: [String: [String: [String: Double]]]
    /// P(recovered | do(drug)) − P(recovered | do(rest)).
    public let worldAte: Double
    /// The trainer's measured worst total variation between the model's SD-SCM tables and the world's.
    public let worstTotalVariation: Double

    enum CodingKeys: String, CodingKey {
        case worldTables = "world_tables", worldMarginals = "world_marginals"
        case worldInterventional = "world_interventional", worldAte = "world_ate"
        case worstTotalVariation = "worst_total_variation"
    }
}

extension BundledModels.MissingResource: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

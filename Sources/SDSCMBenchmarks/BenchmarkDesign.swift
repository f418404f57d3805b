import Foundation
import SDSCMRandomness
import SDSCM

/// What a treatment-effect benchmark is made of: the causal model's variables and equations, the treatment and
/// its arms, the outcome, and how dataset variations pick phrasings.
public struct BenchmarkDesign: Sendable {
    /// The variables (with every phrasing) and user-defined equations.
    public let configuration: CausalModelConfiguration
    /// Index of the treatment variable.
    public let treatmentIndex: Int
    /// The treatment's arms, as indices into its values (e.g. [0, 1]).
    public let arms: [Int]
    /// Index of the outcome variable.
    public let outcomeIndex: Int
    /// Name used in file names (`<name>_<j>.csv`).
    public let name: String
    /// Whether the configuration came in the reference code's format.
    public let isReferenceFormat: Bool

    /// Reads a configuration in either format. `name` defaults to the file name without extension.
    public init(path: String, name: String? = nil) throws {
        let read: Data?
        do { read = try BoundedRead.contents(of: path, limit: BoundedRead.configurationLimit) } catch let error as BoundedRead.TooLarge {
            throw ConfigurationError(path: "$", message: "'\(path)' is \(error.message), more than a configuration can be")
        }
        guard let data = read else {
            throw ConfigurationError(path: "$", message: "cannot read '\(path)'")
        }
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        if ReferenceConfiguration.recognizes(data) {
            let reference = try ReferenceConfiguration(json: data)
            try self.init(configuration: reference.configuration(), treatmentIndex: reference.treatmentIndex,
                          arms: reference.interventionChoices, outcomeIndex: reference.outcomeIndex,
                          name: name ?? stem, isReferenceFormat: true)
        } else {
            let configuration = try CausalModelConfiguration(json: data)
            guard let treatment = configuration.treatment else {
                throw ConfigurationError(path: "$", message: "a benchmark needs \"treatment\"")
            }
            guard let outcome = configuration.outcome else {
                throw ConfigurationError(path: "$", message: "a benchmark needs \"outcome\"")
            }
            let graph = try configuration.graph()
            let treatmentIndex = try graph.index(of: treatment), outcomeIndex = try graph.index(of: outcome)
            guard let values = graph.variables[treatmentIndex].values else {
                throw ConfigurationError(path: "$.treatment", message: "the treatment must be categorical")
            }
            try self.init(configuration: configuration, treatmentIndex: treatmentIndex, arms: Array(values.indices),
                          outcomeIndex: outcomeIndex, name: name ?? stem, isReferenceFormat: false)
        }
    }

    /// A design over an assembled configuration.
    public init(configuration: CausalModelConfiguration, treatmentIndex: Int, arms: [Int], outcomeIndex: Int,
                name: String, isReferenceFormat: Bool = false) throws {
        let graph = try configuration.graph()
        guard graph.variables[outcomeIndex].values != nil else {
            throw ConfigurationError(path: "$.outcome", message: "the outcome must be categorical")
        }
        guard graph.descendants(of: treatmentIndex).contains(outcomeIndex) else {
            throw ConfigurationError(path: "$.outcome", message: "the outcome is not a descendant of the treatment")
        }
        guard arms.count >= 2 else {
            throw ConfigurationError(path: "$.treatment", message: "the treatment needs at least two arms to have an effect, it has \(arms.count)")
        }
        self.configuration = configuration
        self.treatmentIndex = treatmentIndex
        self.arms = arms
        self.outcomeIndex = outcomeIndex
        self.name = name
        self.isReferenceFormat = isReferenceFormat
    }

    /// The phrasing index of every variable in variation `variation`, drawn as the reference code draws them
    /// (`np.random.seed(variation)`, then `np.random.randint(0, pairs)` per variable in order).
    public func phrasingIndices(variation: Int) -> [Int] {
        Self.phrasingIndices(of: configuration, variation: variation)
    }

    /// The reference's phrasing rule for any configuration (see `phrasingIndices(variation:)`).
    public static func phrasingIndices(of configuration: CausalModelConfiguration, variation: Int) -> [Int] {
        var generator = MersenneTwister(seed: UInt32(truncatingIfNeeded: variation))
        return configuration.variables.map { generator.legacyRandomInteger(below: $0.phrasings.count) }
    }

    /// The causal model of variation `variation` over `languageModel`.
    public func model(variation: Int, languageModel: (any LanguageModel)?, scoring: ScoringMode) throws -> CausalModel {
        var configuration = self.configuration
        configuration.phrasings = Dictionary(uniqueKeysWithValues: zip(configuration.variables.map(\.name),
                                                                      phrasingIndices(variation: variation)))
        return try configuration.makeModel(languageModel: languageModel, scoring: scoring)
    }
}

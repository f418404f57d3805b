import Foundation
import SDSCMRandomness

/// A configuration in the format of the paper's reference code (`sdscm.py`'s JSON, e.g.
/// `breast_cancer_config.json`), read unchanged.
///
/// ```json
/// {"experiment_name": "breast_cancer_example",
///  "setup_sequence_sample_space": [
///     {"possible_prefix_suffix_pairs": [["A ", "-year-old woman …"], …], "candidate_set": ["25", "35", …],
///      "intervention_choice": null, "parent_indices": null, "exogenous": true, "variable_name": "age"}, …],
///  "index_of_intervention": 12, "intervention_choices": [0, 1], "index_of_outcome": 13,
///  "possible_outcome_choices": [0, 1, 2, 3]}
/// ```
///
/// Variables keep the file's order (which is τ: parents always precede children in the reference's lists).
/// `intervention_choice` null means language-model sampled, `"uniform"` a uniform draw, and an integer a fixed
/// candidate. The reference picks one (prefix, suffix) pair per variable for each dataset variation k with
/// `np.random.seed(k)` and one `np.random.randint(0, pairs)` per variable; `phrasingIndices(variation:)`
/// reproduces that choice exactly.
public struct ReferenceConfiguration: Sendable {
    /// `experiment_name`.
    public let experimentName: String
    /// The variables, with every phrasing pair.
    public let variables: [Variable]
    /// Equations for variables whose `intervention_choice` is not null.
    public let equations: [String: any StructuralEquation]
    /// Index of the treatment (`index_of_intervention`).
    public let treatmentIndex: Int
    /// Candidate indices the treatment is set to (`intervention_choices`).
    public let interventionChoices: [Int]
    /// Index of the outcome (`index_of_outcome`).
    public let outcomeIndex: Int
    /// Outcome candidate indices (`possible_outcome_choices`).
    public let outcomeChoices: [Int]

    /// Reads the file at `path`.
    public init(path: String) throws {
        let read: Data?
        do { read = try BoundedRead.contents(of: path, limit: BoundedRead.configurationLimit) } catch let error as BoundedRead.TooLarge {
            throw ConfigurationError(path: "$", message: "'\(path)' is \(error.message), more than a configuration can be")
        }
        guard let data = read else {
            throw ConfigurationError(path: "$", message: "cannot read '\(path)'")
        }
        try self.init(json: data)
    }

    /// Whether a JSON document looks like a reference configuration (has `setup_sequence_sample_space`).
    public static func recognizes(_ data: Data) -> Bool {
        guard case .object(let members)? = try? JSONDocument.parse(data) else { return false }
        return members["setup_sequence_sample_space"] != nil
    }

    /// Parses a reference configuration.
    public init(json data: Data) throws {
        let root = JSONCursor(value: try JSONDocument.parse(data), path: "$")
        experimentName = try root.member("experiment_name")?.string() ?? "experiment"
        let entries = try root.required("setup_sequence_sample_space").array()
        guard !entries.isEmpty else { throw root.fail("\"setup_sequence_sample_space\" is empty") }
        var variables: [Variable] = []
        var equations: [String: any StructuralEquation] = [:]
        var names = Set<String>()
        for (index, entry) in entries.enumerated() {
            var name = try entry.member("variable_name")?.string() ?? "X\(index)"
            if names.contains(name) { name = "\(name) (X\(index))" }
            names.insert(name)
            let candidates = try entry.required("candidate_set").strings()
            guard !candidates.isEmpty else { throw ConfigurationError(path: entry.path + ".candidate_set", message: "the domain is empty") }
            let pairs = try entry.required("possible_prefix_suffix_pairs").array().map { pair -> Variable.Phrasing in
                let parts = try pair.strings()
                guard parts.count == 2 else { throw pair.fail("expected [prefix, suffix], found \(parts.count) strings") }
                return Variable.Phrasing(prefix: parts[0], suffix: parts[1])
            }
            guard !pairs.isEmpty else { throw ConfigurationError(path: entry.path + ".possible_prefix_suffix_pairs", message: "no phrasing") }
            var parents: [String] = []
            if let list = try entry.member("parent_indices") {
                for (position, parent) in try list.array().enumerated() {
                    let parentIndex = try parent.integer()
                    guard parentIndex >= 0 && parentIndex < index else {
                        throw ConfigurationError(path: "\(list.path)[\(position)]",
                                                 message: "parent index \(parentIndex) must refer to an earlier variable")
                    }
                    parents.append(variables[parentIndex].name)
                }
            }
            let exogenous = try entry.member("exogenous")?.bool() ?? false
            let variable = Variable(name: name, domain: .categorical(candidates), phrasings: pairs, parents: parents,
                                    exogenous: exogenous)
            if let choice = try entry.member("intervention_choice") {
                if case .string(let text) = choice.value {
                    guard text == "uniform" else { throw choice.fail("expected null, \"uniform\" or a candidate index") }
                    equations[name] = UniformEquation()
                } else {
                    let fixed = try choice.integer()
                    guard fixed >= 0 && fixed < candidates.count else {
                        throw choice.fail("candidate index \(fixed) is out of range (0..<\(candidates.count))")
                    }
                    equations[name] = ProbabilityTable(probabilities: [candidates[fixed]: 1])
                }
            }
            variables.append(variable)
        }
        func index(_ key: String) throws -> Int {
            let cursor = try root.required(key)
            let value = try cursor.integer()
            guard value >= 0 && value < variables.count else { throw cursor.fail("index \(value) is out of range (0..<\(variables.count))") }
            return value
        }
        treatmentIndex = try index("index_of_intervention")
        outcomeIndex = try index("index_of_outcome")
        func choices(_ key: String, of variable: Int) throws -> [Int] {
            guard let cursor = try root.member(key) else { return Array(variables[variable].values!.indices) }
            return try cursor.array().map { element in
                let value = try element.integer()
                guard value >= 0 && value < variables[variable].values!.count else { throw element.fail("candidate index \(value) is out of range") }
                return value
            }
        }
        interventionChoices = try choices("intervention_choices", of: treatmentIndex)
        outcomeChoices = try choices("possible_outcome_choices", of: outcomeIndex)
        self.variables = variables
        self.equations = equations
        do { _ = try Graph(variables) } catch let error as CausalModelError {
            throw ConfigurationError(path: "$.setup_sequence_sample_space", message: error.description)
        }
    }

    /// The phrasing index of every variable in dataset variation `variation`, as `sample_setup_dict` draws them:
    /// `np.random.seed(variation)`, then `np.random.randint(0, pairs)` for each variable in order.
    public func phrasingIndices(variation: UInt32) -> [Int] {
        var generator = MersenneTwister(seed: variation)
        return variables.map { generator.legacyRandomInteger(below: $0.phrasings.count) }
    }

    /// The same model in SDSCM's native terms, with the phrasings of `variation` (nil: the first of each).
    public func configuration(variation: UInt32? = nil) -> CausalModelConfiguration {
        let indices = variation.map { phrasingIndices(variation: $0) } ?? [Int](repeating: 0, count: variables.count)
        return CausalModelConfiguration(
            variables: variables, equations: equations,
            phrasings: Dictionary(uniqueKeysWithValues: zip(variables.map(\.name), indices)),
            treatment: variables[treatmentIndex].name, outcome: variables[outcomeIndex].name,
            scoring: .reference, scoresSuffix: false)
    }
}

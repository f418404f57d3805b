import SDSCMRandomness

/// What a structural equation sees: the variable, its phrasing, and its parents' values and texts.
public struct EquationInput: Sendable {
    /// The variable whose value is being determined.
    public let variable: Variable
    /// The phrasing the model uses for it.
    public let phrasing: Variable.Phrasing
    /// Each parent's value, by name.
    public let parentValues: [String: String]
    /// The parents' rendered texts, in τ order.
    public let parentTexts: [String]
    /// The context string the language model reads (depends on the scoring mode).
    public let context: String

    /// An input as the causal model builds it (`CausalModel` renders `parentTexts` and `context` from the
    /// phrasings; build one by hand to test an equation on its own).
    public init(variable: Variable, phrasing: Variable.Phrasing? = nil, parentValues: [String: String],
                parentTexts: [String] = [], context: String = "") {
        self.variable = variable
        self.phrasing = phrasing ?? variable.phrasings[0]
        self.parentValues = parentValues
        self.parentTexts = parentTexts
        self.context = context
    }
}

/// A categorical variable's mechanism: its distribution over the domain given its parents.
///
/// The noise is not part of the equation: the sampler combines these log-probabilities with keyed Gumbel noise,
/// which is what makes replayed and abducted counterfactuals possible for every equation alike. Language-model
/// equations mix freely with user-defined ones.
public protocol StructuralEquation: Sendable {
    /// Log-weights over `input.variable`'s categorical values (normalized by the caller; `-infinity` means
    /// impossible). `model` gives access to the language model (through its batcher).
    func logWeights(_ input: EquationInput, model: CausalModel) async throws -> [Double]

    /// Whether equal inputs always give equal outputs, so results can be memoized per rendered context
    /// (language-model and table equations are; a closure may declare it is not).
    var isMemoizable: Bool { get }

    /// A stable description of what the equation computes, part of `CausalModel.fingerprint` (default: the
    /// type's name; equations with parameters include them).
    var fingerprint: String { get }
}

extension StructuralEquation {
    /// Memoizable unless the equation says otherwise.
    public var isMemoizable: Bool { true }
    /// The type's fully qualified name (equations without parameters need no more).
    public var fingerprint: String { String(reflecting: Self.self) }
}

/// The language model's distribution over the candidates, by the model's scoring mode (the SD-SCM mechanism).
public struct LanguageModelScoring: StructuralEquation {
    /// The language-model mechanism (it has no parameters).
    public init() {}

    /// The language model's raw scores of the candidates after the input's context, in the model's scoring mode.
    public func logWeights(_ input: EquationInput, model: CausalModel) async throws -> [Double] {
        try await model.scoreCandidates(input)
    }
}

/// Free text generated token by token by the language model (the mechanism of `.text` variables). Sampling is
/// done by the sampler, which applies the variable's temperature, top-k and top-p and keyed per-token noise.
public struct LanguageModelGeneration: StructuralEquation {
    /// The free-text mechanism (it has no parameters).
    public init() {}

    /// Throws `needsCategorical`: free text has no categorical distribution; the sampler generates it.
    public func logWeights(_ input: EquationInput, model: CausalModel) async throws -> [Double] {
        throw CausalModelError.needsCategorical(variable: input.variable.name, query: "a categorical distribution")
    }
}

/// Every value equally likely, whatever the parents (the paper's "sampled manually, e.g., uniformly").
public struct UniformEquation: StructuralEquation {
    /// The uniform mechanism (it has no parameters).
    public init() {}

    /// Zero log-weight for every value.
    public func logWeights(_ input: EquationInput, model: CausalModel) async throws -> [Double] {
        [Double](repeating: 0, count: input.variable.values?.count ?? 0)
    }
}

/// A conditional probability table: for each assignment of (some of) the parents, probabilities over the values.
///
/// Rows are tried in order; the first whose `when` values all match the parents' values applies, so an empty
/// `when` is a default row. Probabilities need not sum to one (they are renormalized); zero means impossible.
public struct ProbabilityTable: StructuralEquation, Hashable {
    /// One row: parent values to match, and the probability of each value (by value).
    public struct Row: Sendable, Hashable {
        /// Parent name → value this row requires; parents not listed match anything (empty: a default row).
        public var when: [String: String]
        /// Value → probability (or non-negative weight); missing values have probability zero.
        public var probabilities: [String: Double]

        /// A row applying when the parents match `when` (by default, always).
        public init(when: [String: String] = [:], probabilities: [String: Double]) {
            self.when = when
            self.probabilities = probabilities
        }
    }

    /// The rows, tried in order.
    public let rows: [Row]

    /// A table of `rows`, tried in order.
    public init(rows: [Row]) {
        self.rows = rows
    }

    /// The same probabilities whatever the parents.
    public init(probabilities: [String: Double]) {
        rows = [Row(probabilities: probabilities)]
    }

    /// The rows, with keys sorted, so equal tables give equal fingerprints.
    public var fingerprint: String {
        "ProbabilityTable" + rows.map { row in
            "[" + row.when.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "|"
                + row.probabilities.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",") + "]"
        }.joined()
    }

    /// The log-probabilities of the first matching row; throws `invalidEquation` when no row matches.
    public func logWeights(_ input: EquationInput, model: CausalModel) async throws -> [Double] {
        let values = input.variable.values ?? []
        guard let row = rows.first(where: { row in row.when.allSatisfy { input.parentValues[$0.key] == $0.value } }) else {
            let assignment = input.parentValues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            throw CausalModelError.invalidEquation(variable: input.variable.name, reason: "no table row matches \(assignment)")
        }
        return values.map { value in
            let probability = row.probabilities[value] ?? 0
            return probability > 0 ? PortableMath.log(probability) : -.infinity
        }
    }

    /// Checks the table against its variable: known parents and values, non-negative finite probabilities, some
    /// positive mass in every row.
    package func validate(for variable: Variable) throws {
        let values = Set(variable.values ?? [])
        for (index, row) in rows.enumerated() {
            for parent in row.when.keys where !variable.parents.contains(parent) {
                throw CausalModelError.invalidEquation(variable: variable.name, reason: "row \(index) names '\(parent)', which is not a parent")
            }
            for (value, probability) in row.probabilities {
                guard values.contains(value) else { throw CausalModelError.valueOutsideDomain(variable: variable.name, value: value) }
                guard probability >= 0 && probability.isFinite else {
                    throw CausalModelError.invalidEquation(variable: variable.name, reason: "row \(index) gives '\(value)' probability \(probability)")
                }
            }
            guard row.probabilities.values.contains(where: { $0 > 0 }) else {
                throw CausalModelError.invalidEquation(variable: variable.name, reason: "row \(index) has no positive probability")
            }
        }
    }
}

/// A user-defined mechanism: a closure from the parents' values to probabilities over the values.
public struct ClosureEquation: StructuralEquation {
    private let body: @Sendable ([String: String]) throws -> [String: Double]
    /// Whether the closure gives the same answer for the same parents (then it is evaluated once per assignment).
    public let isMemoizable: Bool
    /// Names the closure in the model's fingerprint (closures cannot be compared): give different closures
    /// different names.
    public let name: String

    /// `body` returns a probability (or non-negative weight) per value; missing values have probability zero.
    public init(name: String = "closure", memoizable: Bool = true,
                _ body: @escaping @Sendable ([String: String]) throws -> [String: Double]) {
        self.body = body
        self.name = name
        isMemoizable = memoizable
    }

    /// The closure's name and whether it is memoizable.
    public var fingerprint: String { "ClosureEquation(\(name), memoizable: \(isMemoizable))" }

    /// The closure's probabilities as log-weights; throws `valueOutsideDomain` for a value not in the domain.
    public func logWeights(_ input: EquationInput, model: CausalModel) async throws -> [Double] {
        let probabilities = try body(input.parentValues)
        for key in probabilities.keys where !(input.variable.values ?? []).contains(key) {
            throw CausalModelError.valueOutsideDomain(variable: input.variable.name, value: key)
        }
        return try (input.variable.values ?? []).map { value in
            let probability = probabilities[value] ?? 0
            guard probability.isFinite, probability >= 0 else {
                throw CausalModelError.invalidEquation(variable: input.variable.name,
                                                       reason: "its weight for '\(value)' is \(probability); weights must be finite and ≥ 0")
            }
            return probability > 0 ? PortableMath.log(probability) : -.infinity
        }
    }
}

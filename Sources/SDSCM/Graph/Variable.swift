/// One variable of a sequence-driven SCM: its name, what values it can take, how it is phrased in text, and
/// which variables it listens to.
public struct Variable: Sendable, Hashable {
    /// What values a variable takes.
    public enum Domain: Sendable, Hashable {
        /// One of a finite list of candidate strings (the paper's finite sample space).
        case categorical([String])
        /// Text generated token by token, up to `maxTokens` tokens, stopping before the first stop string.
        case text(TextOptions)
    }

    /// How free text is generated.
    public struct TextOptions: Sendable, Hashable {
        /// Most tokens generated.
        public var maxTokens: Int
        /// Generation stops where any of these strings first appears; the value is the text before it.
        public var stop: [String]
        /// Softmax temperature; 0 is greedy.
        public var temperature: Double
        /// Keep only the k most likely tokens (0: no limit).
        public var topK: Int
        /// Keep the smallest set of most likely tokens whose probability reaches p (1: no limit).
        public var topP: Double

        /// Generation options; by default temperature 1, no top-k or top-p limit, and no stop strings.
        public init(maxTokens: Int, stop: [String] = [], temperature: Double = 1, topK: Int = 0, topP: Double = 1) {
            self.maxTokens = maxTokens
            self.stop = stop
            self.temperature = temperature
            self.topK = topK
            self.topP = topP
        }
    }

    /// Text around the value: a variable with value v reads `prefix + v + suffix`.
    public struct Phrasing: Sendable, Hashable {
        /// Text before the value.
        public var prefix: String
        /// Text after the value.
        public var suffix: String

        /// A phrasing that reads `prefix + value + suffix`.
        public init(prefix: String, suffix: String) {
            self.prefix = prefix
            self.suffix = suffix
        }
    }

    /// Unique name.
    public var name: String
    /// Candidate values or free text.
    public var domain: Domain
    /// Alternative phrasings; a model uses one per variable (`CausalModel.phrasingChoice`), the first by default.
    public var phrasings: [Phrasing]
    /// Names of the parents. Their order does not matter: contexts list parents in the graph's topological order.
    public var parents: [String]
    /// The paper's exogenous flag: kept fixed in paper-semantics counterfactuals and never intervened on there.
    public var exogenous: Bool

    /// A variable; by default phrased as its bare value, a root (no parents) and not exogenous.
    public init(name: String, domain: Domain, phrasings: [Phrasing] = [Phrasing(prefix: "", suffix: "")],
                parents: [String] = [], exogenous: Bool = false) {
        self.name = name
        self.domain = domain
        self.phrasings = phrasings
        self.parents = parents
        self.exogenous = exogenous
    }

    /// A categorical variable.
    public static func categorical(_ name: String, _ values: [String], prefix: String = "", suffix: String = "",
                                   parents: [String] = [], exogenous: Bool = false) -> Variable {
        Variable(name: name, domain: .categorical(values), phrasings: [Phrasing(prefix: prefix, suffix: suffix)],
                 parents: parents, exogenous: exogenous)
    }

    /// A free-text variable.
    public static func text(_ name: String, _ options: TextOptions, prefix: String = "", suffix: String = "",
                            parents: [String] = []) -> Variable {
        Variable(name: name, domain: .text(options), phrasings: [Phrasing(prefix: prefix, suffix: suffix)],
                 parents: parents)
    }

    /// The candidate values of a categorical variable (nil for free text).
    public var values: [String]? {
        if case .categorical(let values) = domain { return values }
        return nil
    }

    /// Whether the variable is free text.
    public var isText: Bool {
        if case .text = domain { return true }
        return false
    }
}

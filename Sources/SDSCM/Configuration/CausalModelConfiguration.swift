import Foundation

/// A causal model described in a JSON file: variables with their domains, phrasings, parents and optional
/// user-defined equations, plus the treatment and outcome a benchmark studies.
///
/// ```json
/// {"variables": [
///    {"name": "age", "values": ["young", "old"], "phrasings": [["The patient is ", ". "]], "parents": [],
///     "exogenous": true},
///    {"name": "dose", "values": ["low", "high"], "parents": ["age"], "equation": {"uniform": true}},
///    {"name": "note", "text": {"max_tokens": 20, "stop": ["."]}, "phrasings": [["Notes: ", ""]], "parents": ["age"]}],
///  "treatment": "dose", "outcome": "note"}
/// ```
///
/// Every error names its JSON path. See Documentation/Configuration.md for every key.
public struct CausalModelConfiguration: Sendable {
    /// The variables, in file order.
    public var variables: [Variable]
    /// User-defined equations by variable name (the rest are language-model mechanisms).
    public var equations: [String: any StructuralEquation]
    /// Phrasing index per variable (`"phrasing": k`), default 0.
    public var phrasings: [String: Int]
    /// The treatment variable, if the file names one.
    public var treatment: String?
    /// The outcome variable, if the file names one.
    public var outcome: String?
    /// The covariates a benchmark's hidden-confounding view hides (`"hidden"`), if the file lists them; otherwise a
    /// benchmark hides the exogenous covariates.
    public var hidden: [String]?
    /// The scoring mode the file asks for (`"scoring"`), if any.
    public var scoring: ScoringMode?
    /// Whether `sum`/`mean` scoring includes suffixes (`"score_suffix"`).
    public var scoresSuffix: Bool

    /// A configuration assembled in code.
    public init(variables: [Variable], equations: [String: any StructuralEquation] = [:], phrasings: [String: Int] = [:],
                treatment: String? = nil, outcome: String? = nil, hidden: [String]? = nil, scoring: ScoringMode? = nil,
                scoresSuffix: Bool = false) {
        self.variables = variables
        self.equations = equations
        self.phrasings = phrasings
        self.treatment = treatment
        self.outcome = outcome
        self.hidden = hidden
        self.scoring = scoring
        self.scoresSuffix = scoresSuffix
    }

    /// Reads the file at `path`: SDSCM's format, or the reference code's (recognized by its
    /// `setup_sequence_sample_space` key; phrasings of variation 0 then, scoring `reference`).
    public init(path: String) throws {
        // FileHandle also reads pipes and process substitutions (`--config <(…)`).
        let read: Data?
        do { read = try BoundedRead.contents(of: path, limit: BoundedRead.configurationLimit) } catch let error as BoundedRead.TooLarge {
            throw ConfigurationError(path: "$", message: "'\(path)' is \(error.message), more than a configuration can be")
        }
        guard let data = read else {
            throw ConfigurationError(path: "$", message: "cannot read '\(path)'")
        }
        if ReferenceConfiguration.recognizes(data) {
            self = try ReferenceConfiguration(json: data).configuration(variation: 0)
            return
        }
        try self.init(json: data)
    }

    /// Parses a configuration document.
    public init(json data: Data) throws {
        let root = JSONCursor(value: try JSONDocument.parse(data), path: "$")
        try root.allowOnly(["variables", "treatment", "outcome", "hidden", "scoring", "score_suffix", "name", "description"])
        var variables: [Variable] = []
        var equations: [String: any StructuralEquation] = [:]
        var phrasings: [String: Int] = [:]
        let entries = try root.required("variables").array()
        guard !entries.isEmpty else { throw root.fail("\"variables\" is empty") }
        var names = Set<String>()
        for entry in entries {
            try entry.allowOnly(["name", "values", "text", "phrasings", "parents", "exogenous", "equation", "phrasing", "description"])
            let name = try entry.required("name").string()
            guard !name.isEmpty else { throw entry.fail("\"name\" is empty") }
            // Names become CSV columns (`unit`, `text`, `logP(X=x)`, `X|do(T=t)`): they must not collide with the
            // fixed columns or contain `=` or `|`, which `logP(X=x)` and `X|do(T=t)` are parsed by.
            guard !["unit", "text"].contains(name) else { throw entry.fail("variable name '\(name)' is reserved for an output column") }
            if let bad = name.first(where: { "=|".contains($0) }) {
                throw entry.fail("variable name '\(name)' contains '\(bad)', which output column names use")
            }
            guard names.insert(name).inserted else { throw entry.fail("variable '\(name)' is defined twice") }
            let values = try entry.member("values")
            let text = try entry.member("text")
            let domain: Variable.Domain
            switch (values, text) {
            case (let values?, nil):
                let list = try values.strings()
                guard !list.isEmpty else { throw values.fail("the domain is empty") }
                var seen = Set<String>()
                for (index, value) in list.enumerated() where !seen.insert(value).inserted {
                    throw ConfigurationError(path: "\(values.path)[\(index)]", message: "value '\(value)' is listed twice")
                }
                domain = .categorical(list)
            case (nil, let text?):
                domain = .text(try Self.textOptions(text))
            case (nil, nil): throw entry.fail("give either \"values\" (categorical) or \"text\" (free text)")
            case (.some, .some): throw entry.fail("give either \"values\" or \"text\", not both")
            }
            var phrasingList = [Variable.Phrasing(prefix: "", suffix: "")]
            if let list = try entry.member("phrasings") {
                phrasingList = try list.array().map { pair in
                    let parts = try pair.strings()
                    guard parts.count == 2 else { throw pair.fail("expected [prefix, suffix], found \(parts.count) strings") }
                    return Variable.Phrasing(prefix: parts[0], suffix: parts[1])
                }
                guard !phrasingList.isEmpty else { throw list.fail("at least one phrasing is needed") }
            }
            if let choice = try entry.member("phrasing") {
                let index = try choice.integer()
                guard index >= 0 && index < phrasingList.count else {
                    throw choice.fail("phrasing \(index) does not exist (there are \(phrasingList.count))")
                }
                phrasings[name] = index
            }
            let parents = try entry.member("parents")?.strings() ?? []
            let exogenous = try entry.member("exogenous")?.bool() ?? false
            let variable = Variable(name: name, domain: domain, phrasings: phrasingList, parents: parents, exogenous: exogenous)
            if let equation = try entry.member("equation") {
                equations[name] = try Self.equation(equation, for: variable)
            }
            variables.append(variable)
        }
        // Parents and the treatment/outcome must name variables; report them at their paths.
        for (entry, variable) in zip(entries, variables) {
            if let parents = try entry.member("parents") {
                for (index, parent) in variable.parents.enumerated() where !names.contains(parent) {
                    throw ConfigurationError(path: "\(parents.path)[\(index)]", message: "unknown variable '\(parent)'")
                }
            }
        }
        // A table row's condition must name a value of the parent (a typo would make the row never match).
        let domains = Dictionary(uniqueKeysWithValues: variables.map { ($0.name, $0.values) })
        for entry in entries {
            guard let rows = try entry.member("equation")?.member("table")?.array() else { continue }
            for row in rows {
                guard let condition = try row.member("when") else { continue }
                for (parent, value) in try condition.object() {
                    if case .string(let text) = value, let domain = domains[parent] ?? nil, !domain.contains(text) {
                        throw ConfigurationError(path: condition.path + "." + parent, message: "'\(text)' is not a value of '\(parent)'")
                    }
                }
            }
        }
        treatment = try root.member("treatment")?.string()
        outcome = try root.member("outcome")?.string()
        for key in ["treatment", "outcome"] {
            if let name = try root.member(key)?.string(), !names.contains(name) {
                throw ConfigurationError(path: "$.\(key)", message: "unknown variable '\(name)'")
            }
        }
        if let list = try root.member("hidden") {
            let items = try list.array()
            hidden = try items.enumerated().map { index, item in
                let name = try item.string()
                guard names.contains(name) else { throw ConfigurationError(path: "$.hidden[\(index)]", message: "unknown variable '\(name)'") }
                return name
            }
        }
        if let mode = try root.member("scoring") {
            let text = try mode.string()
            guard let parsed = ScoringMode(rawValue: text) else { throw mode.fail("expected \"sum\", \"mean\" or \"reference\", found \"\(text)\"") }
            scoring = parsed
        }
        scoresSuffix = try root.member("score_suffix")?.bool() ?? false
        self.variables = variables
        self.equations = equations
        self.phrasings = phrasings
        // Graph-level problems (cycles) are reported by building the graph now.
        do { _ = try Graph(variables) } catch let error as CausalModelError {
            throw ConfigurationError(path: "$.variables", message: error.description)
        }
    }

    /// The validated graph.
    public func graph() throws -> Graph { try Graph(variables) }

    /// A model over `languageModel` (nil if every equation is user-defined); `scoring` overrides the file's.
    public func makeModel(languageModel: (any LanguageModel)?, scoring: ScoringMode? = nil) throws -> CausalModel {
        try CausalModel(graph: graph(), languageModel: languageModel, equations: equations, phrasings: phrasings,
                        scoring: scoring ?? self.scoring ?? .sum, scoresSuffix: scoresSuffix)
    }

    static func textOptions(_ cursor: JSONCursor) throws -> Variable.TextOptions {
        try cursor.allowOnly(["max_tokens", "stop", "temperature", "top_k", "top_p"])
        let maxTokens = try cursor.required("max_tokens")
        let limit = try maxTokens.integer()
        guard limit > 0 else { throw maxTokens.fail("must be positive") }
        var options = Variable.TextOptions(maxTokens: limit)
        if let stop = try cursor.member("stop") {
            options.stop = try stop.strings()
            if let empty = options.stop.firstIndex(of: "") {
                throw ConfigurationError(path: "\(stop.path)[\(empty)]", message: "a stop string cannot be empty")
            }
        }
        if let temperature = try cursor.member("temperature") {
            options.temperature = try temperature.number()
            guard options.temperature >= 0 && options.temperature.isFinite else { throw temperature.fail("must be ≥ 0") }
        }
        if let topK = try cursor.member("top_k") {
            options.topK = try topK.integer()
            guard options.topK >= 0 else { throw topK.fail("must be ≥ 0") }
        }
        if let topP = try cursor.member("top_p") {
            options.topP = try topP.number()
            guard options.topP > 0 && options.topP <= 1 else { throw topP.fail("must be in (0, 1]") }
        }
        return options
    }

    /// `{"uniform": true}`, `{"probabilities": {value: p}}` or `{"table": [{"when": {parent: value}, "probabilities": {…}}]}`.
    static func equation(_ cursor: JSONCursor, for variable: Variable) throws -> any StructuralEquation {
        guard let domain = variable.values else {
            throw cursor.fail("free-text variables are generated by the language model; remove \"equation\"")
        }
        try cursor.allowOnly(["uniform", "probabilities", "table"])
        let members = try cursor.object()
        guard members.count == 1 else { throw cursor.fail("give exactly one of \"uniform\", \"probabilities\", \"table\"") }
        func probabilities(_ cursor: JSONCursor) throws -> [String: Double] {
            var result: [String: Double] = [:]
            for (value, probability) in try cursor.object() {
                let entry = JSONCursor(value: probability, path: cursor.path + "." + value)
                guard domain.contains(value) else { throw entry.fail("'\(value)' is not a value of '\(variable.name)'") }
                let p = try entry.number()
                guard p >= 0 && p.isFinite else { throw entry.fail("probabilities must be finite and ≥ 0") }
                result[value] = p
            }
            guard result.values.contains(where: { $0 > 0 }) else { throw cursor.fail("no value has positive probability") }
            return result
        }
        if let uniform = try cursor.member("uniform") {
            guard try uniform.bool() else { throw uniform.fail("only true is meaningful") }
            return UniformEquation()
        }
        if let fixed = try cursor.member("probabilities") {
            return ProbabilityTable(probabilities: try probabilities(fixed))
        }
        let table = try cursor.required("table")
        let rows = try table.array().map { row -> ProbabilityTable.Row in
            try row.allowOnly(["when", "probabilities"])
            var when: [String: String] = [:]
            if let condition = try row.member("when") {
                for (parent, value) in try condition.object() {
                    let entry = JSONCursor(value: value, path: condition.path + "." + parent)
                    guard variable.parents.contains(parent) else { throw entry.fail("'\(parent)' is not a parent of '\(variable.name)'") }
                    when[parent] = try entry.string()
                }
            }
            return ProbabilityTable.Row(when: when, probabilities: try probabilities(try row.required("probabilities")))
        }
        guard !rows.isEmpty else { throw table.fail("the table has no rows") }
        return ProbabilityTable(rows: rows)
    }
}

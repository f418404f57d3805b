import SDSCM

/// The columns of a benchmark's tables, derived from its design: the one definition the writer
/// (`DatasetGenerator`) and the reader (`EvaluationDataset` in SDSCMEvaluation) share, so neither parses the
/// other's column names.
///
/// Three layouts: the reference code's (unnamed index, `X<i>` value indices, raw `logP(X<i>=<k>)` scores, and per
/// treatment arm `X<i>|do(X<t>=<k>)` and `logP(X<y>=<k>)|do(X<t>=<k>)`), the extended one (named columns with
/// true propensities, per arm the shared-noise outcome and exact outcome probabilities, ITEs, text), and the
/// hidden-confounding view (visible covariates, treatment, outcome, exact CATE given the visible covariates).
public struct BenchmarkSchema: Sendable, Hashable {
    /// Variable names, in declaration order.
    public let variables: [String]
    /// Each variable's values (nil for free text).
    public let domains: [[String]?]
    /// Index of the treatment.
    public let treatment: Int
    /// The treatment's arms, as indices into its values; the first is the control every other arm is compared to.
    public let arms: [Int]
    /// Index of the outcome.
    public let outcome: Int
    /// The covariates an analyst adjusts for: the treatment's non-descendants, in declaration order.
    public let covariates: [Int]
    /// The covariates hidden in the hidden-confounding view: the configuration's `"hidden"` list if it has one,
    /// else the exogenous covariates.
    public let hidden: [Int]
    /// The hidden view's covariates, in τ order (the order of its table).
    public let visible: [Int]

    /// The schema of `design`'s tables.
    public init(design: BenchmarkDesign) throws {
        let graph = try design.configuration.graph()
        let descendants = graph.descendants(of: design.treatmentIndex)
        variables = graph.variables.map(\.name)
        domains = graph.variables.map(\.values)
        treatment = design.treatmentIndex
        arms = design.arms
        outcome = design.outcomeIndex
        let covariates = graph.variables.indices.filter { $0 != design.treatmentIndex && !descendants.contains($0) }
        self.covariates = covariates
        let hiddenSet: [Int]
        if let names = design.configuration.hidden {
            var hidden: [Int] = []
            for (position, name) in names.enumerated() {
                let index = try graph.index(of: name)
                guard covariates.contains(index) else {
                    throw ConfigurationError(path: "$.hidden[\(position)]",
                                             message: "'\(name)' is not a covariate (the treatment or one of its descendants)")
                }
                hidden.append(index)
            }
            hiddenSet = covariates.filter(hidden.contains)
        } else {
            hiddenSet = covariates.filter { graph.variables[$0].exogenous }
        }
        hidden = hiddenSet
        visible = graph.order.filter { covariates.contains($0) && !hiddenSet.contains($0) }
    }

    /// A schema read off a reference-layout header when no design is at hand (the reference's released CSVs): its
    /// `X<i>` columns give the variables, the `logP` columns the treatment, the outcome and their value counts, and
    /// the `do()` columns the arms; values are known only as indices. The covariates are then the variables before
    /// the treatment (the reference lists variables in τ order, parents first), and nothing is known to be hidden.
    /// The header must equal the one this schema writes.
    public init?(referenceHeader header: [String]) {
        guard header.first == "" else { return nil }
        var count = 0
        while count + 1 < header.count, header[count + 1] == "X\(count)" { count += 1 }
        func scoreColumn(_ text: String) -> (variable: Int, value: Int)? {
            guard text.hasPrefix("logP(X"), text.hasSuffix(")"), !text.contains("|") else { return nil }
            let parts = text.dropFirst(6).dropLast().split(separator: "=")
            guard parts.count == 2, let variable = Int(parts[0]), let value = Int(parts[1]) else { return nil }
            return (variable, value)
        }
        let scores = header.dropFirst(count + 1).prefix { scoreColumn($0) != nil }.compactMap(scoreColumn)
        guard count > 0, let first = scores.first, let last = scores.last, first.variable != last.variable else { return nil }
        let treatment = first.variable, outcome = last.variable
        let treatmentValues = scores.filter { $0.variable == treatment }.count
        let outcomeValues = scores.filter { $0.variable == outcome }.count
        let armColumns = header.filter { $0.hasPrefix("X\(treatment)|do(X\(treatment)=") }
        let arms = armColumns.compactMap { Int($0.dropFirst("X\(treatment)|do(X\(treatment)=".count).dropLast()) }
        guard treatment < count, outcome < count, !arms.isEmpty else { return nil }
        variables = (0..<count).map { "X\($0)" }
        domains = (0..<count).map { index in
            index == treatment ? (0..<treatmentValues).map(String.init) : index == outcome ? (0..<outcomeValues).map(String.init) : nil
        }
        self.treatment = treatment
        self.arms = arms
        self.outcome = outcome
        covariates = Array(0..<treatment)
        hidden = []
        visible = covariates
        guard referenceHeader == header else { return nil }
    }

    /// `(treated, control)` arm pairs: every arm but the first against the first.
    public var contrasts: [(treated: Int, control: Int)] { arms.dropFirst().map { ($0, arms[0]) } }

    private var treatmentName: String { variables[treatment] }
    private var outcomeName: String { variables[outcome] }
    private var treatmentValues: [String] { domains[treatment]! }
    private var outcomeValues: [String] { domains[outcome]! }

    // MARK: Reference layout

    /// `do(X<t>=<k>)` for arm k.
    public func referenceArmLabel(_ arm: Int) -> String { "do(X\(treatment)=\(arm))" }

    /// The reference layout's header (57 columns for the breast-cancer design).
    public var referenceHeader: [String] {
        var header = [""] + variables.indices.map { "X\($0)" }
        header += treatmentValues.indices.map { referenceScoreColumn(value: $0, of: treatment) }
        header += outcomeValues.indices.map { referenceScoreColumn(value: $0, of: outcome) }
        for arm in arms {
            header += variables.indices.map { "X\($0)|\(referenceArmLabel(arm))" }
            header += outcomeValues.indices.map { referenceScoreColumn(value: $0, of: outcome, arm: arm) }
        }
        return header
    }

    /// `X<i>`: variable i's value index.
    public func referenceValueColumn(_ variable: Int) -> String { "X\(variable)" }

    /// `logP(X<i>=<k>)`, or under arm a `logP(X<i>=<k>)|do(X<t>=<a>)`: the raw score of value k.
    public func referenceScoreColumn(value: Int, of variable: Int, arm: Int? = nil) -> String {
        "logP(X\(variable)=\(value))" + (arm.map { "|" + referenceArmLabel($0) } ?? "")
    }

    // MARK: Extended layout

    /// `do(<treatment>=<value>)` for an arm.
    public func armLabel(_ arm: Int) -> String { "do(\(treatmentName)=\(treatmentValues[arm]))" }

    /// ` [<treated> vs <control>]` when there are several contrasts, else nothing.
    public func contrastSuffix(_ contrast: (treated: Int, control: Int)) -> String {
        contrasts.count == 1 ? "" : " [\(treatmentValues[contrast.treated]) vs \(treatmentValues[contrast.control])]"
    }

    /// `P(<treatment>=<value>)`: the true propensity of a treatment value.
    public func propensityColumn(_ value: Int) -> String { "P(\(treatmentName)=\(treatmentValues[value]))" }

    /// `<outcome>|do(...)`: the shared-noise counterfactual outcome under an arm.
    public func armOutcomeColumn(_ arm: Int) -> String { "\(outcomeName)|\(armLabel(arm))" }

    /// `P(<outcome>=<value>)|do(...)` or, with `log`, `logP(...)`: an arm's exact potential-outcome probability.
    public func armProbabilityColumn(_ arm: Int, value: Int, log: Bool) -> String {
        "\(log ? "logP" : "P")(\(outcomeName)=\(outcomeValues[value]))|\(armLabel(arm))"
    }

    /// `ITE P(<outcome>=<value>)` or `ITE logP(...)`, with the contrast suffix: a unit's exact effect.
    public func iteColumn(_ contrast: (treated: Int, control: Int), value: Int, log: Bool) -> String {
        "ITE \(log ? "logP" : "P")(\(outcomeName)=\(outcomeValues[value]))" + contrastSuffix(contrast)
    }

    /// The extended layout's header.
    public var extendedHeader: [String] {
        var header = ["unit"] + variables
        header += treatmentValues.indices.map(propensityColumn)
        for arm in arms {
            header.append(armOutcomeColumn(arm))
            header += outcomeValues.indices.map { armProbabilityColumn(arm, value: $0, log: false) }
            header += outcomeValues.indices.map { armProbabilityColumn(arm, value: $0, log: true) }
        }
        for contrast in contrasts {
            header += outcomeValues.indices.map { iteColumn(contrast, value: $0, log: false) }
            header += outcomeValues.indices.map { iteColumn(contrast, value: $0, log: true) }
        }
        return header + ["text"]
    }

    // MARK: Hidden view

    /// `CATE P(<outcome>=<value>)` or `CATE logP(...)`, with the contrast suffix: the exact CATE given the visible
    /// covariates.
    public func cateColumn(_ contrast: (treated: Int, control: Int), value: Int, log: Bool) -> String {
        "CATE \(log ? "logP" : "P")(\(outcomeName)=\(outcomeValues[value]))" + contrastSuffix(contrast)
    }

    /// The hidden view's header.
    public var hiddenHeader: [String] {
        var header = ["unit"] + visible.map { variables[$0] } + [treatmentName, outcomeName]
        for contrast in contrasts {
            header += outcomeValues.indices.map { cateColumn(contrast, value: $0, log: false) }
            header += outcomeValues.indices.map { cateColumn(contrast, value: $0, log: true) }
        }
        return header
    }
}

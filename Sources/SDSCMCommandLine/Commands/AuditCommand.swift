import SDSCMAudit
import SDSCMBenchmarks
import Foundation
import SDSCM

/// `sdscm audit`: does an attribute causally change a language model's downstream outcome?
public enum AuditCommand: Command {
    /// The command's name on the command line.
    public static let name = "audit"
    /// One line for `sdscm help`.
    public static let summary = "Audit a language model: the effect of changing an attribute on an outcome, with CI and flip rate."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm audit --config <json> [--model <gguf>] --attribute VAR --outcome VAR [--units N] [--seed S] [--baseline VALUE] [--bootstrap B] [--scoring sum|mean|reference] --report <dir>"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Samples N units (default 1000) and replays each under every value of the attribute with the unit's own \
        noise (shared-noise counterfactuals). Reports, for each non-baseline attribute value and outcome value, the \
        mean change in the outcome's probability (each unit's outcome mechanism at its counterfactual parents) with \
        a 95% percentile bootstrap interval over units (B resamples, default 1000, keyed by the seed), the share \
        of units whose sampled outcome flips relative to the baseline value, and per attribute value the mean \
        outcome probabilities and outcome frequencies. Writes report.md, audit.json and units.csv (per unit: \
        factual attribute and outcome, and per attribute value the counterfactual outcome and its probabilities).
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [CausalOptions.configSpec] + ModelOptions.specs + [
        .value("attribute", "VAR", "The audited (categorical) variable."),
        .value("outcome", "VAR", "The (categorical) outcome, a descendant of the attribute."),
        .value("units", "N", "Units to sample (default 1000)."),
        .value("seed", "S", "Seed of the noise and the bootstrap (default 0)."),
        .value("baseline", "VALUE", "Attribute value the others are compared with (default: the first)."),
        .value("bootstrap", "B", "Bootstrap resamples (default 1000)."),
        .value("scoring", "MODE", "Candidate scoring: sum, mean or reference (default: the configuration's)."),
        .value("report", "DIR", "Output folder."),
    ]

    /// Runs the audit, writes `audit.json`, `units.csv` and `report.md` to the report folder, and prints the effects.
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        guard arguments.positionals.isEmpty else { throw UsageError(command: name, "unexpected argument '\(arguments.positionals[0])'") }
        guard let attribute = arguments.value("attribute") else { throw UsageError(command: name, "missing --attribute VAR") }
        guard let outcome = arguments.value("outcome") else { throw UsageError(command: name, "missing --outcome VAR") }
        guard let report = arguments.value("report") else { throw UsageError(command: name, "missing --report <dir>") }
        let units = try ModelOptions.positiveInteger(arguments, "units", default: 1000, command: name)
        let bootstrap = try ModelOptions.positiveInteger(arguments, "bootstrap", default: 1000, command: name)
        let seed = try ModelOptions.seed(arguments, default: 0, command: name)
        let configuration = try CausalOptions.configuration(arguments, command: name)
        let model = try await CausalOptions.model(configuration, arguments, command: name)
        let audit = try CausalAudit(model: model, attribute: attribute, outcome: outcome, seed: seed)
        let values = model.graph.variables[audit.attribute].values!
        var baseline = 0
        if let text = arguments.value("baseline") {
            guard let index = values.firstIndex(of: text) else {
                throw CausalModelError.valueOutsideDomain(variable: attribute, value: text)
            }
            baseline = index
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let (result, records) = try await audit.run(units: units, baseline: baseline, bootstrap: bootstrap)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        let folder = URL(fileURLWithPath: report)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(result), to: folder.appendingPathComponent("audit.json").path)
        let outcomeValues = model.graph.variables[audit.outcome].values!
        var table = DataTable(header: ["unit", attribute, outcome] + values.flatMap { value in
            ["\(outcome)|do(\(attribute)=\(value))"] + outcomeValues.map { "P(\(outcome)=\($0))|do(\(attribute)=\(value))" }
        })
        for record in records {
            var row = [String(record.unit), record.factualAttribute, record.factualOutcome]
            for (a, _) in values.enumerated() {
                row.append(record.outcomes[a])
                row += record.probabilities[a].map(DataTable.number)
            }
            try table.append(row)
        }
        try AtomicFile.write(Data(table.csv.utf8), to: folder.appendingPathComponent("units.csv").path)
        try AtomicFile.write(Data(markdown(result, outcomeValues: outcomeValues, values: values).utf8),
                             to: folder.appendingPathComponent("report.md").path)

        io.print("audit of \(attribute) → \(outcome): \(units) units, seed \(seed), \(String(format: "%.2f", seconds)) s")
        for effect in result.effects {
            io.print(String(format: "  do(%@=%@) vs do(%@=%@): ΔP(%@=%@) = %+.4g  [%+.4g, %+.4g]", attribute, effect.attributeValue,
                            attribute, result.baseline, outcome, effect.outcomeValue, effect.estimate, effect.lower, effect.upper))
        }
        for entry in result.breakdown where entry.attributeValue != result.baseline {
            io.print(String(format: "  flip rate %@ vs %@: %.4f", entry.attributeValue, result.baseline, entry.flipRate))
        }
        io.print("report: \(report)/report.md")
    }

    static func markdown(_ result: CausalAudit.Result, outcomeValues: [String], values: [String]) -> String {
        var text = "# Audit: does `\(result.attribute)` change `\(result.outcome)`?\n\n"
        text += "\(result.units) units (seed \(result.seed)), each replayed under every value of `\(result.attribute)` with its own noise. "
        text += "Effects are mean changes in the outcome's probability against `\(result.attribute) = \(result.baseline)`, with 95% percentile bootstrap intervals (\(result.bootstrapSamples) resamples of units).\n\n"
        text += "## Average effects\n\n| intervention | outcome | ΔP | 95% interval |\n|---|---|---|---|\n"
        for effect in result.effects {
            text += String(format: "| do(%@=%@) | %@ | %+.4g | [%+.4g, %+.4g] |\n", result.attribute, effect.attributeValue,
                           effect.outcomeValue, effect.estimate, effect.lower, effect.upper)
        }
        text += "\n## Per attribute value\n\nMean counterfactual probability of each outcome value (sampled frequency in brackets) and the share of units whose sampled outcome differs from the baseline's (shared noise).\n\n"
        text += "| \(result.attribute) | " + outcomeValues.joined(separator: " | ") + " | flip rate |\n|---|" + String(repeating: "---|", count: outcomeValues.count + 1) + "\n"
        for entry in result.breakdown {
            text += "| \(entry.attributeValue) | " + outcomeValues.map {
                String(format: "%.4g (%.4f)", entry.meanProbabilities[$0] ?? 0, entry.frequencies[$0] ?? 0)
            }.joined(separator: " | ") + String(format: " | %.4f |\n", entry.flipRate)
        }
        text += String(format: "\nUnits whose outcome changes for some value of `%@`: %.4f.\n", result.attribute, result.anyFlipRate)
        return text
    }
}

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
    public static let synopsis = "sdscm audit --config <json> [--model <gguf>]... --attribute VAR --outcome VAR [--units N] [--seed S] [--baseline VALUE] [--bootstrap B] [--variations V] [--mediator VAR] [--scoring sum|mean|reference] --report <dir>"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Samples N units (default 1000) and replays each under every value of the attribute with the unit's own \
        noise (shared-noise counterfactuals). Reports, for each non-baseline attribute value and outcome value, the \
        mean change in the outcome's probability (each unit's outcome mechanism at its counterfactual parents) with \
        a 95% percentile bootstrap interval over units (B resamples, default 1000, keyed by the seed), the share \
        of units whose sampled outcome flips relative to the baseline value, and per attribute value the mean \
        outcome probabilities and outcome frequencies. Writes report.md, audit.json and units.csv (per unit: \
        factual attribute and outcome, and per attribute value the counterfactual outcome and its probabilities).
        Phrasing variations: with V > 1 (default: the most phrasings any variable has) the audit runs N units in \
        each of variations 0..V-1 (phrasings drawn as the reference draws them, np.random.seed(k); seeds per \
        variation as benchmark datasets get them) and pools them; audit.json adds per-variation effects and the \
        standardized SATE (mean change over the standard deviation, ddof 1, of the factual outcome probability), \
        and units.csv a variation column. --mediator VAR adds the natural direct and indirect effects through VAR \
        (nested shared-noise counterfactuals; exact by enumeration when the graph allows). Several --model \
        flags audit each model on the same design and add a side-by-side table with a two-sided test of each \
        difference (units-<k>.csv for the k-th model after the first).
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [CausalOptions.configSpec] + ModelOptions.specs + [
        .value("attribute", "VAR", "The audited (categorical) variable."),
        .value("outcome", "VAR", "The (categorical) outcome, a descendant of the attribute."),
        .value("units", "N", "Units to sample (default 1000)."),
        .value("seed", "S", "Seed of the noise and the bootstrap (default 0)."),
        .value("baseline", "VALUE", "Attribute value the others are compared with (default: the first)."),
        .value("bootstrap", "B", "Bootstrap resamples (default 1000)."),
        .value("variations", "V", "Phrasing variations pooled (default: the most phrasings any variable has)."),
        .value("mediator", "VAR", "Also decompose each effect into natural direct and indirect effects through VAR."),
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
        let mostPhrasings = configuration.variables.map(\.phrasings.count).max() ?? 1
        let variationCount = try ModelOptions.positiveInteger(arguments, "variations", default: mostPhrasings, command: name)
        let pooled = variationCount > 1
        let variations = (0..<variationCount).map { k in
            (variation: k, phrasingIndices: pooled ? BenchmarkDesign.phrasingIndices(of: configuration, variation: k)
                                                   : configuration.variables.map { configuration.phrasings[$0.name] ?? 0 })
        }
        let modelNames = arguments.values("model")
        let perModel: [ParsedArguments] = modelNames.count <= 1 ? [arguments] : modelNames.map { path in
            var copy = arguments
            copy.setValue("model", path)
            return copy
        }
        let folder = URL(fileURLWithPath: report)
        try SafeFile.createFolder(folder)
        var results: [CausalAudit.Result] = []
        var mediation: [MediationSummary] = []
        var baselineValue = ""
        var outcomeDomain: [String] = []
        let start = DispatchTime.now().uptimeNanoseconds
        for (k, modelArguments) in perModel.enumerated() {
            let first = try await CausalOptions.model(configuration, modelArguments, command: name)
            var audits: [CausalAudit] = []
            for variation in variations {
                var varied = configuration
                if pooled {
                    varied.phrasings = Dictionary(uniqueKeysWithValues: zip(configuration.variables.map(\.name), variation.phrasingIndices))
                }
                let model = pooled ? try varied.makeModel(languageModel: first.languageModel, scoring: first.scoring) : first
                let variationSeed = pooled ? BenchmarkRunner.noiseSeed(runSeed: seed, dataset: variation.variation) : seed
                audits.append(try CausalAudit(model: model, attribute: attribute, outcome: outcome, seed: variationSeed))
            }
            let values = audits[0].model.graph.variables[audits[0].attribute].values!
            var baseline = 0
            if let text = arguments.value("baseline") {
                guard let index = values.firstIndex(of: text) else {
                    throw CausalModelError.valueOutsideDomain(variable: attribute, value: text)
                }
                baseline = index
            }
            baselineValue = values[baseline]
            var result: CausalAudit.Result, strata: [[CausalAudit.UnitRecord]]
            if pooled {
                (result, strata) = try await CausalAudit.pooled(audits, variations: variations, units: units, baseline: baseline, bootstrap: bootstrap)
            } else {
                let run = try await audits[0].run(units: units, baseline: baseline, bootstrap: bootstrap)
                (result, strata) = (run.result, [run.records])
            }
            if perModel.count > 1 { result.model = modelNames[k] }
            results.append(result)
            let outcomeValues = audits[0].model.graph.variables[audits[0].outcome].values!
            outcomeDomain = outcomeValues
            try writeUnits(strata, variations: pooled ? variations.map(\.variation) : nil, attribute: attribute, outcome: outcome,
                           values: values, outcomeValues: outcomeValues,
                           to: folder.appendingPathComponent(k == 0 ? "units.csv" : "units-\(k).csv"))
            if let mediator = arguments.value("mediator"), k == 0 {
                for value in values.indices where value != baseline {
                    var summary = MediationSummary(mediator: mediator, treated: values[value], control: values[baseline], sampled: [], exact: nil, exactUnavailable: nil)
                    // Pooled like the effects: each variation's units, averaged with equal unit weights.
                    var parts: [[MediationAnalysis.Decomposition]] = []
                    for audit in audits {
                        let analysis = try MediationAnalysis(model: audit.model, treatment: attribute, mediator: mediator, outcome: outcome, seed: audit.seed)
                        parts.append(try await analysis.sampled(units: units, treated: values[value], control: values[baseline]))
                    }
                    summary.sampled = MediationSummary.pool(parts)
                    if !pooled {
                        do {
                            let analysis = try MediationAnalysis(model: audits[0].model, treatment: attribute, mediator: mediator, outcome: outcome, seed: seed)
                            summary.exact = try await analysis.exact(treated: values[value], control: values[baseline])
                        } catch let error as MediationAnalysis.MediationError {
                            summary.exactUnavailable = error.description
                        } catch let error as CausalModelError {
                            summary.exactUnavailable = error.description
                        }
                    }
                    mediation.append(summary)
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let comparisons = results.count > 1 ? results.dropFirst().flatMap { CausalAudit.compare(results[0], $0) } : []
        let document = AuditDocument(result: results[0], mediation: mediation.isEmpty ? nil : mediation,
                                     models: results.count > 1 ? results : nil, comparison: comparisons.isEmpty ? nil : comparisons)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(document), to: folder.appendingPathComponent("audit.json").path)
        let result = results[0]
        let values = result.breakdown.map(\.attributeValue)
        try AtomicFile.write(Data(markdown(document, outcomeValues: outcomeDomain, values: values).utf8),
                             to: folder.appendingPathComponent("report.md").path)

        io.print("audit of \(attribute) → \(outcome): \(result.units) units\(pooled ? " (\(variationCount) variations of \(units))" : ""), seed \(seed), \(String(format: "%.2f", seconds)) s")
        for effect in result.effects {
            io.print(String(format: "  do(%@=%@) vs do(%@=%@): ΔP(%@=%@) = %+.4g  [%+.4g, %+.4g]", attribute, effect.attributeValue,
                            attribute, baselineValue, outcome, effect.outcomeValue, effect.estimate, effect.lower, effect.upper))
        }
        for entry in result.breakdown where entry.attributeValue != result.baseline {
            io.print(String(format: "  flip rate %@ vs %@: %.4f", entry.attributeValue, result.baseline, entry.flipRate))
        }
        for summary in mediation {
            for part in summary.sampled {
                io.print(String(format: "  through %@, %@ vs %@, P(%@=%@): total %+.4g = direct %+.4g + indirect %+.4g",
                                summary.mediator, summary.treated, summary.control, outcome, part.outcomeValue, part.total, part.direct, part.indirect))
            }
        }
        for comparison in comparisons {
            io.print(String(format: "  %@ − %@: ΔP(%@=%@) under do(%@=%@) differs by %+.4g (SE %.3g, p = %.3g)", comparison.first, comparison.second,
                            outcome, comparison.outcomeValue, attribute, comparison.attributeValue, comparison.difference,
                            comparison.standardError, comparison.pValue))
        }
        io.print("report: \(report)/report.md")
    }

    /// `audit.json`: the (first model's, pooled) result at the top level as before, plus what the options added.
    struct AuditDocument: Encodable {
        var result: CausalAudit.Result
        var mediation: [MediationSummary]?
        var models: [CausalAudit.Result]?
        var comparison: [CausalAudit.ModelComparison]?

        func encode(to encoder: Encoder) throws {
            try result.encode(to: encoder)
            enum Keys: String, CodingKey { case mediation, models, comparison }
            var container = encoder.container(keyedBy: Keys.self)
            try container.encodeIfPresent(mediation, forKey: .mediation)
            try container.encodeIfPresent(models, forKey: .models)
            try container.encodeIfPresent(comparison, forKey: .comparison)
        }
    }

    /// Natural effects through the mediator for one treated value against the baseline.
    struct MediationSummary: Encodable {
        init(mediator: String, treated: String, control: String, sampled: [MediationAnalysis.Decomposition],
             exact: [MediationAnalysis.Decomposition]?, exactUnavailable: String?) {
            self.mediator = mediator
            self.treated = treated
            self.control = control
            self.sampled = sampled
            self.exact = exact
            self.exactUnavailable = exactUnavailable
        }
        var mediator: String, treated: String, control: String
        var sampled: [MediationAnalysis.Decomposition]
        var exact: [MediationAnalysis.Decomposition]?
        var exactUnavailable: String?

        /// Equal-size strata pooled: means of the parts, standard errors combined as for a mean of means.
        static func pool(_ parts: [[MediationAnalysis.Decomposition]]) -> [MediationAnalysis.Decomposition] {
            guard parts.count > 1 else { return parts[0] }
            let k = Double(parts.count)
            return parts[0].indices.map { o in
                func mean(_ key: KeyPath<MediationAnalysis.Decomposition, Double>) -> Double { parts.reduce(0) { $0 + $1[o][keyPath: key] } / k }
                func se(_ key: KeyPath<MediationAnalysis.Decomposition, Double?>) -> Double? {
                    let squares = parts.compactMap { $0[o][keyPath: key] }.map { $0 * $0 }
                    return squares.count == parts.count ? squares.reduce(0, +).squareRoot() / k : nil
                }
                return MediationAnalysis.Decomposition(outcomeValue: parts[0][o].outcomeValue, total: mean(\.total), direct: mean(\.direct),
                                                       indirect: mean(\.indirect), totalSE: se(\.totalSE), directSE: se(\.directSE),
                                                       indirectSE: se(\.indirectSE))
            }
        }
    }

    /// `units.csv`: per unit the factual attribute and outcome and every arm's outcome and probabilities (and the
    /// variation, when pooled).
    static func writeUnits(_ strata: [[CausalAudit.UnitRecord]], variations: [Int]?, attribute: String, outcome: String,
                           values: [String], outcomeValues: [String], to url: URL) throws {
        var header = ["unit", attribute, outcome] + values.flatMap { value in
            ["\(outcome)|do(\(attribute)=\(value))"] + outcomeValues.map { "P(\(outcome)=\($0))|do(\(attribute)=\(value))" }
        }
        if variations != nil { header.append("variation") }
        var table = DataTable(header: header)
        for (s, records) in strata.enumerated() {
            for record in records {
                var row = [String(record.unit), record.factualAttribute, record.factualOutcome]
                for a in values.indices {
                    row.append(record.outcomes[a])
                    row += record.probabilities[a].map(DataTable.number)
                }
                if let variations { row.append(String(variations[s])) }
                try table.append(row)
            }
        }
        try AtomicFile.write(Data(table.csv.utf8), to: url.path)
    }

    static func markdown(_ document: AuditDocument, outcomeValues: [String], values: [String]) -> String {
        let result = document.result
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
        if let standardized = result.standardized {
            text += "\n## Standardized effects\n\nSample ATE over the standard deviation (ddof 1) of the factual units' outcome probability, as the paper's Fig. 6 reports audits"
            text += result.variations == nil ? ".\n\n" : "; pooled, then per phrasing variation.\n\n"
            text += "| variation | intervention | outcome | SATE | sd | standardized |\n|---|---|---|---|---|---|\n"
            func rows(_ label: String, _ effects: [CausalAudit.StandardizedEffect]) {
                for effect in effects {
                    text += "| \(label) | do(\(result.attribute)=\(effect.attributeValue)) | \(effect.outcomeValue) | "
                        + String(format: "%+.4g", effect.sate) + " | " + (effect.outcomeSD.map { String(format: "%.4g", $0) } ?? "–") + " | "
                        + (effect.standardized.map { String(format: "%+.4g", $0) } ?? "–") + " |\n"
                }
            }
            rows(result.variations == nil ? "all" : "pooled", standardized)
            for variation in result.variations ?? [] {
                rows("\(variation.variation) (phrasings \(variation.phrasingIndices.map(String.init).joined(separator: ",")))", variation.standardized)
            }
        }
        if let mediation = document.mediation {
            text += "\n## Natural direct and indirect effects\n\nEach unit replayed under do(treated), do(control) and do(treated, mediator = its value under control), all with its own noise: total = direct + indirect in every unit. Exact values by the mediation formula where the graph allows.\n\n"
            text += "| mediator | contrast | outcome | total | direct | indirect | exact total | exact direct | exact indirect |\n|---|---|---|---|---|---|---|---|---|\n"
            for summary in mediation {
                for (o, part) in summary.sampled.enumerated() {
                    let exact = summary.exact?[o]
                    func cell(_ value: Double, _ se: Double?) -> String { String(format: "%+.4g", value) + (se.map { String(format: " ± %.2g", $0) } ?? "") }
                    text += "| \(summary.mediator) | \(summary.treated) vs \(summary.control) | \(part.outcomeValue) | \(cell(part.total, part.totalSE)) | \(cell(part.direct, part.directSE)) | \(cell(part.indirect, part.indirectSE)) | "
                    text += exact.map { String(format: "%+.4g | %+.4g | %+.4g |\n", $0.total, $0.direct, $0.indirect) } ?? "– | – | – |\n"
                }
                if let reason = summary.exactUnavailable { text += "\nExact values unavailable: \(reason).\n\n" }
            }
        }
        if let comparison = document.comparison {
            text += "\n## Models side by side\n\nPooled effects of each model on the same design and seeds, and a two-sided normal test of each difference (independent samples).\n\n"
            text += "| first | second | intervention | outcome | first ΔP | second ΔP | difference | SE | p |\n|---|---|---|---|---|---|---|---|---|\n"
            for row in comparison {
                text += "| \(row.first) | \(row.second) | do(\(result.attribute)=\(row.attributeValue)) | \(row.outcomeValue) | "
                    + String(format: "%+.4g | %+.4g | %+.4g | %.3g | %.3g |\n", row.firstEstimate, row.secondEstimate, row.difference, row.standardError, row.pValue)
            }
        }
        return text
    }
}

import SDSCMBundledModels
import Foundation
import SDSCM
import SDSCMEngine

/// `sdscm demo`: the whole stack on the bundled tiny model and its known world, offline.
public enum DemoCommand: Command {
    /// The command's name on the command line.
    public static let name = "demo"
    /// One line for `sdscm help`.
    public static let summary = "Show SD-SCM sampling, a counterfactual and effect estimates on the bundled tiny model (offline)."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm demo [--units N] [--seed S] [--model <gguf>] [--threads N] [--json]"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Uses the tiny model bundled with the package, trained on a known eight-variable world (Tests/Tools/tiny-model), \
        and that world's configuration. Prints the DAG, five sampled units, one unit's counterfactual under the \
        other treatment (shared noise: only descendants of the treatment can change), then the treatment's effect \
        on P(recovered) three ways: the world's true ATE, the SD-SCM's exact ATE computed by enumeration on the \
        bundled model, and estimates from N sampled units (default 2,000): the mean of each unit's counterfactual \
        contrast, and the naive observational difference in means, which confounding by severity and age biases.
        --json prints the numbers as {"world_ate", "exact_ate", "counterfactual_ate", "counterfactual_standard_error", \
        "naive_difference", "units", "seconds", …}.
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [
        .value("units", "N", "Units sampled for the estimates (default 2000)."),
        .value("seed", "S", "Seed (default 2026)."),
        .value("model", "PATH", "Use another GGUF model on the same world (default: the bundled tiny model)."),
        .value("threads", "N", "Compute threads (default: one per processor)."),
        .flag("json", "Print the numbers as JSON."),
    ]

    /// Runs the demo on the bundled model (or `--model`), printing text or, with `--json`, one JSON document.
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        guard arguments.positionals.isEmpty else {
            throw UsageError(command: name, "unexpected argument '\(arguments.positionals[0])'")
        }
        let units = try ModelOptions.positiveInteger(arguments, "units", default: 2000, command: name)
        let seed = try ModelOptions.seed(arguments, default: 2026, command: name)
        let start = DispatchTime.now().uptimeNanoseconds
        let configuration = try BundledModels.tinyWorldConfiguration()
        let truth = try BundledModels.tinyWorldTruth()
        let languageModel = try await ModelOptions.languageModel(arguments, command: name)
        let model = try configuration.makeModel(languageModel: languageModel)
        let graph = model.graph
        let treatment = configuration.treatment!, outcome = configuration.outcome!
        let treatmentIndex = try graph.index(of: treatment), outcomeIndex = try graph.index(of: outcome)
        let (treated, control) = ("drug", "rest")
        let sampler = Sampler(model: model, seed: seed)
        let json = arguments.flag("json")

        if !json {
            io.print("The world (Tests/Tools/tiny-model/world.py), as a DAG in τ order:")
            let width = graph.variables.map(\.name.count).max() ?? 0
            for index in graph.order {
                let variable = graph.variables[index]
                var line = "  " + variable.name.padding(to: width)
                let parents = graph.parentIndices[index].map { graph.variables[$0].name }
                if !parents.isEmpty { line += "  ← " + parents.joined(separator: ", ") }
                if variable.exogenous { line += "  (exogenous)" }
                if variable.isText { line += "  (free text)" }
                io.print(line)
            }
            io.print("")
            io.print("Five units sampled from the SD-SCM (seed \(seed)):")
        }
        let examples = try await sampler.sample(units: 0..<5)
        if !json { for unit in examples { io.print("  \(unit.index): " + unit.document) } }

        // One counterfactual, side by side: the first example that received the control.
        let factual = examples.first { $0.values[treatmentIndex] == control } ?? examples[0]
        let other = factual.values[treatmentIndex] == control ? treated : control
        let counterfactual = try await sampler.counterfactual(of: factual, interventions: [treatment: .value(other)])
        if !json {
            io.print("")
            io.print("Unit \(factual.index) had \(treatment) = \(factual.values[treatmentIndex]). Had it been \(other) (shared noise):")
            let width = graph.variables.map(\.name.count).max() ?? 0
            io.print("  " + "".padding(to: width) + "  " + "factual".padding(to: 18) + "  counterfactual")
            for index in graph.order {
                let changed = factual.values[index] != counterfactual.values[index]
                io.print("  " + graph.variables[index].name.padding(to: width) + "  "
                         + factual.values[index].padding(to: 18) + "  " + counterfactual.values[index] + (changed ? "   *" : ""))
            }
            io.print("  factual:        " + factual.document)
            io.print("  counterfactual: " + counterfactual.document)
        }

        // Effects on P(recovered).
        let exactATE = try await ExactInference(model: model).averageTreatmentEffect(
            treatment: treatment, outcome: outcome, value: "recovered", treated: treated, control: control)
        let rows = try await model.mapUnits(Array(0..<units)) { index in
            let unit = try await sampler.sample(unit: index)
            let y1 = try await sampler.counterfactual(of: unit, interventions: [treatment: .value(treated)]).values[outcomeIndex] == "recovered"
            let y0 = try await sampler.counterfactual(of: unit, interventions: [treatment: .value(control)]).values[outcomeIndex] == "recovered"
            return (contrast: Double((y1 ? 1 : 0) - (y0 ? 1 : 0)),
                    treated: unit.values[treatmentIndex] == treated, recovered: unit.values[outcomeIndex] == "recovered")
        }
        let contrasts = rows.map(\.contrast)
        let observed = rows.map { (treated: $0.treated, recovered: $0.recovered) }
        let mean = contrasts.reduce(0, +) / Double(units)
        let variance = contrasts.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(units - 1, 1))
        let standardError = (variance / Double(units)).squareRoot()
        let treatedOutcomes = observed.filter(\.treated), controlOutcomes = observed.filter { !$0.treated }
        func rate(_ rows: [(treated: Bool, recovered: Bool)]) -> Double {
            rows.isEmpty ? .nan : Double(rows.filter(\.recovered).count) / Double(rows.count)
        }
        let naive = rate(treatedOutcomes) - rate(controlOutcomes)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if json {
            io.print(JSONValue.object([
                ("world_ate", .double(truth.worldAte)), ("exact_ate", .double(exactATE)),
                ("counterfactual_ate", .double(mean)), ("counterfactual_standard_error", .double(standardError)),
                ("naive_difference", .double(naive)), ("units", .int(units)), ("seed", .uint(seed)),
                ("examples", .array(examples.map { .string($0.document) })),
                ("counterfactual", .object([("unit", .int(factual.index)), ("intervention", .string("do(\(treatment)=\(other))")),
                                            ("factual", .array(factual.values.map(JSONValue.string))),
                                            ("counterfactual", .array(counterfactual.values.map(JSONValue.string)))])),
                ("seconds", .double(seconds)),
            ]).rendered())
        } else {
            io.print("")
            io.print("Effect of \(treatment) = \(treated) vs \(control) on P(\(outcome) = recovered):")
            io.print(String(format: "  world's true ATE (from its tables)               %+.3f", truth.worldAte))
            io.print(String(format: "  SD-SCM exact ATE (bundled model, enumeration)    %+.3f", exactATE))
            io.print(String(format: "  mean counterfactual contrast, %5d units        %+.3f ± %.3f", units, mean, standardError))
            io.print(String(format: "  naive difference in means, same units            %+.3f   (confounded by severity and age)", naive))
            io.print(String(format: "(%.1f s)", seconds))
        }
    }
}

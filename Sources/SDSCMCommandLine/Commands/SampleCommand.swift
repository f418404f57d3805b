import Foundation
import SDSCMBenchmarks
import SDSCM

/// `sdscm sample`: observational, interventional and counterfactual units from a configuration, as CSV.
public enum SampleCommand: Command {
    /// The command's name on the command line.
    public static let name = "sample"
    /// One line for `sdscm help`.
    public static let summary = "Sample units (observational, interventional, counterfactual) from a causal model to CSV."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm sample --config <json> --model <gguf> --units N --seed S [--do VAR=VALUE]... [--given VAR=VALUE]... [--counterfactual VAR=VALUE]... [--semantics shared-noise|paper] [--evidence VARS] [--scoring sum|mean|reference] [--logprobs] [--threads N] --out <csv>"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Draws units 0..<N. Each variable is the Gumbel-max of its mechanism's log-probabilities and noise keyed by \
        (seed, unit, variable, candidate or token), so a unit does not depend on N, on the other units or on the \
        thread count: the same command gives a byte-identical file.
        --do VAR=VALUE (repeatable) intervenes in every unit; VAR~uniform assigns a uniform random value per unit. \
        --given VAR=VALUE (repeatable) conditions on evidence: units come from P(V | evidence, do(…)), the \
        evidence's ancestors drawn from their exact posterior (enumeration, at most --limit joint assignments) and \
        everything else by its mechanism. This is not the reference's conditional-interventional query, which sets \
        the evidence by do() and leaves its ancestors at their prior; use --do for that. Conditioned units cannot \
        take --counterfactual arms.
        --counterfactual VAR=VALUE (repeatable) adds one counterfactual arm per flag, computed from each unit: with \
        shared-noise semantics (default) the unit's own noise is replayed, so non-descendants keep their values and \
        the factual value reproduces the unit; with paper semantics descendants are redrawn with fresh noise (the \
        paper's Algorithm 1).
        --evidence VAR[,VAR…] (repeatable, "" for none; paper semantics only) keeps exactly the exogenous and the listed variables at \
        their factual values in every arm and redraws all others, non-descendants included (the reference's \
        evidence_indices); without it, paper semantics keeps every non-descendant.
        Columns: unit, one per variable (declaration order), text (the unit's document); --logprobs adds \
        logP(VAR=VALUE) for every categorical value (the distribution the value was drawn from); then for each \
        arm VAR|do(X=x) for every variable, text|do(X=x), and with --logprobs logP(VAR=VALUE)|do(X=x). The file is \
        written atomically.
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [CausalOptions.configSpec] + ModelOptions.specs + [
        .value("units", "N", "Number of units (rows)."),
        .value("seed", "S", "Seed of all noise (unsigned 64-bit integer, default 0)."),
        .value("do", "VAR=VALUE", "Intervention applied to every unit (repeatable; VAR~uniform for a random one)."),
        CausalOptions.givenSpec,
        .value("limit", "N", "Most joint assignments enumerated for --given (default 1000000)."),
        .value("counterfactual", "VAR=VALUE", "A counterfactual arm (repeatable, one arm per flag)."),
        .value("semantics", "MODE", "Counterfactual semantics: shared-noise (default) or paper."),
        .value("evidence", "VARS", "With --semantics paper: variables the arms keep fixed (comma-separated or repeated; \"\" for none; the reference's evidence_indices). Exogenous and listed variables are kept, every other one redrawn."),
        .value("scoring", "MODE", "Candidate scoring: sum (default), mean or reference (sdscm.py's)."),
        .flag("logprobs", "Add logP(VAR=VALUE) columns."),
        .value("out", "FILE", "The CSV file to write."),
    ]

    /// Samples the units and their counterfactual arms and writes them to `--out` as CSV.
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        guard arguments.positionals.isEmpty else {
            throw UsageError(command: name, "unexpected argument '\(arguments.positionals[0])'")
        }
        guard let out = arguments.value("out") else { throw UsageError(command: name, "missing --out <file.csv>") }
        try CausalOptions.refuseOverwriting(out, inputs: [("config", arguments.value("config")), ("model", arguments.value("model"))],
                                            outputOption: "out", command: name)
        guard arguments.value("units") != nil else { throw UsageError(command: name, "missing --units N") }
        let units = try ModelOptions.positiveInteger(arguments, "units", default: 1, command: name)
        let seed = try ModelOptions.seed(arguments, default: 0, command: name)
        let semantics = try CausalOptions.semantics(arguments, command: name)
        let interventions = try CausalOptions.interventions(arguments, command: name)
        let arms = try arguments.values("counterfactual").map { text -> (label: String, interventions: [String: Intervention]) in
            let (variable, intervention) = try CausalOptions.intervention(text, option: "counterfactual", command: name)
            return ("do(\(text))", [variable: intervention])
        }
        if let repeated = arms.map(\.label).enumerated().first(where: { index, label in arms[..<index].contains { $0.label == label } }) {
            throw UsageError(command: name, "--counterfactual gives the arm \(repeated.element) twice")
        }
        let evidence = try CausalOptions.evidence(arguments, command: name)
        // Comma-separated or repeated; `--evidence ""` is the empty list (keep only the exogenous variables).
        let evidenceFlags = arguments.values("evidence")
        let evidenceList: [String]? = evidenceFlags.isEmpty ? nil
            : evidenceFlags.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        if evidenceList != nil {
            guard semantics == .paper else { throw UsageError(command: name, "--evidence needs --semantics paper") }
            guard !arms.isEmpty else { throw UsageError(command: name, "--evidence needs a --counterfactual arm") }
        }
        guard evidence.isEmpty || arms.isEmpty else {
            throw UsageError(command: name, "--given and --counterfactual cannot be combined: conditioned units are not replayable")
        }
        let limit = try ModelOptions.positiveInteger(arguments, "limit", default: 1_000_000, command: name)
        let configuration = try CausalOptions.configuration(arguments, command: name)
        let model = try await CausalOptions.model(configuration, arguments, command: name)
        let sampler = Sampler(model: model, seed: seed)
        let logprobs = arguments.flag("logprobs")
        let variables = model.graph.variables

        func columns(suffix: String) -> [String] {
            var header = variables.map { $0.name + suffix } + ["text" + suffix]
            if logprobs {
                for variable in variables {
                    for value in variable.values ?? [] { header.append("logP(\(variable.name)=\(value))" + suffix) }
                }
            }
            return header
        }
        @Sendable func fields(_ unit: SampledUnit) -> [String] {
            var row = unit.values + [unit.document]
            if logprobs {
                for (index, variable) in variables.enumerated() where variable.values != nil {
                    row += unit.logProbabilities[index]!.map(DataTable.number)
                }
            }
            return row
        }
        let table = DataTable(header: ["unit"] + columns(suffix: "") + arms.flatMap { columns(suffix: "|" + $0.label) })
        let start = DispatchTime.now().uptimeNanoseconds
        // Units in batched blocks: their language-model scoring shares passes (same bytes as one by one).
        // Rows are streamed to the output a block at a time (the same bytes as writing them all at once).
        try await AtomicFile.writeCSV(header: table.header, units: units, to: out) { range -> [[String]] in
            if !evidence.isEmpty {
                return try await sampler.sample(units: range, given: evidence, interventions: interventions, limit: limit)
                    .map { [String($0.index)] + fields($0) }
            }
            return try await model.mapUnits(Array(range)) { unit -> [String] in
                let factual = try await sampler.sample(unit: unit, interventions: interventions)
                var row = [String(unit)] + fields(factual)
                for arm in arms {
                    row += fields(try await sampler.counterfactual(of: factual, interventions: arm.interventions,
                                                                   semantics: semantics, label: arm.label,
                                                                   evidence: evidenceList))
                }
                return row
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let counters = model.counters
        io.print(String(format: "wrote %d units to %@ in %.2f s (contexts scored %d, tokens evaluated %d, cache hits %d)",
                        units, out, seconds, counters.contextsScored, counters.tokensEvaluated, counters.cacheHits))
    }
}

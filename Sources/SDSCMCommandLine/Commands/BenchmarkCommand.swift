import SDSCMBenchmarks
import Foundation
import SDSCM
import SDSCMEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sdscm benchmark`: treatment-effect benchmark datasets with exact ground truth, resumable and shardable.
public enum BenchmarkCommand: Command {
    /// The command's name on the command line.
    public static let name = "benchmark"
    /// One line for `sdscm help`.
    public static let summary = "Generate treatment-effect benchmark datasets (reference and extended CSVs, manifests)."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm benchmark --config <json> [--model <gguf>] [--datasets D] [--units N] [--seed S] --out <dir> [--shard i/n] [--variations V] [--scoring sum|mean|reference] [--semantics shared-noise|paper] [--threads N] [--name NAME] [--hidden-limit H] [--aggregate K]"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Reads SDSCM's configuration format or the reference code's (breast_cancer_config.json) unchanged; both \
        need a treatment and an outcome. With the reference's format, what the command line leaves out follows \
        the paper's design (1000 datasets of 1000 units, 50 variations, paper semantics in the reference table, \
        aggregates of 10; \
        the manifest's defaults_taken lists them); SDSCM's format needs --datasets and --units. \
        Dataset j uses variation j mod V (default V = 1), whose phrasings are \
        drawn as the reference draws them (np.random.seed(k), one randint per variable), and noise seeded from \
        (S, j). For each dataset it writes, atomically: reference/<name>_<j>.csv in the reference's column layout \
        (unnamed index, X0.., raw logP(Xt=k) and logP(Xy=k) scores, X_i|do(Xt=k) and logP(Xy=k)|do(Xt=k) per \
        arm, with --semantics for the counterfactual columns); extended/<name>_<j>.csv with named columns (values, \
        true propensities P(T=t), per arm the shared-noise counterfactual outcome and the exact outcome \
        probabilities and log-probabilities, ITEs on both scales, text); hidden/<name>_<j>.csv, the view without \
        exogenous variables, with the exact CATE given the visible covariates (skipped, with the reason in the \
        manifest, when the hidden variables have more than H joint assignments; each costs about as much scoring as \
        a unit per distinct visible assignment, so H defaults to 32 × N / min(N, joint visible values), at least \
        32); manifests/<name>_<j>.json; config.json, a copy of the configuration \
        (sdscm evaluate reads the tables' columns from it); and manifest.json combining them (model and config SHA-256, seeds, variation and phrasings per dataset, \
        counters, times). Datasets whose files verify against their manifest are skipped, so a killed run \
        resumes. --shard i/n generates only datasets j ≡ i (mod n). Scoring defaults to the configuration's \
        (reference for the reference format, else sum).
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [CausalOptions.configSpec] + ModelOptions.specs + [
        .value("datasets", "D", "Number of datasets."),
        .value("units", "N", "Units (rows) per dataset."),
        .value("seed", "S", "Run seed (unsigned 64-bit integer, default 0)."),
        .value("out", "DIR", "Output folder (created)."),
        .value("shard", "i/n", "Generate only datasets j with j mod n = i."),
        .value("variations", "V", "Number of phrasing variations (default 1)."),
        .value("scoring", "MODE", "Candidate scoring: sum, mean or reference (default: the configuration's)."),
        .value("semantics", "MODE", "Counterfactual semantics of the reference table: shared-noise (default) or paper."),
        .value("name", "NAME", "File name stem (default: the configuration file's)."),
        .value("aggregate", "K", "Also write aggregates of K same-variation datasets (the paper's 10k sets: K = 10) into aggregated-K/ (default: 10 for the reference's format, none otherwise)."),
        .flag("force", "Write into a folder that holds another run's benchmark (its datasets are regenerated as needed)."),
        .value("hidden-limit", "H", "Most joint hidden assignments enumerated per distinct visible assignment for the hidden view's CATE (default: 32 × units / min(units, joint visible values), at least 32; 0 skips the view)."),
    ]

    /// Generates this shard's missing datasets, then rewrites `manifest.json`.
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        guard arguments.positionals.isEmpty else { throw UsageError(command: name, "unexpected argument '\(arguments.positionals[0])'") }
        guard let configPath = arguments.value("config") else { throw UsageError(command: name, "missing --config <file.json>") }
        guard let out = arguments.value("out") else { throw UsageError(command: name, "missing --out <dir>") }
        if let stem = arguments.value("name") {
            // The stem becomes part of file names inside --out: nothing that leaves the folder or hides a file.
            guard !stem.isEmpty, !stem.contains("/"), !stem.hasPrefix("."), !stem.contains("\0") else {
                throw UsageError(command: name, "--name must be a plain file name stem (no '/', not starting with '.'), got '\(stem)'")
            }
        }
        let design = try BenchmarkDesign(path: configPath, name: arguments.value("name"))
        // The reference's configuration gets the paper's design for whatever the command line leaves out; ours
        // must say how many datasets and units it wants.
        let paper = design.isReferenceFormat ? PaperDesign.defaults : [:]
        var defaultsTaken: [String] = []
        for required in ["datasets", "units"] where arguments.value(required) == nil && paper[required] == nil {
            throw UsageError(command: name, "missing --\(required)")
        }
        func setting(_ option: String, fallback: Int) throws -> Int {
            if arguments.value(option) == nil, let value = paper[option] {
                defaultsTaken.append("\(option)=\(value)")
                return Int(value)!
            }
            return try ModelOptions.positiveInteger(arguments, option, default: fallback, command: name)
        }
        let datasets = try setting("datasets", fallback: 1)
        let units = try setting("units", fallback: 1)
        let variations = try setting("variations", fallback: 1)
        let seed = try ModelOptions.seed(arguments, default: 0, command: name)
        var aggregate = try ModelOptions.integer(arguments, "aggregate", in: 2...1_000_000, command: name)
        if aggregate == nil, let value = paper["aggregate"] {
            aggregate = Int(value)!
            defaultsTaken.append("aggregate=\(value)")
        }
        let hiddenLimit: Int
        if let value = try ModelOptions.nonNegativeInteger(arguments, "hidden-limit", command: name) {
            hiddenLimit = value
        } else {
            hiddenLimit = try BenchmarkSchema(design: design).automaticHiddenLimit(units: units)
            defaultsTaken.append("hidden-limit=\(hiddenLimit)")
        }
        var (shard, shards) = (0, 1)
        if let text = arguments.value("shard") {
            let parts = text.split(separator: "/")
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n > 0, i >= 0, i < n else {
                throw UsageError(command: name, "--shard must be i/n with 0 ≤ i < n, got '\(text)'")
            }
            (shard, shards) = (i, n)
        }
        var semantics = try CausalOptions.semantics(arguments, command: name)
        if arguments.value("semantics") == nil, let value = paper["semantics"] {
            semantics = CounterfactualSemantics(rawValue: value)!
            defaultsTaken.append("semantics=\(value)")
        }
        let scoringOverride = try CausalOptions.scoring(arguments, command: name)

        let scoring = scoringOverride ?? design.configuration.scoring ?? .sum
        let needsModel = try design.configuration.graph().variables.contains { variable in
            variable.isText || design.configuration.equations[variable.name] == nil
        }
        var languageModel: (any LanguageModel)?
        var modelRecord: BenchmarkManifest.FileRecord?
        var architecture: String?
        if needsModel {
            let model = try await ModelOptions.languageModel(arguments, command: name)
            languageModel = model
            let (record, kind) = try ModelOptions.modelRecord(model, arguments)
            modelRecord = record
            architecture = kind
        }
        let graph = try design.configuration.graph()
        let treatment = graph.variables[design.treatmentIndex]
        var run = BenchmarkManifest.Run(
            sdscmVersion: SDSCMCommandLine.version, name: design.name,
            config: .init(path: (configPath as NSString).lastPathComponent, sha256: try SHA256.hex(ofFile: configPath)),
            configFormat: design.isReferenceFormat ? "reference" : "sdscm", model: modelRecord,
            modelArchitecture: architecture,
            seed: seed, datasets: datasets, units: units, variations: variations, scoring: scoring.rawValue,
            semantics: semantics.rawValue, treatment: treatment.name,
            arms: design.arms.map { treatment.values![$0] }, outcome: graph.variables[design.outcomeIndex].name,
            hiddenLimit: hiddenLimit)
        run.defaultsTaken = defaultsTaken.isEmpty ? nil : defaultsTaken
        try refuseMixing(run, in: out, force: arguments.flag("force"))
        let runner = BenchmarkRunner(design: design, languageModel: languageModel, run: run, scoring: scoring,
                                     semantics: semantics, output: URL(fileURLWithPath: out))
        try runner.writeConfiguration(copying: configPath)
        let mine = BenchmarkRunner.datasets(datasets, shard: shard, of: shards)
        var progress = ProgressReporter(total: mine.count * units, io: io)
        var generated = 0, skipped = 0
        for index in mine {
            if runner.completed(index) != nil {
                skipped += 1
                progress.advance(by: units, note: "dataset \(index) already complete")
                continue
            }
            var done = 0
            _ = try await runner.generate(index) { unit in
                progress.advance(by: unit - done, note: "dataset \(index)")
                done = unit
            }
            generated += 1
        }
        progress.finish()
        let manifest = try runner.writeCombinedManifest()
        io.print("\(generated) datasets generated, \(skipped) already complete; \(manifest.datasets.count) of \(datasets) in \(out)/manifest.json")
        if let aggregate {
            let written = try runner.writeAggregates(size: aggregate)
            if !written.isEmpty {
                io.print("\(written.count) aggregates of \(aggregate) datasets (\(aggregate * units) rows) in \(out)/aggregated-\(aggregate)")
            }
        }
    }
}

extension BenchmarkCommand {
    /// Refuses to write into a folder whose `manifest.json` records another run (another seed, size, model, …):
    /// resuming would regenerate some datasets and keep others, and `evaluate` would then mix two benchmarks.
    static func refuseMixing(_ run: BenchmarkManifest.Run, in out: String, force: Bool) throws {
        let url = URL(fileURLWithPath: out).appendingPathComponent("manifest.json")
        guard !force, let data = FileManager.default.contents(atPath: url.path) else { return }
        guard let existing = try? JSONDecoder().decode(BenchmarkManifest.self, from: data) else {
            throw CommandFailure("'\(url.path)' is not a benchmark manifest this version can read; use another --out, or --force to write over it")
        }
        guard existing.run != run else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let old = (try? JSONSerialization.jsonObject(with: encoder.encode(existing.run))) as? [String: Any] ?? [:]
        let new = (try? JSONSerialization.jsonObject(with: encoder.encode(run))) as? [String: Any] ?? [:]
        func text(_ value: Any?) -> String {
            guard let value, let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) else { return "none" }
            return String(decoding: data, as: UTF8.self)
        }
        let keys = Set(old.keys).union(new.keys).sorted().filter { text(old[$0]) != text(new[$0]) }
        let differences = keys.map { "\($0) \(text(old[$0])) → \(text(new[$0]))" }
        throw CommandFailure("'\(out)' holds another run's benchmark (\(differences.joined(separator: "; "))); use another --out, or --force to regenerate into it")
    }
}

/// The paper's benchmark design (v2 §4.1): 50 phrasing variations, 20 datasets of 1,000 units each per
/// variation (dataset j in variation j mod 50), the reference's counterfactual semantics in the reference table,
/// and its 10,000-row sets aggregated from ten 1k datasets of a variation.
enum PaperDesign {
    /// Option name → value taken when a reference-format configuration's command line leaves it out.
    static let defaults: [String: String] = ["datasets": "1000", "units": "1000", "variations": "50", "semantics": "paper",
                                             "aggregate": "10"]
}

/// Progress on standard error: a redrawn bar with rate and ETA on a terminal, a line every ten seconds otherwise.
struct ProgressReporter {
    let total: Int
    let io: CommandIO
    let terminal = isatty(2) != 0
    let start = DispatchTime.now().uptimeNanoseconds
    var done = 0
    var lastPrint: UInt64 = 0

    init(total: Int, io: CommandIO) {
        self.total = total
        self.io = io
    }

    mutating func advance(by count: Int, note: String) {
        done += count
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastPrint > (terminal ? 200_000_000 : 10_000_000_000) || done == total else { return }
        lastPrint = now
        let seconds = Double(now - start) / 1e9
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        // "%d" is 32-bit in Foundation's format: interpolate the counts so totals past 2^31 print as themselves.
        let line = "\(done)/\(total) units (" + String(format: "%.1f", rate) + " units/s, ETA \(Self.duration(remaining))), \(note)"
        if terminal {
            let width = 30, filled = total > 0 ? width * done / total : width
            io.writeError("\r[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "] " + line + "\u{1B}[K")
        } else {
            io.printError(line)
        }
    }

    func finish() {
        if terminal { io.writeError("\n") }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}

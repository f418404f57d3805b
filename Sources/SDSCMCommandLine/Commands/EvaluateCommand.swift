import Foundation
import SDSCMBenchmarks
import SDSCMEstimators
import SDSCMEvaluation

/// `sdscm evaluate`: treatment-effect estimators over benchmark datasets, with a report in the paper's format.
public enum EvaluateCommand: Command {
    /// The command's name on the command line.
    public static let name = "evaluate"
    /// One line for `sdscm help`.
    public static let summary = "Run effect estimators over benchmark CSVs and write a report (tables, results.csv, SVG plots)."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm evaluate --data <dir> [--config <json>] [--view all|hidden|hidden-cate] [--estimators list] [--one-hot] [--seed S] --report <dir>"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Reads every CSV in --data (and in its extended/ folder) with the columns of the benchmark's design: \
        --config, else the config.json that sdscm benchmark writes into the folder (or its parent). Either the \
        reference's layout (outcome logP(Xy=0), treatment Xt, ITE from the two do() columns) or SDSCM's extended \
        layout (outcome logP(Y=y0) of the factual arm, exact ITE), recognized by the header the design gives. \
        View all adjusts for the treatment's non-descendants, view hidden for those not hidden by the design (its \
        "hidden" list, else the non-exogenous ones), scored against each unit's ITE as the paper does; view \
        hidden-cate is the same input scored against the exact CATE given the visible covariates, when the \
        benchmark's hidden/ tables hold it \
        (categorical values coded by their position in the variable's domain, or one-hot). Reference-layout \
        tables without a design (the reference's released CSVs) are read by their header with covariates \
        X0..X(t-1) and no hidden view; pass their configuration with --config for it. Runs the estimators per \
        dataset in parallel and writes report.md (ATE R² and RMSE across datasets as the paper's Table 1; mean CATE \
        R² in the paper's and scikit-learn's orientations and median standardized √PEHE as Table 2; interval \
        coverage), results.csv (dataset,view,estimator,ate_hat,sate,ate_se,ate_lower,ate_upper,sqrt_pehe,\
        standardized_pehe,cate_r2,cate_r2_paper,units,cate_coverage,cate_width) and SVG figures. Estimators: \
        \(Estimator.allCases.map(\.rawValue).joined(separator: ", ")) (default: all but bart and bart-ite, whose \
        MCMC takes seconds per dataset, tnet and tarnet, whose training does too, and cqr, whose quantile forests \
        take about one; "all" for every one). --seed keys the random draws of the estimators that make any \
        (forests, cross-fitting folds, BART's chains, the networks' splits, shuffles and initial weights); the same \
        seed gives the same report, and other seeds show how much an estimate owes to its seed.
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [
        .value("data", "DIR", "Folder of benchmark CSVs (reference or extended layout)."),
        .value("config", "FILE", "The benchmark's configuration (default: config.json in the data folder or its parent)."),
        .value("view", "VIEW", "Covariate view: all, hidden or hidden-cate (default: every one the data has)."),
        .value("estimators", "LIST", "Comma-separated estimator names, or all (default: all but bart, bart-ite, cqr, tnet, tarnet)."),
        .flag("one-hot", "Encode categorical covariates as indicators instead of integer codes."),
        .value("seed", "S", "Seed of the estimators' random draws (unsigned 64-bit integer, default 0)."),
        .value("report", "DIR", "Output folder for report.md, results.csv and the figures."),
    ]

    /// Runs the estimators on every dataset in `--data`, writes the report, and prints ATE R² and RMSE.
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        guard arguments.positionals.isEmpty else { throw UsageError(command: name, "unexpected argument '\(arguments.positionals[0])'") }
        guard let data = arguments.value("data") else { throw UsageError(command: name, "missing --data <dir>") }
        guard let report = arguments.value("report") else { throw UsageError(command: name, "missing --report <dir>") }
        // Reports written among the data would be read back as datasets by every later run.
        try CausalOptions.refuseOverwriting(report, inputs: [("data", arguments.value("data")),
                                                            ("data", arguments.value("data").map { $0 + "/extended" })],
                                            outputOption: "report", command: name)
        var views = ["all", "hidden", "hidden-cate"]
        if let view = arguments.value("view") {
            guard views.contains(view) else { throw UsageError(command: name, "--view must be all, hidden or hidden-cate, got '\(view)'") }
            views = [view]
        }
        var estimators = Estimator.defaultSet
        if arguments.value("estimators") == "all" {
            estimators = Estimator.allCases
        } else if let list = arguments.value("estimators") {
            estimators = try list.split(separator: ",").map { item in
                guard let estimator = Estimator(rawValue: item.trimmingCharacters(in: .whitespaces)) else {
                    throw UsageError(command: name, EstimationError.unknownEstimator(String(item)).description)
                }
                return estimator
            }
            guard !estimators.isEmpty else { throw UsageError(command: name, "--estimators names no estimator") }
        }
        let seed = try ModelOptions.seed(arguments, default: 0, command: name)
        let start = DispatchTime.now().uptimeNanoseconds
        let folder = URL(fileURLWithPath: data)
        let files = try EvaluationDataset.files(in: folder)
        let design = try arguments.value("config").map { try BenchmarkDesign(path: $0) } ?? EvaluationDataset.design(near: folder)
        let schema = try design.map(BenchmarkSchema.init(design:))
        let datasets = try files.map { try EvaluationDataset(url: $0, schema: schema, oneHot: arguments.flag("one-hot")) }
        let results = try Evaluation.run(datasets, views: views, estimators: estimators, seed: seed)
        let present = views.filter { view in results.contains { $0.view == view } }
        guard !present.isEmpty else {
            throw CommandFailure("no dataset has the view\(views.count > 1 ? "s" : "") \(views.joined(separator: ", ")) (the hidden view needs a design that hides some covariates and leaves some visible)")
        }
        // The aggregates `sdscm benchmark --aggregate K` wrote beside the datasets (aggregated-K/), for the
        // paper's 1k-vs-10k comparison; named aggregated-K/<name> in results.csv.
        var aggregated: [EvaluationResult] = []
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for entry in entries.filter({ $0.hasPrefix("aggregated-") }).sorted() {
            let sub = folder.appendingPathComponent(entry)
            guard let subFiles = try? EvaluationDataset.files(in: sub) else { continue }
            let subDatasets = try subFiles.map { url -> EvaluationDataset in
                var dataset = try EvaluationDataset(url: url, schema: schema, oneHot: arguments.flag("one-hot"))
                dataset.name = entry + "/" + dataset.name
                return dataset
            }
            aggregated += try Evaluation.run(subDatasets, views: views, estimators: estimators, keepingExample: false, seed: seed)
        }
        try EvaluationReport.write(results, to: URL(fileURLWithPath: report), source: data,
                                   outcome: datasets[0].outcome, views: present, estimators: estimators, aggregated: aggregated)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        io.print("evaluated \(datasets.count) datasets (\(datasets[0].layout.rawValue) layout), views \(present.joined(separator: ", ")), \(estimators.count) estimators in \(String(format: "%.2f", seconds)) s")
        for view in present {
            for estimator in estimators where [.dim, .linreg, .linearT].contains(estimator) {
                let rows = results.filter { $0.view == view && $0.estimator == estimator }
                guard rows.count > 1 else { continue }
                let (r2, rmse) = EvaluationReport.ateAccuracy(rows)
                let label = EvaluationReport.displayName(estimator).padding(toLength: 11, withPad: " ", startingAt: 0)
                io.print("  \(label) \(view.padding(toLength: 7, withPad: " ", startingAt: 0)) ATE R² \(EvaluationReport.format(r2))  RMSE \(EvaluationReport.format(rmse))")
            }
        }
        if !aggregated.isEmpty {
            io.print("also \(Set(aggregated.map(\.dataset)).count) aggregated datasets of \(aggregated[0].units) units (1k-vs-10k table in the report)")
        }
        io.print("report: \(report)/report.md")
    }
}

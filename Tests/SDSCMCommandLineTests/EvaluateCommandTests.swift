import Foundation
@testable import SDSCMCommandLine
import Testing
import SDSCMEvaluation
import SDSCMTestSupport

@Suite struct EvaluateCommandTests {
    /// A CSV file's lines, each split at every comma (the files these tests read quote nothing).
    static func csvRows(_ file: URL) throws -> [[String]] {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// A benchmark of the table-driven confounded world read back in the extended layout: the outcome
    /// logP(Y=0) of the factual arm is a function of (U, T), so with U among the covariates a T-learner recovers
    /// every ITE exactly, while the naive difference in means is confounded by U.
    /// BART and BART-ITE from one posterior: per-unit interval coverage and standardized width in results.csv and
    /// the report; ITE intervals (with the outcome noise) are wider than CATE intervals. Release builds only: the
    /// MCMC takes minutes in a debug build.
    #if DEBUG
    static let bartEnabled = false
    #else
    static let bartEnabled = true
    #endif
    @Test(.enabled(if: bartEnabled, "runs in release builds only (swift test -c release)"))
    func bartIntervalsInResults() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-evaluate-bart-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("bench"), report = folder.appendingPathComponent("report")
        let generated = await Invocation("benchmark", "--config", Fixtures.path("configs/confounded-tables.json"), "--datasets", "2",
                                         "--units", "200", "--seed", "5", "--out", data.path)
        #expect(generated.status == 0, "\(generated.err)")
        let run = await Invocation("evaluate", "--data", data.path, "--report", report.path, "--view", "all", "--estimators", "bart,bart-ite,rf,cqr,tnet,tarnet")
        #expect(run.status == 0, "\(run.err)")
        let rows = try Self.csvRows(report.appendingPathComponent("results.csv")).dropFirst()
        #expect(rows.count == 2 * 6)
        for dataset in ["confounded-tables_0", "confounded-tables_1"] {
            let bart = try #require(rows.first { $0[0] == dataset && $0[2] == "bart" })
            let ite = try #require(rows.first { $0[0] == dataset && $0[2] == "bart-ite" })
            let rf = try #require(rows.first { $0[0] == dataset && $0[2] == "rf" })
            #expect(bart[3] == ite[3])  // one posterior: the same SATE draws
            let coverage = try #require(Double(bart[13])), width = try #require(Double(bart[14]))
            #expect((0...1).contains(coverage) && width > 0)
            #expect(try #require(Double(ite[14])) > width)
            #expect(rf[13] == "" && rf[14] == "")
            let cqr = try #require(rows.first { $0[0] == dataset && $0[2] == "cqr" })
            // This world's outcome is a deterministic function of the covariates: the conformal intervals shrink to
            // (nearly) the truth, which strict coverage does not count, so only their shape is checked here (the
            // coverage guarantee is tested on noisy simulations in ConformalTests).
            #expect((0...1).contains(try #require(Double(cqr[13]))) && Double(cqr[14])! >= 0 && Double(cqr[8])!.isFinite)
            for name in ["tnet", "tarnet"] {
                let net = try #require(rows.first { $0[0] == dataset && $0[2] == name })
                #expect(Double(net[3])!.isFinite && net[13] == "")  // an ATE, no intervals
            }
        }
        let markdown = try String(contentsOf: report.appendingPathComponent("report.md"), encoding: .utf8)
        for figure in ["intervals-bart-all.svg", "intervals-bart-ite-all.svg", "intervals-cqr-all.svg"] {
            #expect(FileManager.default.fileExists(atPath: report.appendingPathComponent(figure).path), "\(figure)")
            #expect(markdown.contains("](\(figure))"), "\(figure) not linked")
        }
        #expect(!FileManager.default.fileExists(atPath: report.appendingPathComponent("intervals-rf-all.svg").path))
        #expect(markdown.contains("## Per-unit intervals (95%)") && markdown.contains("| BART-ITE | all |") && markdown.contains("| CQR | all |"))
    }

    /// `--seed` keys the estimators' random draws: the same seed gives the same results.csv, seed 0 is the
    /// default, another seed moves the cross-fitted estimates (other folds) and leaves the deterministic estimators' rows
    /// as they were.
    @Test func seedKeysTheEstimatorsDraws() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-evaluate-seed-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("bench")
        let generated = await Invocation("benchmark", "--config", Fixtures.path("configs/confounded-tables.json"), "--datasets", "2",
                                         "--units", "120", "--seed", "5", "--out", data.path)
        #expect(generated.status == 0, "\(generated.err)")
        func results(_ seed: String?) async throws -> [[String]] {
            let report = folder.appendingPathComponent("report-\(seed ?? "default")")
            let run = await Invocation(["evaluate", "--data", data.path, "--report", report.path, "--view", "all",
                                        "--estimators", "dim,linear-t,linear-dml,linear-dr"] + (seed.map { ["--seed", $0] } ?? []))
            #expect(run.status == 0, "\(run.err)")
            return Array(try Self.csvRows(report.appendingPathComponent("results.csv")).dropFirst())
        }
        let standard = try await results(nil), zero = try await results("0")
        let three = try await results("3"), again = try await results("3")
        #expect(standard == zero && three == again)
        #expect(three.count == 2 * 4)
        for (a, b) in zip(standard, three) {
            #expect(a[0] == b[0] && a[2] == b[2])
            if ["dim", "linear-t"].contains(a[2]) {
                #expect(a == b, "\(a[2]) draws nothing, so its row should not move")
            } else {
                #expect(a[3] != b[3], "\(a[0]) \(a[2]): the same ATE \(a[3]) with seeds 0 and 3")
            }
        }
        let bad = await Invocation("evaluate", "--data", data.path, "--report", folder.appendingPathComponent("r").path, "--seed", "-1")
        #expect(bad.status == 2 && bad.err.contains("--seed"))
    }

    /// Datasets of two families in one folder (the released GPT-2 CSVs copied under a second model's name) get a
    /// Table 1 and a Table 2 each; skipped without `../shared`.
    @Test(.enabled(if: Fixtures.sharedReference("gpt2/gpt2_bcancer_3.csv") != nil, "needs ../shared/reference"))
    func tablesPerFamily() async throws {
        #expect(EvaluationReport.family("gpt2_bcancer_12") == "gpt2_bcancer" && EvaluationReport.family("oncology") == "oncology"
                && EvaluationReport.family("run_") == "run_" && EvaluationReport.family("a_b2") == "a_b2")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-evaluate-families-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data"), report = folder.appendingPathComponent("report")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        for (source, target) in [(0, "gpt2_bcancer_0"), (1, "gpt2_bcancer_1"), (2, "llama_bcancer_0"), (3, "llama_bcancer_1")] {
            try FileManager.default.copyItem(at: try #require(Fixtures.sharedReference("gpt2/gpt2_bcancer_\(source).csv")),
                                             to: data.appendingPathComponent("\(target).csv"))
        }
        let run = await Invocation("evaluate", "--data", data.path, "--report", report.path, "--estimators", "dim,linreg")
        #expect(run.status == 0, "\(run.err)")
        let markdown = try String(contentsOf: report.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("`gpt2_bcancer` (2), `llama_bcancer` (2)"))
        #expect(markdown.components(separatedBy: "### gpt2_bcancer\n").count == 3)  // Table 1 and Table 2
        #expect(markdown.components(separatedBy: "### llama_bcancer\n").count == 3)
    }

    @Test func evaluatesExtendedTables() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-evaluate-cli-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("bench"), report = folder.appendingPathComponent("report")
        let generated = await Invocation("benchmark", "--config", Fixtures.path("configs/confounded-tables.json"), "--datasets", "3",
                                   "--units", "400", "--seed", "5", "--out", data.path)
        #expect(generated.status == 0, "\(generated.err)")
        let run = await Invocation("evaluate", "--data", data.path, "--report", report.path)
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.hasPrefix("evaluated 3 datasets (extended layout), views all, hidden, hidden-cate, 17 estimators"))
        let rows = try Self.csvRows(report.appendingPathComponent("results.csv"))
        #expect(Array(rows[0].prefix(5)) == ["dataset", "view", "estimator", "ate_hat", "sate"])
        #expect(rows.count == 1 + 3 * 3 * 17)
        #expect(rows.allSatisfy { $0.count == 15 })  // the contract columns, then cate_coverage, cate_width
        for j in 0..<3 {
            // SATE is the mean ITE of the extended table.
            let extended = try Self.csvRows(data.appendingPathComponent("extended/confounded-tables_\(j).csv"))
            let column = extended[0].firstIndex(of: "ITE logP(Y=0)")!
            let sate = extended.dropFirst().reduce(0.0) { $0 + Double($1[column])! } / Double(extended.count - 1)
            let linearT = try #require(rows.first { $0[0] == "confounded-tables_\(j)" && $0[1] == "all" && $0[2] == "linear-t" })
            #expect(abs(Double(linearT[4])! - sate) < 1e-12)
            #expect(abs(Double(linearT[3])! - sate) < 1e-9)
            #expect(Double(linearT[8])! < 1e-9)  // √PEHE
            let dim = try #require(rows.first { $0[0] == "confounded-tables_\(j)" && $0[1] == "all" && $0[2] == "dim" })
            #expect(abs(Double(dim[3])! - sate) > 0.05)
            // The hidden view is scored against the ITE (the paper's way), hidden-cate against the hidden table's
            // exact CATE given the visible covariates; both views feed the estimators the same data.
            let hidden = try Self.csvRows(data.appendingPathComponent("hidden/confounded-tables_\(j).csv"))
            let cateColumn = hidden[0].firstIndex(of: "CATE logP(Y=0)")!
            let meanCATE = hidden.dropFirst().reduce(0.0) { $0 + Double($1[cateColumn])! } / Double(hidden.count - 1)
            let byView = { (view: String) in try #require(rows.first { $0[0] == "confounded-tables_\(j)" && $0[1] == view && $0[2] == "dim" }) }
            #expect(abs(Double(try byView("hidden")[4])! - sate) < 1e-12)
            #expect(abs(Double(try byView("hidden-cate")[4])! - meanCATE) < 1e-12)
            #expect(try byView("hidden-cate")[3] == byView("hidden")[3])
        }
        for file in ["report.md", "ate-errors-all.svg", "ate-errors-hidden.svg", "true-ate-histogram.svg", "cate-r2-all.svg",
                     "pehe-hidden.svg", "coverage-all.svg"] {
            #expect(FileManager.default.fileExists(atPath: report.appendingPathComponent(file).path), "\(file)")
        }
        // The columns come from the design: the benchmark folder carries it (config.json), also when only its
        // extended/ folder is named; tables moved elsewhere need --config.
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("config.json").path))
        let sub = await Invocation("evaluate", "--data", data.appendingPathComponent("extended").path, "--report", report.path, "--estimators", "dim")
        #expect(sub.status == 0 && sub.out.contains("views all, hidden, hidden-cate"), "\(sub.err)")
        let moved = folder.appendingPathComponent("moved")
        try FileManager.default.createDirectory(at: moved, withIntermediateDirectories: true)
        for j in 0..<3 {
            try FileManager.default.copyItem(at: data.appendingPathComponent("extended/confounded-tables_\(j).csv"),
                                             to: moved.appendingPathComponent("confounded-tables_\(j).csv"))
        }
        let bare = await Invocation("evaluate", "--data", moved.path, "--report", report.path)
        #expect(bare.status == 1 && bare.err.contains("--config"), "\(bare.err)")
        let configured = await Invocation("evaluate", "--data", moved.path, "--config", Fixtures.path("configs/confounded-tables.json"),
                                          "--report", report.path, "--estimators", "dim")
        #expect(configured.status == 0, "\(configured.err)")
        #expect(await Invocation("evaluate", "--data", data.path, "--report", report.path, "--estimators", "dim,nope").status == 2)
        #expect(await Invocation("evaluate", "--data", folder.appendingPathComponent("none").path, "--report", report.path).status == 1)
    }

    /// `benchmark --aggregate 2` writes aggregated-2/ beside the datasets; `evaluate` on the folder also evaluates the
    /// aggregates (rows named aggregated-2/<name>, twice the units) and the report compares the two sizes.
    @Test func evaluatesAggregatesBesideTheDatasets() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-evaluate-aggregate-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("bench"), report = folder.appendingPathComponent("report")
        let generated = await Invocation("benchmark", "--config", Fixtures.path("configs/confounded-tables.json"), "--datasets", "4",
                                         "--units", "100", "--seed", "5", "--aggregate", "2", "--out", data.path)
        #expect(generated.status == 0, "\(generated.err)")
        #expect(generated.out.contains("2 aggregates of 2 datasets (200 rows)"), "\(generated.out)")
        let run = await Invocation("evaluate", "--data", data.path, "--report", report.path, "--estimators", "dim,linear-t")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("also 2 aggregated datasets of 200 units"), "\(run.out)")
        let results = try String(contentsOf: report.appendingPathComponent("results.csv"), encoding: .utf8).split(separator: "\n")
        let expectedRows = 1 + 24 + 12  // header, 4 datasets × 3 views × 2 estimators, 2 aggregates × 3 × 2
        #expect(results.count == expectedRows)
        #expect(results.contains { $0.hasPrefix("aggregated-2/confounded-tables_1,all,linear-t,") && $0.hasSuffix(",200,,") })
        let markdown = try String(contentsOf: report.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("## Dataset size: 100 vs 200 units"))
        // The aggregate's SATE is the mean of its two datasets' SATEs (equal sizes).
        func sate(_ name: String) -> Double {
            Double(results.first { $0.hasPrefix(name + ",all,dim,") }!.split(separator: ",")[4])!
        }
        let combined: Double = sate("aggregated-2/confounded-tables_0")
        let parts: Double = (sate("confounded-tables_0") + sate("confounded-tables_1")) / 2  // one variation: groups [0, 1], [2, 3]
        #expect(abs(combined - parts) < 1e-12)
    }
}

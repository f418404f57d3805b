import SDSCMEstimators
import Foundation
import SDSCM

/// Writes an evaluation's `results.csv`, `report.md` (tables in the paper's format) and SVG figures.
public enum EvaluationReport {
    /// The paper's names for the estimators it has.
    public static func displayName(_ estimator: Estimator) -> String {
        switch estimator {
        case .dim: return "T-Only OLS"
        case .linreg: return "LinReg"
        case .linearS: return "LinearS"
        case .linearT: return "LinearT"
        case .xLearner: return "X-learner (linear)"
        case .ipw: return "IPW (Hájek)"
        case .aipw: return "AIPW"
        case .drLearner: return "DR-learner (linear)"
        case .linearDML: return "LinearDML"
        case .linearDMLConstant: return "DML (constant effect)"
        case .linearDR: return "LinearDR"
        case .causalForest: return "CausalForest"
        case .forestDML: return "ForestDML"
        case .forestDR: return "ForestDR"
        case .rf: return "RF"
        case .forestS: return "ForestS"
        case .forestT: return "ForestT"
        case .bart: return "BART"
        case .bartITE: return "BART-ITE"
        case .cqr: return "CQR"
        case .tnet: return "TNet"
        case .tarnet: return "TARNet"
        }
    }

    /// An R² as the paper's tables print it: "≤0" for values not above 0 (its sign is what those rows report).
    public static func paperR2(_ value: Double) -> String { !value.isNaN && value <= 0 ? "≤0" : format(value) }

    /// Four decimals as the paper prints, or three significant digits for magnitudes below 0.001 (effects on a
    /// near-deterministic outcome) so that they do not all read 0.0000.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "–" }
        return value != 0 && abs(value) < 1e-3 ? String(format: "%.3e", value) : String(format: "%.4f", value)
    }

    /// A dataset's family: its name without the trailing `_<index>` (`gpt2_bcancer_7` → `gpt2_bcancer`), which
    /// tells apart datasets of different language models or configurations in one folder.
    public static func family(_ dataset: String) -> String {
        guard let underscore = dataset.lastIndex(of: "_"), dataset[dataset.index(after: underscore)...].allSatisfy(\.isNumber),
              dataset.index(after: underscore) < dataset.endIndex else { return dataset }
        return String(dataset[..<underscore])
    }

    /// `results.csv`.
    public static func csv(_ results: [EvaluationResult]) -> String {
        ([EvaluationResult.header] + results.map(\.fields)).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// Across datasets: R² (y_true = SATE, y_pred = ATÊ, as the paper's Table 1) and RMSE of the ATE.
    public static func ateAccuracy(_ results: [EvaluationResult]) -> (r2: Double, rmse: Double) {
        (Metrics.r2(truth: results.map(\.sate), predicted: results.map(\.ateHat)),
         Metrics.rmse(truth: results.map(\.sate), predicted: results.map(\.ateHat)))
    }

    /// `report.md`.
    public static func markdown(_ results: [EvaluationResult], source: String, outcome: String, views: [String],
                                estimators: [Estimator], figures: [String], aggregated: [EvaluationResult] = []) -> String {
        func pick(_ view: String, _ estimator: Estimator) -> [EvaluationResult] {
            results.filter { $0.view == view && $0.estimator == estimator }
        }
        func number(_ value: Double) -> String { format(value) }
        let datasets = Set(results.map(\.dataset)).count
        let units = results.first?.units ?? 0
        var text = "# Evaluation report\n\n"
        text += "Data: `\(source)`: \(datasets) datasets of \(units) units; outcome `\(outcome)`; views: "
        text += views.map { "`\($0)`" }.joined(separator: ", ") + ".\n\n"
        let families = results.reduce(into: [String]()) { list, row in
            let family = Self.family(row.dataset)
            if !list.contains(family) { list.append(family) }
        }
        if families.count > 1 {
            text += "Dataset families (name without the trailing index; one per model or configuration), each with its own tables: "
            text += families.map { family in "`\(family)` (\(Set(results.filter { Self.family($0.dataset) == family }.map(\.dataset)).count))" }
                .joined(separator: ", ") + ".\n\n"
        }
        text += "## ATE prediction across datasets (the paper's Table 1)\n\n"
        text += "R² is scikit-learn's `r2_score(y_true = SATE, y_pred = ATÊ)` over datasets, printed \"≤0\" when not positive as the paper does (results.csv and the size comparison keep the values); RMSE is the root mean squared ATE error.\n\n"
        // Datasets of several families (e.g. gpt2_bcancer_* and llama_bcancer_*: one per language model) get a
        // table each: an R² across datasets of different models would mix their effect scales.
        func table1(_ rows: [EvaluationResult]) -> String {
            var text = "| Method | " + views.map { "R² \($0)" }.joined(separator: " | ") + " | " + views.map { "RMSE \($0)" }.joined(separator: " | ") + " |\n"
            text += "|---|" + String(repeating: "---|", count: 2 * views.count) + "\n"
            for estimator in estimators {
                let accuracy = views.map { view in rows.filter { $0.view == view && $0.estimator == estimator } }
                    .map { $0.count > 1 ? ateAccuracy($0) : (r2: Double.nan, rmse: Double.nan) }
                text += "| \(displayName(estimator)) | " + accuracy.map { paperR2($0.r2) }.joined(separator: " | ") + " | "
                    + accuracy.map { number($0.rmse) }.joined(separator: " | ") + " |\n"
            }
            return text
        }
        func table2(_ rows: [EvaluationResult]) -> String {
            var text = "| Method | view | mean R² (paper) | mean R² (scikit-learn) | median standardized √PEHE |\n|---|---|---|---|---|\n"
            for view in views {
                for estimator in estimators {
                    let picked = rows.filter { $0.view == view && $0.estimator == estimator }
                    guard !picked.isEmpty else { continue }
                    let paper = picked.map(\.cateR2Paper).reduce(0, +) / Double(picked.count)
                    let sklearn = picked.map(\.cateR2).reduce(0, +) / Double(picked.count)
                    let pehe = picked.map(\.standardizedPEHE).sorted()
                    text += "| \(displayName(estimator)) | \(view) | \(paperR2(paper)) | \(number(sklearn)) | \(number(pehe[pehe.count / 2])) |\n"
                }
            }
            return text
        }
        func grouped(_ table: ([EvaluationResult]) -> String) -> String {
            guard families.count > 1 else { return table(results) }
            return families.map { family in
                "### \(family)\n\n" + table(results.filter { Self.family($0.dataset) == family }) + "\n"
            }.joined()
        }
        text += grouped(table1)
        text += "\n## CATE accuracy per dataset (the paper's Table 2)\n\n"
        text += "Mean over datasets of the CATE R² in the paper's orientation (`r2_score(y_true = τ̂, y_pred = ITE)`, unclipped, as its Table 2 averages it) and in scikit-learn's orientation (truth = ITE), and the median √PEHE standardized by the outcome's standard deviation. Methods with a constant CATE score 0 in the paper's orientation; its column prints values not above 0 as \"≤0\", as the paper does.\n\n"
        text += grouped(table2)
        if !aggregated.isEmpty {
            text += sizeComparison(results, aggregated, views: views, estimators: estimators)
        }
        let interval = results.filter { $0.standardError != nil }
        if !interval.isEmpty {
            text += "\n## ATE intervals (95%, normal)\n\nCoverage of the SATE across datasets and mean width.\n\n| Method | view | coverage | mean width |\n|---|---|---|---|\n"
            for view in views {
                for estimator in estimators {
                    let rows = pick(view, estimator).filter { $0.standardError != nil }
                    guard !rows.isEmpty else { continue }
                    let intervals = rows.map { EffectEstimate.normalInterval($0.ateHat, standardError: $0.standardError!) }
                    let lower = intervals.map(\.lower), upper = intervals.map(\.upper)
                    let (rate, width) = Metrics.coverage(truth: rows.map(\.sate), lower: lower, upper: upper)
                    text += "| \(displayName(estimator)) | \(view) | \(number(rate)) | \(number(width)) |\n"
                }
            }
        }
        if results.contains(where: { $0.cateCoverage != nil }) {
            text += "\n## Per-unit intervals (95%)\n\nShare of units whose true ITE lies strictly inside the method's interval (coverage) and the interval's mean width over sd(y), each per dataset, then the median and mean over datasets (the paper's Figs. 4b, 10 and 14).\n\n| Method | view | median coverage | mean coverage | median standardized width |\n|---|---|---|---|---|\n"
            for view in views {
                for estimator in estimators {
                    let rows = pick(view, estimator).filter { $0.cateCoverage != nil }
                    guard !rows.isEmpty else { continue }
                    let coverage = rows.map { $0.cateCoverage! }.sorted(), width = rows.map { $0.cateWidth! }.sorted()
                    text += "| \(displayName(estimator)) | \(view) | \(number(coverage[coverage.count / 2])) | \(number(coverage.reduce(0, +) / Double(coverage.count))) | \(number(width[width.count / 2])) |\n"
                }
            }
        }
        if !figures.isEmpty {
            text += "\n## Figures\n\n" + figures.map { "![\($0)](\($0))\n" }.joined() + "\n"
        }
        return text
    }

    /// The paper's Table 2 at both dataset sizes: mean CATE R² (paper's orientation) and median standardized
    /// √PEHE over the datasets, and the ATE R² across them, for the datasets and for their aggregates.
    static func sizeComparison(_ small: [EvaluationResult], _ large: [EvaluationResult], views: [String],
                               estimators: [Estimator]) -> String {
        let n = small.first?.units ?? 0, m = large.first?.units ?? 0
        let smallCount = Set(small.map(\.dataset)).count, largeCount = Set(large.map(\.dataset)).count
        var text = "\n## Dataset size: \(n) vs \(m) units (the paper's Table 2, 1k vs 10k)\n\n"
        text += "\(smallCount) datasets of \(n) units and \(largeCount) aggregates of \(m) units (same-variation datasets concatenated). Mean CATE R² in the paper's orientation, median standardized √PEHE, and the ATE R² across datasets.\n\n"
        text += "| Method | view | R² paper (\(n)) | R² paper (\(m)) | std √PEHE (\(n)) | std √PEHE (\(m)) | ATE R² (\(n)) | ATE R² (\(m)) |\n|---|---|---|---|---|---|---|---|\n"
        func summary(_ rows: [EvaluationResult]) -> (r2: Double, pehe: Double, ate: Double) {
            guard !rows.isEmpty else { return (.nan, .nan, .nan) }
            let pehe = rows.map(\.standardizedPEHE).sorted()
            return (rows.map(\.cateR2Paper).reduce(0, +) / Double(rows.count), pehe[pehe.count / 2],
                    rows.count > 1 ? ateAccuracy(rows).r2 : .nan)
        }
        for view in views {
            for estimator in estimators {
                let a = summary(small.filter { $0.view == view && $0.estimator == estimator })
                let b = summary(large.filter { $0.view == view && $0.estimator == estimator })
                guard !a.r2.isNaN || !b.r2.isNaN else { continue }
                text += "| \(displayName(estimator)) | \(view) | \(format(a.r2)) | \(format(b.r2)) | \(format(a.pehe)) | \(format(b.pehe)) | \(format(a.ate)) | \(format(b.ate)) |\n"
            }
        }
        return text
    }

    /// Writes `results.csv` (the datasets' rows, then the aggregates'), `report.md`, `ate-errors-<view>.svg` and
    /// `true-ate-histogram.svg` into `folder`; with `aggregated` results the report compares the two sizes.
    public static func write(_ results: [EvaluationResult], to folder: URL, source: String, outcome: String,
                             views: [String], estimators: [Estimator], aggregated: [EvaluationResult] = []) throws {
        try SafeFile.createFolder(folder)
        var figures: [String] = []
        func save(_ text: String, _ name: String) throws {
            try SafeFile.write(Data(text.utf8), to: folder.appendingPathComponent(name).path)
        }
        for view in views where results.contains(where: { $0.view == view }) {
            let groups = estimators.map { estimator in
                (label: estimator.rawValue, values: results.filter { $0.view == view && $0.estimator == estimator }.map { $0.ateHat - $0.sate })
            }
            let name = "ate-errors-\(view).svg"
            try save(SVGPlot.boxPlot(title: "ATE error per dataset (\(view) covariates)", axis: "ATE estimate − SATE", groups: groups), name)
            figures.append(name)
        }
        // The paper's CATE figures: R² (its orientation) clipped at 0, standardized √PEHE, and interval coverage
        // against width.
        for view in views where results.contains(where: { $0.view == view }) {
            func groups(_ value: (EvaluationResult) -> Double) -> [(label: String, values: [Double])] {
                estimators.map { estimator in
                    (label: estimator.rawValue, values: results.filter { $0.view == view && $0.estimator == estimator }.map(value))
                }
            }
            try save(SVGPlot.boxPlot(title: "CATE R² per dataset, clipped at 0 (\(view) covariates)", axis: "R² (paper's orientation)",
                                     groups: groups { max(0, $0.cateR2Paper) }), "cate-r2-\(view).svg")
            try save(SVGPlot.boxPlot(title: "√PEHE per dataset (\(view) covariates)", axis: "√PEHE / sd(y)",
                                     groups: groups(\.standardizedPEHE)), "pehe-\(view).svg")
            figures += ["cate-r2-\(view).svg", "pehe-\(view).svg"]
            let intervals = estimators.compactMap { estimator -> (label: String, x: Double, y: Double)? in
                let rows = results.filter { $0.view == view && $0.estimator == estimator && $0.cateCoverage != nil }
                guard !rows.isEmpty else { return nil }
                let coverage = rows.map { $0.cateCoverage! }.sorted(), width = rows.map { $0.cateWidth! }.sorted()
                return (estimator.rawValue, coverage[coverage.count / 2], width[width.count / 2])
            }
            if !intervals.isEmpty {
                try save(SVGPlot.scatter(title: "Per-unit 95% intervals: median coverage and width (\(view) covariates)",
                                         xAxis: "coverage of the ITE", yAxis: "width / sd(y)", points: intervals, verticalLine: 0.95),
                         "coverage-\(view).svg")
                figures.append("coverage-\(view).svg")
            }
        }
        // The paper's interval examples: each interval method on the first dataset.
        for view in views {
            for estimator in estimators {
                guard let row = results.first(where: { $0.view == view && $0.estimator == estimator && $0.example != nil }),
                      let example = row.example else { continue }
                let name = "intervals-\(estimator.rawValue)-\(view).svg"
                try save(SVGPlot.intervals(title: "\(displayName(estimator)): per-unit 95% intervals, \(row.dataset) (\(view) covariates)",
                                           axis: "effect", truth: example.ite, lower: example.lower, upper: example.upper), name)
                figures.append(name)
            }
        }
        var seen = Set<String>()
        let truths = results.filter { seen.insert($0.dataset).inserted }.map(\.sate)
        try save(SVGPlot.histogram(title: "True sample ATE per dataset", axis: "SATE", values: truths), "true-ate-histogram.svg")
        figures.append("true-ate-histogram.svg")
        try save(csv(results + aggregated), "results.csv")
        try save(markdown(results, source: source, outcome: outcome, views: views, estimators: estimators, figures: figures,
                          aggregated: aggregated), "report.md")
    }
}

import Foundation
import SDSCM
import SDSCMBenchmarks
import SDSCMEstimators

/// Why a data folder could not be evaluated.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String)
    case unknownLayout(path: String, reason: String)
    case noDatasets(folder: String)

    /// The message, naming the file or folder at fault.
    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read '\(path)'"
        case let .unknownLayout(path, reason): return "'\(path)' is neither a reference nor an extended benchmark table: \(reason)"
        case .noDatasets(let folder): return "no benchmark CSV files in '\(folder)' (looked in it and in its extended/ folder)"
        }
    }
}

/// One benchmark dataset read back for estimation: per view, the estimator input and the true per-unit effects.
///
/// The columns come from the design's `BenchmarkSchema`, the one the writer used: the covariates are the
/// treatment's non-descendants, the hidden view leaves out the exogenous ones, and categorical values are coded by
/// their position in the variable's domain (the same code in every dataset).
public struct EvaluationDataset: Sendable {
    /// Which table layout the file has.
    public enum Layout: String, Sendable { case reference, extended }

    /// One covariate set: the estimator input and the truth it is scored against.
    public struct View: Sendable {
        /// The estimator input: covariates, treatment and outcome.
        public var data: EstimationData
        /// The true per-unit effect on the outcome (ITE; with all covariates it equals the CATE).
        public var ite: [Double]
        /// Covariate column names (as encoded: `name=value` for indicators).
        public var covariates: [String]
    }

    /// The file name without its extension.
    public var name: String
    /// Whether the file is a reference or an extended table.
    public var layout: Layout
    /// What the outcome is (e.g. `logP(X13=0)`).
    public var outcome: String
    /// "all" and, when the design hides some covariates, "hidden" (scored against each unit's ITE, as the paper
    /// scores its Hidden-U setting) and, when the benchmark also wrote the exact hidden-view CATE
    /// (`hidden/<name>.csv`), "hidden-cate": the same estimator input scored against E[τ | visible covariates].
    public var views: [String: View]

    /// Reads `url` with the columns of `schema` (nil: a reference-layout table whose schema is read off its header,
    /// with no hidden view). `oneHot` encodes categorical covariates as indicators (dropping each domain's first
    /// value) instead of domain positions.
    public init(url: URL, schema: BenchmarkSchema?, oneHot: Bool = false) throws {
        let table: DataTable
        do { table = try DataTable(contentsOf: url) } catch DataTableError.unreadable {
            throw EvaluationError.unreadable(path: url.path)
        }
        guard table.count > 0 else { throw EvaluationError.unknownLayout(path: url.path, reason: "no rows") }
        name = url.deletingPathExtension().lastPathComponent
        guard let schema = schema ?? BenchmarkSchema(referenceHeader: table.header) else {
            throw EvaluationError.unknownLayout(
                path: url.path, reason: "without the benchmark's design (its config.json, or --config) only the reference layout can be read")
        }
        let t = schema.treatment, y = schema.outcome
        guard schema.arms.count >= 2 else { throw EvaluationError.unknownLayout(path: url.path, reason: "fewer than two arms") }
        let arms = Array(schema.arms.prefix(2))
        func wrap<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch let error as DataTableError {
                throw EvaluationError.unknownLayout(path: url.path, reason: error.description)
            }
        }
        let observed: [Double], treatment: [Int], ite: [Double]
        /// A covariate's encoding: reference tables hold value positions as numbers; extended ones hold values.
        var encoding: (Int) -> DataTable.Encoding
        if table.header == schema.referenceHeader {
            layout = .reference
            outcome = schema.referenceScoreColumn(value: 0, of: y)
            let codes = try wrap { try table.numbers(schema.referenceValueColumn(t)) }
            treatment = try codes.enumerated().map { row, code in
                guard let arm = arms.firstIndex(where: { Double($0) == code }) else {
                    throw EvaluationError.unknownLayout(path: url.path, reason: "row \(row + 1) has treatment \(code) outside the first two arms")
                }
                return arm
            }
            let outcomeColumn = schema.referenceScoreColumn(value: 0, of: y)
            observed = try wrap { try table.numbers(outcomeColumn) }
            let y1 = try wrap { try table.numbers(schema.referenceScoreColumn(value: 0, of: y, arm: arms[1])) }
            let y0 = try wrap { try table.numbers(schema.referenceScoreColumn(value: 0, of: y, arm: arms[0])) }
            ite = zip(y1, y0).map { $0 - $1 }
            encoding = { variable -> DataTable.Encoding in
                guard oneHot else { return .number }
                if let domain = schema.domains[variable] { return .oneHot(domain.indices.map { String($0) }) }
                // Without a design the values are known only as the indices that occur.
                let observed: [String] = Array(Set((try? table.column(schema.referenceValueColumn(variable))) ?? []))
                return .oneHot(observed.sorted { (Double($0) ?? 0) < (Double($1) ?? 0) })
            }
        } else if table.header == schema.extendedHeader {
            layout = .extended
            let values = schema.domains[t]!
            treatment = try wrap { try table.column(schema.variables[t]) }.enumerated().map { row, value in
                guard let arm = arms.firstIndex(where: { values[$0] == value }) else {
                    throw EvaluationError.unknownLayout(path: url.path, reason: "row \(row + 1) has treatment '\(value)' outside the first two arms")
                }
                return arm
            }
            outcome = "logP(\(schema.variables[y])=\(schema.domains[y]![0]))"
            let armOutcomes = try arms.map { arm in try wrap { try table.numbers(schema.armProbabilityColumn(arm, value: 0, log: true)) } }
            observed = treatment.indices.map { armOutcomes[treatment[$0]][$0] }
            ite = try wrap { try table.numbers(schema.iteColumn((arms[1], arms[0]), value: 0, log: true)) }
            encoding = { variable in oneHot ? .oneHot(schema.domains[variable]!) : .code(schema.domains[variable]!) }
        } else {
            throw EvaluationError.unknownLayout(
                path: url.path, reason: "its header is neither the reference nor the extended layout of the design (\(schema.variables.count) variables, treatment '\(schema.variables[t])', outcome '\(schema.variables[y])')")
        }
        // Estimators and metrics on non-finite numbers give NaN silently; name the row instead.
        for (label, values) in [("outcome \(outcome)", observed), ("true ITE", ite)] {
            if let row = values.firstIndex(where: { !$0.isFinite }) {
                throw EvaluationError.unknownLayout(path: url.path, reason: "row \(row + 1) has a non-finite \(label) (\(values[row]))")
            }
        }
        var views: [String: View] = [:]
        for (view, covariates) in [("all", schema.covariates), ("hidden", schema.hidden.isEmpty ? [] : schema.visible)] where !covariates.isEmpty {
            let reference = layout == .reference
            let column = { (variable: Int) in reference ? schema.referenceValueColumn(variable) : schema.variables[variable] }
            let (matrix, names) = try wrap { try table.encodedColumns(covariates.map { (column($0), encoding($0)) }) }
            views[view] = View(data: try EstimationData(covariates: matrix, treatment: treatment, outcome: observed),
                               ite: ite, covariates: names)
        }
        // Our extra: the hidden view against the exact CATE given the visible covariates, when it was computed.
        if layout == .extended, let hidden = views["hidden"] {
            let url = url.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("hidden").appendingPathComponent(url.lastPathComponent)
            if let table = try? DataTable(contentsOf: url), table.header == schema.hiddenHeader, table.count == hidden.ite.count {
                let cate = try wrap { try table.numbers(schema.cateColumn((arms[1], arms[0]), value: 0, log: true)) }
                views["hidden-cate"] = View(data: hidden.data, ite: cate, covariates: hidden.covariates)
            }
        }
        self.views = views
    }

    /// The design of the benchmark whose tables are in `folder`: `config.json` there or in its parent folder (as
    /// `sdscm benchmark` writes it), or nil.
    public static func design(near folder: URL) throws -> BenchmarkDesign? {
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("config.json").path
            if FileManager.default.fileExists(atPath: path) { return try BenchmarkDesign(path: path) }
        }
        return nil
    }

    /// The benchmark CSVs of a folder (or of its `extended/` folder), by dataset number.
    public static func files(in folder: URL) throws -> [URL] {
        var urls: [URL] = []
        for candidate in [folder, folder.appendingPathComponent("extended")] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: candidate.path)) ?? []
            urls += names.filter { $0.hasSuffix(".csv") }.map { candidate.appendingPathComponent($0) }
        }
        guard !urls.isEmpty else { throw EvaluationError.noDatasets(folder: folder.path) }
        func number(_ url: URL) -> Int { Int(url.deletingPathExtension().lastPathComponent.split(separator: "_").last ?? "") ?? Int.max }
        return urls.sorted { (number($0), $0.lastPathComponent) < (number($1), $1.lastPathComponent) }
    }
}

extension EvaluationError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

import SDSCMEstimators
import Foundation

/// Why a data folder could not be evaluated.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String)
    case unknownLayout(path: String, reason: String)
    case noDatasets(folder: String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read '\(path)'"
        case let .unknownLayout(path, reason): return "'\(path)' is neither a reference nor an extended benchmark table: \(reason)"
        case .noDatasets(let folder): return "no benchmark CSV files in '\(folder)' (looked in it and in its extended/ folder)"
        }
    }
}

/// One benchmark dataset read back for estimation: per view, the estimator input and the true per-unit effects.
public struct EvaluationDataset: Sendable {
    /// Which table layout the file has.
    public enum Layout: String, Sendable { case reference, extended }

    /// One covariate set: the estimator input and the truth it is scored against.
    public struct View: Sendable {
        public var data: EstimationData
        /// The true per-unit effect on the outcome (ITE; with all covariates it equals the CATE).
        public var ite: [Double]
        /// Covariate column names.
        public var covariates: [String]
    }

    public var name: String
    public var layout: Layout
    /// What the outcome is (e.g. `logP(X13=0)`).
    public var outcome: String
    /// "all" and, when known, "hidden".
    public var views: [String: View]

    /// Reads `url`, detecting the layout by its header. `oneHot` encodes categorical covariates as indicators
    /// (dropping the first level) instead of integer codes.
    public init(url: URL, oneHot: Bool = false) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw EvaluationError.unreadable(path: url.path) }
        let rows = CSVReader.parse(text)
        guard let header = rows.first, rows.count > 1 else { throw EvaluationError.unknownLayout(path: url.path, reason: "no rows") }
        let body = Array(rows.dropFirst())
        name = url.deletingPathExtension().lastPathComponent
        func column(_ name: String) throws -> Int {
            guard let index = header.firstIndex(of: name) else {
                throw EvaluationError.unknownLayout(path: url.path, reason: "no column '\(name)'")
            }
            return index
        }
        func numbers(_ index: Int) throws -> [Double] {
            try body.enumerated().map { row, fields in
                guard index < fields.count, let value = Double(fields[index]) else {
                    throw EvaluationError.unknownLayout(path: url.path, reason: "row \(row + 1), column '\(header[index])' is not a number")
                }
                return value
            }
        }
        if header.first == "", let first = header.first(where: { $0.hasPrefix("logP(X") }) {
            // The reference layout: X0.., logP(Xt=k).., logP(Xy=k).., per arm X_i|do(Xt=k).., logP(Xy=k)|do(Xt=k)..
            layout = .reference
            let t = Int(first.dropFirst(6).prefix { $0 != "=" })!
            guard let yName = header.first(where: { $0.hasPrefix("logP(X") && !$0.hasPrefix("logP(X\(t)=") && !$0.contains("|") }) else {
                throw EvaluationError.unknownLayout(path: url.path, reason: "no outcome score column")
            }
            let y = Int(yName.dropFirst(6).prefix { $0 != "=" })!
            outcome = "logP(X\(y)=0)"
            let treatment = try numbers(try column("X\(t)")).map { Int($0) }
            let observed = try numbers(try column(outcome))
            let y1 = try numbers(try column("logP(X\(y)=0)|do(X\(t)=1)")), y0 = try numbers(try column("logP(X\(y)=0)|do(X\(t)=0)"))
            let ite = zip(y1, y0).map { $0 - $1 }
            var views: [String: View] = [:]
            for (view, start) in [("all", 0), ("hidden", 4)] where start < t {
                let names = (start..<t).map { "X\($0)" }
                let codes = try names.map { try numbers(try column($0)) }
                let matrix = Self.design(codes.map { $0.map { String($0) } }, numeric: codes, oneHot: oneHot)
                views[view] = View(data: try EstimationData(covariates: matrix, treatment: treatment, outcome: observed),
                                   ite: ite, covariates: names)
            }
            self.views = views
        } else if header.first == "unit", let iteColumn = header.first(where: { $0.hasPrefix("ITE logP(") }) {
            // Our extended layout: unit, variables.., P(T=t).., per arm Y|do(T=t), P(Y=y)|do(..), logP(Y=y)|do(..), ITE.., text.
            layout = .extended
            let inner = iteColumn.dropFirst("ITE logP(".count)
            let outcomeName = String(inner.prefix { $0 != "=" })
            let firstValue = String(inner.dropFirst(outcomeName.count + 1).prefix { $0 != ")" })
            guard let arm = header.first(where: { $0.hasPrefix(outcomeName + "|do(") }) else {
                throw EvaluationError.unknownLayout(path: url.path, reason: "no counterfactual outcome column")
            }
            let treatmentName = String(arm.dropFirst(outcomeName.count + 4).prefix { $0 != "=" })
            let armValues = header.filter { $0.hasPrefix(outcomeName + "|do(\(treatmentName)=") }
                .map { String($0.dropFirst(outcomeName.count + treatmentName.count + 5).dropLast()) }
            guard armValues.count >= 2 else { throw EvaluationError.unknownLayout(path: url.path, reason: "fewer than two arms") }
            let outcomeColumn = "logP(\(outcomeName)=\(firstValue))"
            outcome = outcomeColumn
            let tIndex = try column(treatmentName)
            let treatment = try body.enumerated().map { row, fields -> Int in
                guard let arm = armValues.prefix(2).firstIndex(of: fields[tIndex]) else {
                    throw EvaluationError.unknownLayout(path: url.path, reason: "row \(row + 1) has treatment '\(fields[tIndex])' outside the first two arms")
                }
                return arm
            }
            let armOutcomes = try armValues.prefix(2).map { try numbers(try column("\(outcomeColumn)|do(\(treatmentName)=\($0))")) }
            let observed = body.indices.map { armOutcomes[treatment[$0]][$0] }
            let ite = try numbers(try column(iteColumn))
            let allNames = Array(header[1..<tIndex])
            var visible: [String]?
            let hiddenURL = url.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("hidden").appendingPathComponent(url.lastPathComponent)
            if let hiddenText = try? String(contentsOf: hiddenURL, encoding: .utf8), let hiddenHeader = CSVReader.parse(hiddenText).first,
               let end = hiddenHeader.firstIndex(of: treatmentName) {
                visible = Array(hiddenHeader[1..<end])
            }
            var views: [String: View] = [:]
            for (view, names) in [("all", allNames), ("hidden", visible)] {
                guard let names, !names.isEmpty else { continue }
                let strings = try names.map { name in let index = try column(name); return body.map { $0[index] } }
                let matrix = Self.design(strings, numeric: nil, oneHot: oneHot)
                views[view] = View(data: try EstimationData(covariates: matrix, treatment: treatment, outcome: observed),
                                   ite: ite, covariates: names)
            }
            self.views = views
        } else {
            throw EvaluationError.unknownLayout(path: url.path, reason: "the header starts with '\(header.first ?? "")'")
        }
    }

    /// Covariate rows: the numeric codes as they are (reference), categorical strings as the index of the value
    /// in sorted order, or one-hot indicators without the first level.
    static func design(_ columns: [[String]], numeric: [[Double]]?, oneHot: Bool) -> [[Double]] {
        let n = columns.first?.count ?? 0
        var matrix = [[Double]](repeating: [], count: n)
        for (c, values) in columns.enumerated() {
            let levels = Array(Set(values)).sorted { a, b in
                if let x = Double(a), let y = Double(b) { return x < y }
                return a < b
            }
            if oneHot {
                for level in levels.dropFirst() {
                    for i in 0..<n { matrix[i].append(values[i] == level ? 1 : 0) }
                }
            } else if let numeric {
                for i in 0..<n { matrix[i].append(numeric[c][i]) }
            } else {
                let code = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, Double($0)) })
                for i in 0..<n { matrix[i].append(code[values[i]]!) }
            }
        }
        return matrix
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

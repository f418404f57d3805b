import Foundation
import SDSCM

/// Generates one benchmark dataset: N units of one variation, with every counterfactual arm and the exact
/// ground truth, as the three tables SDSCM writes.
public struct DatasetGenerator: Sendable {
    public let design: BenchmarkDesign
    public let model: CausalModel
    public let sampler: Sampler
    /// Semantics of the reference table's counterfactual columns (the extended table always uses shared noise).
    public let semantics: CounterfactualSemantics
    /// Largest number of joint exogenous assignments enumerated per unit for the hidden-confounding CATE; each
    /// costs about one unit's scoring, so the default keeps the view within a small multiple of the dataset's cost.
    public let hiddenLimit: Int
    /// Units whose scoring is batched together (memory grows with it: one retained cache per unit).
    public var blockSize = 32

    /// A generator whose sampler's noise is keyed by `noiseSeed`.
    public init(design: BenchmarkDesign, model: CausalModel, noiseSeed: UInt64, semantics: CounterfactualSemantics,
                hiddenLimit: Int = 32) {
        self.design = design
        self.model = model
        sampler = Sampler(model: model, seed: noiseSeed)
        self.semantics = semantics
        self.hiddenLimit = hiddenLimit
    }

    /// The tables of one dataset.
    public struct Tables: Sendable {
        /// The reference code's 57-column layout (for the breast-cancer design).
        public var reference: CSVTable
        /// Named columns with exact ground truth.
        public var extended: CSVTable
        /// The hidden-confounding view, or why it was not computed.
        public var hidden: Result<CSVTable, HiddenConfoundingError>
    }

    /// Generates units `0..<units`; `progress` is called after each block of units with the number done.
    public func generate(units: Int, progress: (Int) -> Void = { _ in }) throws -> Tables {
        let graph = model.graph
        let variables = graph.variables
        let t = design.treatmentIndex, y = design.outcomeIndex
        let treatmentValues = variables[t].values!, outcomeValues = variables[y].values!
        let armLabels = design.arms.map { "do(X\(t)=\($0))" }

        var referenceHeader = [""] + variables.indices.map { "X\($0)" }
        referenceHeader += treatmentValues.indices.map { "logP(X\(t)=\($0))" }
        referenceHeader += outcomeValues.indices.map { "logP(X\(y)=\($0))" }
        for label in armLabels {
            referenceHeader += variables.indices.map { "X\($0)|\(label)" }
            referenceHeader += outcomeValues.indices.map { "logP(X\(y)=\($0))|\(label)" }
        }
        var reference = CSVTable(header: referenceHeader)

        let treatmentName = variables[t].name, outcomeName = variables[y].name
        let named = design.arms.map { "do(\(treatmentName)=\(treatmentValues[$0]))" }
        var extendedHeader = ["unit"] + variables.map(\.name)
        extendedHeader += treatmentValues.map { "P(\(treatmentName)=\($0))" }
        for label in named {
            extendedHeader.append("\(outcomeName)|\(label)")
            extendedHeader += outcomeValues.map { "P(\(outcomeName)=\($0))|\(label)" }
            extendedHeader += outcomeValues.map { "logP(\(outcomeName)=\($0))|\(label)" }
        }
        let contrasts = design.arms.dropFirst().map { ($0, design.arms[0]) }
        func contrastSuffix(_ pair: (Int, Int)) -> String {
            contrasts.count == 1 ? "" : " [\(treatmentValues[pair.0]) vs \(treatmentValues[pair.1])]"
        }
        for pair in contrasts {
            extendedHeader += outcomeValues.map { "ITE P(\(outcomeName)=\($0))" + contrastSuffix(pair) }
            extendedHeader += outcomeValues.map { "ITE logP(\(outcomeName)=\($0))" + contrastSuffix(pair) }
        }
        extendedHeader.append("text")
        var extended = CSVTable(header: extendedHeader)

        let exact = ExactInference(model: model)
        // Whether the hidden view exists is decided once, from the design; its rows cannot fail on their own.
        let view: HiddenConfoundingView?
        let hiddenSkipped: HiddenConfoundingError?
        do {
            view = try HiddenConfoundingView(design: design, model: model, limit: hiddenLimit)
            hiddenSkipped = nil
        } catch let error as HiddenConfoundingError {
            view = nil
            hiddenSkipped = error
        }
        var hiddenTable = view.map { CSVTable(header: $0.header(contrasts: contrasts, suffix: contrastSuffix)) }

        func rows(_ unit: Int) throws -> (reference: [String], extended: [String], hidden: [String]?) {
            let factual = try sampler.sample(unit: unit)
            let values = factual.values.map { Optional($0) }
            let indices = variables.indices.map { variables[$0].values?.firstIndex(of: factual.values[$0]) }
            let treatmentScores = try model.scores(of: t, values: values)
            let outcomeScores = try model.scores(of: y, values: values)
            var referenceRow = [String(unit)] + indices.map { $0.map(String.init) ?? "" }
            referenceRow += treatmentScores.raw.map(CSVTable.number) + outcomeScores.raw.map(CSVTable.number)
            var sharedArms: [SampledUnit] = []
            for (arm, label) in zip(design.arms, armLabels) {
                let intervention: [String: Intervention] = [treatmentName: .value(treatmentValues[arm])]
                let counterfactual = try sampler.counterfactual(of: factual, interventions: intervention,
                                                                semantics: semantics, label: label)
                let shared = semantics == .sharedNoise ? counterfactual
                    : try sampler.counterfactual(of: factual, interventions: intervention, semantics: .sharedNoise)
                sharedArms.append(shared)
                let armIndices = variables.indices.map { variables[$0].values?.firstIndex(of: counterfactual.values[$0]) }
                referenceRow += armIndices.map { $0.map(String.init) ?? "" }
                let armScores = try model.scores(of: y, values: counterfactual.values.map { Optional($0) })
                referenceRow += armScores.raw.map(CSVTable.number)
            }

            let unitValues = Dictionary(uniqueKeysWithValues: zip(variables.map(\.name), factual.values))
            let potential = try exact.potentialOutcomes(treatment: treatmentName, outcome: outcomeName, unitValues: unitValues)
            var row = [String(unit)] + factual.values
            row += treatmentScores.normalized.map { CSVTable.number(Foundation.exp($0)) }
            for (arm, shared) in zip(design.arms, sharedArms) {
                let probabilities = potential[treatmentValues[arm]]!
                row.append(shared.values[y])
                row += probabilities.map(CSVTable.number)
                row += probabilities.map { CSVTable.number($0 > 0 ? Foundation.log($0) : -.infinity) }
            }
            for (treated, control) in contrasts {
                let p1 = potential[treatmentValues[treated]]!, p0 = potential[treatmentValues[control]]!
                row += zip(p1, p0).map { CSVTable.number($0 - $1) }
                row += zip(p1, p0).map { CSVTable.number(Self.logDifference($0, $1)) }
            }
            row.append(factual.document)

            return (referenceRow, row, try view?.row(unit: unit, factual: factual, contrasts: contrasts))
        }

        // Units run in blocks whose language-model scoring is batched (same bytes as one by one).
        var next = 0
        while next < units {
            let block = Array(next..<min(units, next + blockSize))
            for result in try model.batched(block, blockSize: blockSize, body: rows) {
                reference.append(result.reference)
                extended.append(result.extended)
                if let row = result.hidden { hiddenTable?.append(row) }
            }
            next += block.count
            progress(next)
        }
        let hidden: Result<CSVTable, HiddenConfoundingError> = hiddenTable.map { .success($0) } ?? .failure(hiddenSkipped!)
        return Tables(reference: reference, extended: extended, hidden: hidden)
    }

    /// `log a − log b` with impossible values as ±infinity (nan when both are impossible).
    static func logDifference(_ a: Double, _ b: Double) -> Double {
        if a == 0 && b == 0 { return .nan }
        return (a > 0 ? Foundation.log(a) : -.infinity) - (b > 0 ? Foundation.log(b) : -.infinity)
    }
}

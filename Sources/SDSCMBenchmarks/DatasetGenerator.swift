import Foundation
import SDSCM

/// Generates one benchmark dataset: N units of one variation, with every counterfactual arm and the exact
/// ground truth, as the three tables SDSCM writes.
public struct DatasetGenerator: Sendable {
    /// The benchmark: treatment, arms and outcome.
    public let design: BenchmarkDesign
    /// The causal model of this dataset's variation.
    public let model: CausalModel
    /// Draws the units and their counterfactuals, with noise keyed by the dataset's noise seed.
    public let sampler: Sampler
    /// Semantics of the reference table's counterfactual columns (the extended table always uses shared noise).
    public let semantics: CounterfactualSemantics
    /// Largest number of joint hidden assignments enumerated (once per distinct visible assignment) for the
    /// hidden-confounding CATE; each costs about one unit's scoring. The default 32 keeps the view within about 32
    /// times the dataset's cost whatever the design; `BenchmarkSchema.automaticHiddenLimit(units:)` is the same
    /// budget for designs whose visible covariates repeat.
    public let hiddenLimit: Int
    /// Units evaluated at once, their language-model requests batched together (memory grows with it: the engine
    /// keeps one cache per unit). Output does not depend on it.
    public var blockSize = 32
    /// Units between two calls of the progress callback.
    public var progressInterval = 512

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
        public var reference: DataTable
        /// Named columns with exact ground truth.
        public var extended: DataTable
        /// The hidden-confounding view, or why it was not computed.
        public var hidden: Result<DataTable, HiddenConfoundingError>
    }

    /// Generates units `0..<units`; `progress` is called every `progressInterval` units with the number done.
    /// With `sink`, each block's rows go to it (table kind, header, rows) as soon as they are ready and the returned
    /// tables hold only their headers, so memory holds one block instead of the whole dataset.
    public func generate(units: Int, progress: (Int) -> Void = { _ in },
                         sink: ((_ kind: String, _ header: [String], _ rows: [[String]]) throws -> Void)? = nil) async throws -> Tables {
        let schema = try BenchmarkSchema(design: design)
        let variables = model.graph.variables
        let t = design.treatmentIndex, y = design.outcomeIndex
        let treatmentValues = variables[t].values!
        let treatmentName = variables[t].name, outcomeName = variables[y].name
        var reference = DataTable(header: schema.referenceHeader)
        var extended = DataTable(header: schema.extendedHeader)
        let contrasts = schema.contrasts
        let exact = ExactInference(model: model)
        // Whether the hidden view exists is decided once, from the design; its rows cannot fail on their own.
        let view: HiddenConfoundingView?
        let hiddenSkipped: HiddenConfoundingError?
        do {
            view = try HiddenConfoundingView(schema: schema, model: model, limit: hiddenLimit)
            hiddenSkipped = nil
        } catch let error as HiddenConfoundingError {
            view = nil
            hiddenSkipped = error
        }
        var hiddenTable = view.map { _ in DataTable(header: schema.hiddenHeader) }

        @Sendable func rows(_ unit: Int) async throws -> (reference: [String], extended: [String], factual: SampledUnit) {
            let factual = try await sampler.sample(unit: unit)
            let values = factual.values.map { Optional($0) }
            let indices = variables.indices.map { variables[$0].values?.firstIndex(of: factual.values[$0]) }
            let treatmentScores = try await model.scores(of: t, values: values)
            let outcomeScores = try await model.scores(of: y, values: values)
            var referenceRow = [String(unit)] + indices.map { $0.map(String.init) ?? "" }
            referenceRow += referenceScores(t, treatmentScores, drawn: factual.values[t]).map(DataTable.number)
                + referenceScores(y, outcomeScores, drawn: factual.values[y]).map(DataTable.number)
            var sharedArms: [SampledUnit] = []
            for arm in design.arms {
                let intervention: [String: Intervention] = [treatmentName: .value(treatmentValues[arm])]
                let counterfactual = try await sampler.counterfactual(of: factual, interventions: intervention,
                                                                      semantics: semantics, label: schema.referenceArmLabel(arm))
                let shared = semantics == .sharedNoise ? counterfactual
                    : try await sampler.counterfactual(of: factual, interventions: intervention, semantics: .sharedNoise)
                sharedArms.append(shared)
                let armIndices = variables.indices.map { variables[$0].values?.firstIndex(of: counterfactual.values[$0]) }
                referenceRow += armIndices.map { $0.map(String.init) ?? "" }
                let armScores = try await model.scores(of: y, values: counterfactual.values.map { Optional($0) })
                referenceRow += referenceScores(y, armScores, drawn: counterfactual.values[y]).map(DataTable.number)
            }

            let unitValues = Dictionary(uniqueKeysWithValues: zip(variables.map(\.name), factual.values))
            let potential = try await exact.potentialOutcomes(treatment: treatmentName, outcome: outcomeName, unitValues: unitValues)
                .mapValues(\.probabilities)
            var row = [String(unit)] + factual.values
            row += treatmentScores.normalized.map { DataTable.number(Foundation.exp($0)) }
            for (arm, shared) in zip(design.arms, sharedArms) {
                let probabilities = potential[treatmentValues[arm]]!
                row.append(shared.values[y])
                row += probabilities.map(DataTable.number)
                row += probabilities.map { DataTable.number($0 > 0 ? Foundation.log($0) : -.infinity) }
            }
            for (treated, control) in contrasts {
                let p1 = potential[treatmentValues[treated]]!, p0 = potential[treatmentValues[control]]!
                row += zip(p1, p0).map { DataTable.number($0 - $1) }
                row += zip(p1, p0).map { DataTable.number(Self.logDifference($0, $1)) }
            }
            row.append(factual.document)

            return (referenceRow, row, factual)
        }

        // Units run together, their language-model requests batched (same bytes as one by one). The hidden view's
        // CATE is computed once per new visible assignment, after each block, in order of first appearance.
        var cates: [[String]: [String]] = [:]
        var next = 0
        while next < units {
            let block = Array(next..<min(units, next + max(1, progressInterval)))
            let results = try await model.mapUnits(block, width: blockSize, rows)
            if let view {
                var newKeys: [[String]] = []
                for result in results {
                    let key = view.key(of: result.factual)
                    if cates[key] == nil && !newKeys.contains(key) { newKeys.append(key) }
                }
                let keys = newKeys
                let fields = try await model.mapUnits(Array(keys.indices), width: blockSize) {
                    // Few keys in flight leave room in the prefix caches for several assignments of each.
                    try await view.cateFields(for: keys[$0], contrasts: contrasts,
                                              width: max(1, HiddenConfoundingView.contextBudget / max(1, keys.count)))
                }
                for (key, value) in zip(keys, fields) { cates[key] = value }
            }
            if let sink {
                try sink("reference", reference.header, results.map(\.reference))
                try sink("extended", extended.header, results.map(\.extended))
                if let view, let hiddenTable {
                    try sink("hidden", hiddenTable.header, results.map {
                        view.row(unit: $0.factual.index, factual: $0.factual, cate: cates[view.key(of: $0.factual)]!)
                    })
                }
            } else {
                for result in results {
                    try reference.append(result.reference)
                    try extended.append(result.extended)
                    if let view {
                        try hiddenTable?.append(view.row(unit: result.factual.index, factual: result.factual,
                                                         cate: cates[view.key(of: result.factual)]!))
                    }
                }
            }
            next += block.count
            progress(next)
        }
        let hidden: Result<DataTable, HiddenConfoundingError> = hiddenTable.map { .success($0) } ?? .failure(hiddenSkipped!)
        return Tables(reference: reference, extended: extended, hidden: hidden)
    }

    /// The raw scores the reference code writes for a variable: the mechanism's raw scores, except for a uniform
    /// draw, which it stores as the one-hot log-probabilities of the value drawn (0 there, −inf elsewhere), as it
    /// does for any value it did not score (`sdscm.py` §2.3 of the specification).
    func referenceScores(_ index: Int, _ scores: MechanismScores, drawn value: String) -> [Double] {
        guard model.equations[index] is UniformEquation, let domain = model.graph.variables[index].values else { return scores.raw }
        return domain.map { $0 == value ? 0 : -.infinity }
    }

    /// `log a − log b` with impossible values as ±infinity (nan when both are impossible).
    static func logDifference(_ a: Double, _ b: Double) -> Double {
        if a == 0 && b == 0 { return .nan }
        return (a > 0 ? Foundation.log(a) : -.infinity) - (b > 0 ? Foundation.log(b) : -.infinity)
    }
}

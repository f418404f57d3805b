import Foundation
import SDSCMRandomness

/// Draws units from a `CausalModel`: observational, interventional, conditional-interventional and
/// counterfactual, all by the Gumbel-max trick with keyed noise.
///
/// Every categorical value is `argmax_c(log P(c | parents) + G[unit, variable, c])` and every generated token
/// `argmax_t(θ_t + G[unit, variable, position, t])`, with `G` from `NoiseSource`. Units are therefore independent
/// of each other and of evaluation order, and a counterfactual can reuse a unit's noise exactly. Queries over many
/// units run them together (`CausalModel.mapUnits`), so their language-model requests share calls.
public struct Sampler: Sendable {
    /// The model sampled from.
    public let model: CausalModel
    /// The noise every draw is keyed by.
    public let noise: NoiseSource

    /// A sampler whose noise is keyed by `seed`.
    public init(model: CausalModel, seed: UInt64) {
        self.model = model
        noise = NoiseSource(seed: seed)
    }

    /// Where one variable's noise comes from during a propagation.
    enum NoiseProvider: Sendable {
        /// Prior noise of a stream, keyed by (unit, variable, position, index).
        case prior(NoiseSource.Stream)
        /// A posterior draw for a categorical variable.
        case categorical([Double])
        /// Posterior draws for the observed tokens of a text variable, then prior noise of a stream from counter
        /// position `offset` on (each posterior draw has its own offset, so draws that generate past the
        /// observed text do not share noise there).
        case text([TokenPosterior], beyond: NoiseSource.Stream, offset: Int)
    }

    /// The abducted noise of one position of a text variable, by token id.
    struct TokenPosterior: Sendable {
        /// Every token's noise, indexed by id (a full-vocabulary distribution).
        var dense: [Double]?
        /// The noise of the tokens a top-k distribution listed; any other token keeps its prior noise, keyed by
        /// its id at `position` of the posterior stream (as an impossible entry of a full distribution does).
        var listed: [Int: Double]?
        /// The posterior stream's counter position of this token position.
        var position: Int
    }

    // MARK: Queries

    /// Unit number `unit` of the observational distribution, or of the interventional one under `interventions`
    /// (by variable name). Variables fixed by a conditional-interventional query are simply interventions.
    public func sample(unit: Int, interventions: [String: Intervention] = [:]) async throws -> SampledUnit {
        let resolved = try ResolvedInterventions(interventions, graph: model.graph)
        let provenance = Provenance(kind: .sampled, seed: noise.seed, model: model.fingerprint,
                                    interventions: Intervention.describe(interventions))
        return try await propagate(unit: unit, interventions: resolved, keep: [], provenance: provenance) { _ in .prior(.mechanism) }
    }

    /// Units `units` (see `sample(unit:interventions:)`), evaluated together.
    public func sample(units: Range<Int>, interventions: [String: Intervention] = [:]) async throws -> [SampledUnit] {
        _ = try ResolvedInterventions(interventions, graph: model.graph)
        return try await model.mapUnits(Array(units)) { unit in try await sample(unit: unit, interventions: interventions) }
    }

    /// The unit `index` this sampler draws under `interventions`, checked against stored `values` (every
    /// variable's value by name, e.g. a row of a CSV this sampler wrote): the way back from stored data to a unit
    /// whose counterfactuals can be replayed. A value that differs is a `foreignUnit` error (the row came from
    /// another seed, model or set of interventions).
    public func unit(_ index: Int, values: [String: String], interventions: [String: Intervention] = [:]) async throws -> SampledUnit {
        for name in values.keys { _ = try model.graph.index(of: name) }
        let unit = try await sample(unit: index, interventions: interventions)
        for (position, name) in unit.variables.enumerated() {
            guard let stored = values[name] else { throw CausalModelError.missingObservation(variable: name) }
            guard stored == unit.values[position] else {
                throw CausalModelError.foreignUnit(
                    unit: index, reason: "the stored value of '\(name)' is '\(stored)', but this sampler (seed \(noise.seed), model \(model.fingerprint)) draws '\(unit.values[position])'")
            }
        }
        return unit
    }

    /// The units of a table this sampler wrote (`sdscm sample`'s columns: `unit`, then one per variable; other
    /// columns are ignored), each checked as `unit(_:values:interventions:)` checks it.
    public func units(from table: DataTable, interventions: [String: Intervention] = [:]) async throws -> [SampledUnit] {
        let indices = try table.column("unit").enumerated().map { row, text -> Int in
            guard let index = Int(text) else { throw DataTableError.notANumber(column: "unit", line: row + 2, field: text) }
            return index
        }
        let columns = try model.graph.variables.map { try table.columnIndex($0.name) }
        let names = model.graph.variables.map(\.name)
        let rows = table.rows
        return try await model.mapUnits(Array(indices.indices)) { row in
            let values = Dictionary(uniqueKeysWithValues: zip(names, columns.map { rows[row][$0] }))
            return try await unit(indices[row], values: values, interventions: interventions)
        }
    }

    /// The counterfactual of a unit this sampler generated, had `interventions` been applied on top of the
    /// interventions the unit was drawn under (`SampledUnit.interventions`; the arm's win where both set a
    /// variable): a factual `do(M=m)` holds in every arm, even when M descends from the arm's variable.
    ///
    /// - `sharedNoise`: non-descendants of the intervened variables keep their values; descendants are
    ///   recomputed from their counterfactual parents with the unit's own noise (replay). With the factual value
    ///   as intervention, the result equals `unit`.
    /// - `paper`: exogenous variables and non-descendants keep their values; descendants are redrawn with fresh
    ///   noise from a stream named by `label` (default: the interventions' description), so different arms use
    ///   independent noise. Interventions on exogenous variables are refused, as in `sdscm.py`. With `evidence`
    ///   (the reference's `evidence_indices`), exactly the exogenous variables and the listed ones keep their
    ///   values and every other variable is redrawn, non-descendants included, as the reference does; listing a
    ///   descendant of the intervened variables is refused (it cannot be held fixed and be affected).
    ///
    /// A unit drawn with another seed or by another model (see `SampledUnit.provenance`) is refused with a
    /// `foreignUnit` error: its noise is not this sampler's, so a replay would silently be wrong.
    public func counterfactual(of unit: SampledUnit, interventions: [String: Intervention],
                               semantics: CounterfactualSemantics = .sharedNoise, label: String? = nil,
                               evidence: [String]? = nil) async throws -> SampledUnit {
        try checkReplayable(unit)
        let arm = try ResolvedInterventions(interventions, graph: model.graph)
        // The factual unit's own interventions hold in every arm unless the arm sets the same variable.
        let resolved = try ResolvedInterventions(unit.interventions.merging(interventions) { _, armWins in armWins }, graph: model.graph)
        let graph = model.graph
        let affected = graph.descendants(of: arm.indices)
        var keep = Set<Int>()  // variables that keep their factual value
        if let evidence {
            guard semantics == .paper else {
                throw CausalModelError.unsupportedQuery("evidence lists apply to paper-semantics counterfactuals; shared noise keeps every non-descendant")
            }
            for name in evidence {
                let index = try graph.index(of: name)
                if affected.contains(index) {
                    throw CausalModelError.unsupportedQuery("evidence variable '\(name)' is the intervened variable or one of its descendants, so it cannot be held at its factual value")
                }
                if resolved[index] == nil { keep.insert(index) }
            }
            for index in graph.variables.indices where resolved[index] == nil && graph.variables[index].exogenous { keep.insert(index) }
        } else {
            for index in graph.variables.indices where resolved[index] == nil {
                let exogenousKept = semantics == .paper && graph.variables[index].exogenous
                if !affected.contains(index) || exogenousKept { keep.insert(index) }
            }
        }
        if semantics == .paper {
            for index in arm.indices.sorted() where graph.variables[index].exogenous {
                throw CausalModelError.unsupportedQuery(
                    "paper-semantics counterfactuals keep exogenous variables fixed; '\(graph.variables[index].name)' cannot be intervened on")
            }
        }
        let stream: NoiseSource.Stream = semantics == .sharedNoise ? .mechanism : .fresh(label ?? Intervention.describe(interventions))
        let provenance = Provenance(kind: semantics == .sharedNoise ? .counterfactual : .paperCounterfactual, seed: noise.seed,
                                    model: model.fingerprint, interventions: Intervention.describe(resolved.byName))
        // Under replay, a descendant whose parents all kept their factual values gets the factual value back (same
        // mechanism, same noise), so it is copied instead of recomputed: an arm costs only what it changes.
        return try await propagate(unit: unit.index, interventions: resolved, keep: keep, factual: unit,
                                   reuseUnchanged: semantics == .sharedNoise, provenance: provenance) { _ in .prior(stream) }
    }

    /// Refuses units whose noise this sampler does not have.
    private func checkReplayable(_ unit: SampledUnit) throws {
        let provenance = unit.provenance
        guard provenance.kind == .sampled || provenance.kind == .counterfactual else {
            throw CausalModelError.foreignUnit(
                unit: unit.index, reason: "it is a \(provenance.kind.rawValue) unit, whose noise is not the mechanisms' noise of its seed; replay only sampled units and their shared-noise counterfactuals")
        }
        guard provenance.model == model.fingerprint else {
            throw CausalModelError.foreignUnit(
                unit: unit.index, reason: "it was drawn by causal model \(provenance.model), not by this one (\(model.fingerprint)): another configuration, phrasing, scoring mode or language model")
        }
        guard provenance.seed == noise.seed else {
            throw CausalModelError.foreignUnit(
                unit: unit.index, reason: "it was drawn with seed \(provenance.seed), not this sampler's seed \(noise.seed)")
        }
    }

    /// Counterfactuals of a supplied observation (every variable's value, by name), had `interventions` been
    /// applied: `draws` samples, each with the noise of every affected variable drawn from its posterior given
    /// the observation (top-down truncated Gumbel; per token for free text). Their empirical distribution is the
    /// counterfactual distribution of the unit. `unit` keys the posterior draws.
    public func counterfactuals(of observation: [String: String], unit: Int, interventions: [String: Intervention],
                                draws: Int) async throws -> [SampledUnit] {
        let resolved = try ResolvedInterventions(interventions, graph: model.graph)
        let factual = try await observedUnit(observation, unit: unit)
        let affected = model.graph.descendants(of: resolved.indices).subtracting(resolved.indices)
        let keep = Set(model.graph.variables.indices.filter { resolved[$0] == nil && !affected.contains($0) })
        let factualValues = factual.values.map { Optional($0) }
        let provenance = Provenance(kind: .abducted, seed: noise.seed, model: model.fingerprint,
                                    interventions: Intervention.describe(interventions))
        return try await model.mapUnits(Array(0..<draws)) { draw in
            var providers: [Int: NoiseProvider] = [:]
            for index in affected.sorted() {
                providers[index] = try await posteriorNoise(of: index, factual: factual, values: factualValues, unit: unit, draw: draw)
            }
            return try await propagate(unit: unit, interventions: resolved, keep: keep, factual: factual,
                                       provenance: provenance) { index in providers[index] ?? .prior(.mechanism) }
        }
    }

    // MARK: Propagation

    /// Determines every variable in τ order: `preset` ones as given (with the distribution they would be drawn
    /// from), intervened ones by their intervention, kept ones from `factual`, the rest by their mechanism with
    /// noise from `noiseOf`.
    func propagate(unit: Int, interventions: ResolvedInterventions, keep: Set<Int>, factual: SampledUnit? = nil,
                   reuseUnchanged: Bool = false, preset: [Int: String] = [:], provenance: Provenance,
                   noiseOf: (Int) -> NoiseProvider) async throws -> SampledUnit {
        let graph = model.graph
        let count = graph.variables.count
        var values = [String?](repeating: nil, count: count)
        var texts = [String](repeating: "", count: count)
        var logProbabilities = [[Double]?](repeating: nil, count: count)
        var tokens = [[Int]?](repeating: nil, count: count)
        for index in graph.order {
            let variable = graph.variables[index]
            let key = NoiseSource.hash(variable.name)
            if let value = preset[index] {
                values[index] = value
                if let intervention = interventions[index] {
                    logProbabilities[index] = intervention.logProbabilities(over: variable.values!)
                } else {
                    logProbabilities[index] = try await model.logProbabilities(of: index, values: values)
                }
            } else if let intervention = interventions[index] {
                let (value, distribution) = apply(intervention, to: index, unit: unit, key: key)
                values[index] = value
                logProbabilities[index] = distribution
            } else if let factual, keep.contains(index)
                        || (reuseUnchanged && graph.parentIndices[index].allSatisfy { values[$0] == factual.values[$0] }) {
                values[index] = factual.values[index]
                logProbabilities[index] = factual.logProbabilities[index]
                tokens[index] = factual.tokens[index]
            } else if variable.isText {
                let generated = try await generate(index, values: values, unit: unit, key: key, noise: noiseOf(index))
                values[index] = generated.value
                tokens[index] = generated.tokens
            } else {
                let distribution = try await model.logProbabilities(of: index, values: values)
                let choice: Int?
                switch noiseOf(index) {
                case .prior(let stream):
                    choice = GumbelMax.sample(distribution) {
                        noise.gumbel(stream, unit: unit, variable: key, position: 0, index: UInt64($0))
                    }
                case .categorical(let posterior):
                    choice = GumbelMax.sample(distribution) { posterior[$0] }
                case .text:
                    preconditionFailure("text noise for a categorical variable")
                }
                values[index] = variable.values![choice!]
                logProbabilities[index] = distribution
            }
            texts[index] = model.text(of: index, value: values[index]!)
        }
        let document = TextRendering.document(graph.order.map { texts[$0] })
        return SampledUnit(index: unit, provenance: provenance, variables: graph.variables.map(\.name),
                           values: values.map { $0! }, texts: texts, logProbabilities: logProbabilities, tokens: tokens,
                           document: document, interventions: interventions.byName)
    }

    /// The value an intervention gives, and the distribution it was drawn from (categorical variables).
    func apply(_ intervention: Intervention, to index: Int, unit: Int, key: UInt64) -> (String, [Double]?) {
        guard let domain = model.graph.variables[index].values else {
            guard case .value(let value) = intervention else { preconditionFailure("checked by ResolvedInterventions") }
            return (value, nil)
        }
        let distribution = intervention.logProbabilities(over: domain)
        if case .value(let value) = intervention { return (value, distribution) }
        let choice = GumbelMax.sample(distribution) {
            noise.gumbel(.intervention, unit: unit, variable: key, position: 0, index: UInt64($0))
        }
        return (domain[choice!], distribution)
    }

    // MARK: Observations and abduction

    /// A `SampledUnit` holding a supplied observation (all variables), with each categorical value's factual
    /// distribution.
    func observedUnit(_ observation: [String: String], unit: Int) async throws -> SampledUnit {
        for name in observation.keys { _ = try model.graph.index(of: name) }
        let graph = model.graph
        var values = [String?](repeating: nil, count: graph.variables.count)
        var logProbabilities = [[Double]?](repeating: nil, count: graph.variables.count)
        var texts = [String](repeating: "", count: graph.variables.count)
        for index in graph.order {
            let variable = graph.variables[index]
            guard let value = observation[variable.name] else { throw CausalModelError.missingObservation(variable: variable.name) }
            if let domain = variable.values {
                guard domain.contains(value) else { throw CausalModelError.valueOutsideDomain(variable: variable.name, value: value) }
            }
            values[index] = value
            texts[index] = model.text(of: index, value: value)
        }
        for index in graph.order where !graph.variables[index].isText {
            logProbabilities[index] = try await model.logProbabilities(of: index, values: values)
        }
        return SampledUnit(index: unit, provenance: Provenance(kind: .observed, seed: noise.seed, model: model.fingerprint, interventions: "do()"),
                           variables: graph.variables.map(\.name), values: values.map { $0! }, texts: texts,
                           logProbabilities: logProbabilities, tokens: [[Int]?](repeating: nil, count: graph.variables.count),
                           document: TextRendering.document(graph.order.map { texts[$0] }))
    }

    /// One posterior draw of a variable's noise given its factual value and parents.
    func posteriorNoise(of index: Int, factual: SampledUnit, values: [String?], unit: Int, draw: Int) async throws -> NoiseProvider {
        let variable = model.graph.variables[index]
        let key = NoiseSource.hash(variable.name)
        let offset = draw << 32
        if let domain = variable.values {
            let distribution = factual.logProbabilities[index]!
            let observed = domain.firstIndex(of: factual.values[index])!
            guard distribution[observed] > -.infinity else {
                throw CausalModelError.unsupportedQuery(
                    "the observation is impossible under the model: '\(variable.name)' = '\(factual.values[index])' has probability zero")
            }
            return .categorical(GumbelMax.posterior(distribution, observed: observed) {
                noise.uniform(.posterior, unit: unit, variable: key, position: offset, index: UInt64($0))
            })
        }
        guard case .text(let options) = variable.domain, options.temperature > 0 else {
            return .prior(.mechanism)  // greedy text has no noise to abduct
        }
        return .text(try await textPosterior(of: index, value: factual.values[index], values: values, options: options,
                                             unit: unit, key: key, offset: offset), beyond: .posterior, offset: offset)
    }
}

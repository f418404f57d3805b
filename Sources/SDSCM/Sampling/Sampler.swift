import Foundation
import SDSCMRandomness

/// Draws units from a `CausalModel`: observational, interventional, conditional-interventional and
/// counterfactual, all by the Gumbel-max trick with keyed noise.
///
/// Every categorical value is `argmax_c(log P(c | parents) + G[unit, variable, c])` and every generated token
/// `argmax_t(θ_t + G[unit, variable, position, t])`, with `G` from `NoiseSource`. Units are therefore independent
/// of each other and of evaluation order, and a counterfactual can reuse a unit's noise exactly.
public struct Sampler: Sendable {
    /// The model sampled from.
    public let model: CausalModel
    /// The noise every draw is keyed by.
    public let noise: NoiseSource

    public init(model: CausalModel, seed: UInt64) {
        self.model = model
        noise = NoiseSource(seed: seed)
    }

    /// Where one variable's noise comes from during a propagation.
    enum NoiseProvider {
        /// Prior noise of a stream, keyed by (unit, variable, position, index).
        case prior(NoiseSource.Stream)
        /// A posterior draw for a categorical variable.
        case categorical([Double])
        /// Posterior draws for the observed tokens of a text variable, then prior noise of a stream.
        case text([[Double]], beyond: NoiseSource.Stream)
    }

    // MARK: Queries

    /// Unit number `unit` of the observational distribution, or of the interventional one under `interventions`
    /// (by variable name). Variables fixed by a conditional-interventional query are simply interventions.
    public func sample(unit: Int, interventions: [String: Intervention] = [:]) throws -> SampledUnit {
        let resolved = try resolve(interventions)
        return try propagate(unit: unit, interventions: resolved, keep: [:]) { _ in .prior(.mechanism) }
    }

    /// Units `units` (see `sample(unit:interventions:)`).
    public func sample(units: Range<Int>, interventions: [String: Intervention] = [:]) throws -> [SampledUnit] {
        let resolved = try resolve(interventions)
        return try units.map { unit in
            try propagate(unit: unit, interventions: resolved, keep: [:]) { _ in .prior(.mechanism) }
        }
    }

    /// The counterfactual of a unit this sampler generated, had `interventions` been applied.
    ///
    /// - `sharedNoise`: non-descendants of the intervened variables keep their values; descendants are
    ///   recomputed from their counterfactual parents with the unit's own noise (replay). With the factual value
    ///   as intervention, the result equals `unit`.
    /// - `paper`: exogenous variables and non-descendants keep their values; descendants are redrawn with fresh
    ///   noise from a stream named by `label` (default: the interventions' description), so different arms use
    ///   independent noise. Interventions on exogenous variables are refused, as in `sdscm.py`.
    public func counterfactual(of unit: SampledUnit, interventions: [String: Intervention],
                               semantics: CounterfactualSemantics = .sharedNoise, label: String? = nil) throws -> SampledUnit {
        let resolved = try resolve(interventions)
        let affected = model.graph.descendants(of: resolved.keys)
        var keep: [Int: Int] = [:]  // variable → itself: keep the factual value
        for index in model.graph.variables.indices where resolved[index] == nil {
            let exogenousKept = semantics == .paper && model.graph.variables[index].exogenous
            if !affected.contains(index) || exogenousKept { keep[index] = index }
        }
        if semantics == .paper {
            for index in resolved.keys where model.graph.variables[index].exogenous {
                throw CausalModelError.unsupportedQuery(
                    "paper-semantics counterfactuals keep exogenous variables fixed; '\(model.graph.variables[index].name)' cannot be intervened on")
            }
        }
        let stream: NoiseSource.Stream = semantics == .sharedNoise ? .mechanism : .fresh(label ?? Self.describe(interventions))
        // Under replay, a descendant whose parents all kept their factual values gets the factual value back (same
        // mechanism, same noise), so it is copied instead of recomputed: an arm costs only what it changes.
        return try propagate(unit: unit.index, interventions: resolved, keep: keep, factual: unit,
                             reuseUnchanged: semantics == .sharedNoise) { _ in .prior(stream) }
    }

    /// Counterfactuals of a supplied observation (every variable's value, by name), had `interventions` been
    /// applied: `draws` samples, each with the noise of every affected variable drawn from its posterior given
    /// the observation (top-down truncated Gumbel; per token for free text). Their empirical distribution is the
    /// counterfactual distribution of the unit. `unit` keys the posterior draws.
    public func counterfactuals(of observation: [String: String], unit: Int, interventions: [String: Intervention],
                                draws: Int) throws -> [SampledUnit] {
        let resolved = try resolve(interventions)
        let factual = try observedUnit(observation, unit: unit)
        let affected = model.graph.descendants(of: resolved.keys).subtracting(resolved.keys)
        var keep: [Int: Int] = [:]
        for index in model.graph.variables.indices where resolved[index] == nil && !affected.contains(index) {
            keep[index] = index
        }
        // The factual context of each affected variable, and its observed choice.
        let factualValues = factual.values.map { Optional($0) }
        return try (0..<draws).map { draw in
            var providers: [Int: NoiseProvider] = [:]
            for index in affected.sorted() {
                providers[index] = try posteriorNoise(of: index, factual: factual, values: factualValues, unit: unit, draw: draw)
            }
            return try propagate(unit: unit, interventions: resolved, keep: keep, factual: factual) { index in
                providers[index] ?? .prior(.mechanism)
            }
        }
    }

    // MARK: Propagation

    /// Determines every variable in τ order: intervened ones by their intervention, kept ones from `factual`,
    /// the rest by their mechanism with noise from `noiseOf`.
    func propagate(unit: Int, interventions: [Int: Intervention], keep: [Int: Int], factual: SampledUnit? = nil,
                   reuseUnchanged: Bool = false, noiseOf: (Int) -> NoiseProvider) throws -> SampledUnit {
        let graph = model.graph
        let count = graph.variables.count
        var values = [String?](repeating: nil, count: count)
        var texts = [String](repeating: "", count: count)
        var logProbabilities = [[Double]?](repeating: nil, count: count)
        var tokens = [[Int]?](repeating: nil, count: count)
        for index in graph.order {
            let variable = graph.variables[index]
            let key = NoiseSource.hash(variable.name)
            if let intervention = interventions[index] {
                let (value, distribution) = try apply(intervention, to: index, unit: unit, key: key)
                values[index] = value
                logProbabilities[index] = distribution
            } else if let factual, keep[index] != nil
                        || (reuseUnchanged && graph.parentIndices[index].allSatisfy { values[$0] == factual.values[$0] }) {
                values[index] = factual.values[index]
                logProbabilities[index] = factual.logProbabilities[index]
                tokens[index] = factual.tokens[index]
            } else if variable.isText {
                let generated = try generate(index, values: values, unit: unit, key: key, noise: noiseOf(index))
                values[index] = generated.value
                tokens[index] = generated.tokens
            } else {
                let distribution = try model.logProbabilities(of: index, values: values)
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
        return SampledUnit(index: unit, values: values.map { $0! }, texts: texts, logProbabilities: logProbabilities,
                    tokens: tokens, document: document)
    }

    /// The value an intervention gives, and the distribution it was drawn from (categorical variables).
    func apply(_ intervention: Intervention, to index: Int, unit: Int, key: UInt64) throws -> (String, [Double]?) {
        let variable = model.graph.variables[index]
        switch intervention {
        case .value(let value):
            guard let domain = variable.values else { return (value, nil) }
            guard let position = domain.firstIndex(of: value) else {
                throw CausalModelError.valueOutsideDomain(variable: variable.name, value: value)
            }
            return (value, domain.indices.map { $0 == position ? 0 : -.infinity })
        case .uniform, .distribution:
            guard let domain = variable.values else {
                throw CausalModelError.needsCategorical(variable: variable.name, query: "a random intervention")
            }
            var weights = [Double](repeating: 0, count: domain.count)
            if case .distribution(let probabilities) = intervention {
                weights = domain.map { value in
                    let p = probabilities[value] ?? 0
                    return p > 0 && p.isFinite ? PortableMath.log(p) : -.infinity
                }
            }
            let distribution = GumbelMax.normalized(weights)
            let choice = GumbelMax.sample(distribution) {
                noise.gumbel(.intervention, unit: unit, variable: key, position: 0, index: UInt64($0))
            }
            return (domain[choice!], distribution)
        }
    }

    /// Resolves names and checks values.
    func resolve(_ interventions: [String: Intervention]) throws -> [Int: Intervention] {
        var resolved: [Int: Intervention] = [:]
        for (name, intervention) in interventions {
            let index = try model.graph.index(of: name)
            let variable = model.graph.variables[index]
            switch intervention {
            case .value(let value):
                if let domain = variable.values, !domain.contains(value) {
                    throw CausalModelError.valueOutsideDomain(variable: name, value: value)
                }
            case .distribution(let probabilities):
                guard let domain = variable.values else {
                    throw CausalModelError.needsCategorical(variable: name, query: "a distributional intervention")
                }
                for (value, p) in probabilities {
                    guard domain.contains(value) else { throw CausalModelError.valueOutsideDomain(variable: name, value: value) }
                    guard p >= 0 && p.isFinite else {
                        throw CausalModelError.unsupportedQuery("intervention on '\(name)': probability \(p) for '\(value)'")
                    }
                }
                guard probabilities.values.contains(where: { $0 > 0 }) else {
                    throw CausalModelError.unsupportedQuery("intervention on '\(name)': no positive probability")
                }
            case .uniform:
                guard variable.values != nil else {
                    throw CausalModelError.needsCategorical(variable: name, query: "a uniform intervention")
                }
            }
            resolved[index] = intervention
        }
        return resolved
    }

    /// A stable description of interventions, e.g. `do(T=1,U=uniform)`.
    static func describe(_ interventions: [String: Intervention]) -> String {
        let parts = interventions.sorted { $0.key < $1.key }.map { name, intervention -> String in
            switch intervention {
            case .value(let value): return "\(name)=\(value)"
            case .uniform: return "\(name)~uniform"
            case .distribution(let p):
                return "\(name)~{" + p.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",") + "}"
            }
        }
        return "do(" + parts.joined(separator: ",") + ")"
    }

    // MARK: Observations and abduction

    /// A `SampledUnit` holding a supplied observation (all variables), with each categorical value's factual
    /// distribution.
    func observedUnit(_ observation: [String: String], unit: Int) throws -> SampledUnit {
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
            logProbabilities[index] = try model.logProbabilities(of: index, values: values)
        }
        return SampledUnit(index: unit, values: values.map { $0! }, texts: texts, logProbabilities: logProbabilities,
                    tokens: [[Int]?](repeating: nil, count: graph.variables.count),
                    document: TextRendering.document(graph.order.map { texts[$0] }))
    }

    /// One posterior draw of a variable's noise given its factual value and parents.
    func posteriorNoise(of index: Int, factual: SampledUnit, values: [String?], unit: Int, draw: Int) throws -> NoiseProvider {
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
        let (prompt, observedTokens) = try observedTokens(of: index, value: factual.values[index], values: values, options: options)
        var perPosition: [[Double]] = []
        for (position, token) in observedTokens.enumerated() {
            let logits = try model.languageModel!.nextTokenLogProbabilities(after: [prompt + observedTokens[..<position]])[0]
            let processed = TokenProcessing.process(logits, options: options)
            guard processed[token] > -.infinity else {
                throw CausalModelError.unsupportedQuery(
                    "the observed text of '\(variable.name)' is impossible under its sampling settings (token \(position) is excluded by top-k/top-p)")
            }
            perPosition.append(GumbelMax.posterior(processed, observed: token) {
                noise.uniform(.posterior, unit: unit, variable: key, position: offset + position, index: UInt64($0))
            })
        }
        return .text(perPosition, beyond: .posterior)
    }

    /// The prompt of a text variable given its parents, and the tokens of an observed value (with the first stop
    /// string appended, or an end-of-generation token when there are no stop strings and the text is shorter
    /// than the limit, so that the abducted noise also reproduces where generation stopped).
    func observedTokens(of index: Int, value: String, values: [String?], options: Variable.TextOptions) throws -> ([Int], [Int]) {
        let languageModel = model.languageModel!
        let (prompt, trailing) = self.prompt(of: index, values: values)
        var tokens = languageModel.tokenize(trailing + value + (options.stop.first ?? ""), addSpecial: false)
        if options.stop.isEmpty && tokens.count < options.maxTokens, let end = languageModel.endOfGeneration.min() {
            tokens.append(end)
        }
        return (prompt, Array(tokens.prefix(options.maxTokens)))
    }

    // MARK: Free text

    /// The tokens a text variable's generation starts from, and the whitespace its context ends with.
    ///
    /// Trailing spaces are taken off the context before tokenizing: byte-level tokenizers attach a space to the
    /// following word, so a prompt ending in a lone space token is one the model rarely saw, and generations
    /// after it drift. The model generates the space itself (" is back at work"), and `generate` removes it from
    /// the value so that `prefix + value + suffix` reads as written. The start token stands in for an empty
    /// context.
    func prompt(of index: Int, values: [String?]) -> (tokens: [Int], trailing: String) {
        let languageModel = model.languageModel!
        let context = model.input(of: index, values: values).context
        var end = context.endIndex
        while end > context.startIndex, context[context.index(before: end)] == " " { end = context.index(before: end) }
        let tokens = languageModel.tokenize(String(context[..<end]), addSpecial: true)
        let trailing = String(context[end...])
        if tokens.isEmpty, let start = languageModel.startToken { return ([start], trailing) }
        return (tokens, trailing)
    }

    /// Generates a text variable's value token by token with keyed noise.
    func generate(_ index: Int, values: [String?], unit: Int, key: UInt64, noise provider: NoiseProvider) throws -> (value: String, tokens: [Int]) {
        guard case .text(let options) = model.graph.variables[index].domain, let languageModel = model.languageModel else {
            preconditionFailure("generate called for a categorical variable")
        }
        let (prompt, trailing) = self.prompt(of: index, values: values)
        guard !prompt.isEmpty else { throw LanguageModelError.emptyContext }
        let endOfGeneration = languageModel.endOfGeneration
        var generated: [Int] = []
        var text = ""
        for position in 0..<options.maxTokens {
            let logits = try languageModel.nextTokenLogProbabilities(after: [prompt + generated])[0]
            let token: Int
            if options.temperature == 0 {
                token = TokenProcessing.argmax(logits)
            } else {
                let processed = TokenProcessing.process(logits, options: options)
                switch provider {
                case .prior(let stream):
                    token = TokenProcessing.sample(processed) {
                        noise.gumbel(stream, unit: unit, variable: key, position: position, index: UInt64($0))
                    }
                case .text(let posterior, let beyond):
                    if position < posterior.count {
                        token = GumbelMax.sample(processed) { posterior[position][$0] }!
                    } else {
                        token = TokenProcessing.sample(processed) {
                            noise.gumbel(beyond, unit: unit, variable: key, position: position, index: UInt64($0))
                        }
                    }
                case .categorical:
                    preconditionFailure("categorical noise for a text variable")
                }
            }
            if endOfGeneration.contains(token) { break }
            generated.append(token)
            text = try languageModel.detokenize(generated)
            if let cut = options.stop.compactMap({ text.range(of: $0)?.lowerBound }).min() {
                text = String(text[..<cut])
                break
            }
        }
        if !trailing.isEmpty && text.hasPrefix(trailing) { text.removeFirst(trailing.count) }
        return (text, generated)
    }
}

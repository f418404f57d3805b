import SDSCMRandomness

/// Free-text variables: generation token by token with keyed noise, and abduction of an observed text's noise.
extension Sampler {
    /// The text a text variable's generation starts from, and the whitespace its context ends with.
    ///
    /// Trailing spaces are taken off the context: byte-level tokenizers attach a space to the following word, so a
    /// prompt ending in a lone space token is one the model rarely saw, and generations after it drift. The model
    /// generates the space itself (" is back at work"), and `generate` removes it from the value so that
    /// `prefix + value + suffix` reads as written.
    func prompt(of index: Int, values: [String?]) -> (prompt: String, trailing: String) {
        let context = model.input(of: index, values: values).context
        var end = context.endIndex
        while end > context.startIndex, context[context.index(before: end)] == " " { end = context.index(before: end) }
        return (String(context[..<end]), String(context[end...]))
    }

    /// Generates a text variable's value token by token with keyed noise; every step's next-token distribution is
    /// requested through the model's batcher, so the steps of concurrently running units share model calls.
    func generate(_ index: Int, values: [String?], unit: Int, key: UInt64, noise provider: NoiseProvider) async throws -> (value: String, tokens: [Int]) {
        guard case .text(let options) = model.graph.variables[index].domain, let languageModel = model.languageModel else {
            preconditionFailure("generate called for a categorical variable or without a language model")
        }
        let variable = model.graph.variables[index].name
        let (prompt, trailing) = self.prompt(of: index, values: values)
        // Greedy text is a function of its prompt: generated once per prompt for all units and arms.
        let greedyKey = MechanismMemo.GreedyKey(variable: index, prompt: prompt + "\u{0}" + trailing)
        if options.temperature == 0, let known = model.memo.greedyText(greedyKey) { return (known.value, known.tokens) }
        let endOfGeneration = languageModel.endOfGeneration
        var generated: [Int] = []
        var text = ""
        for position in 0..<options.maxTokens {
            let distribution: NextTokenDistribution
            do {
                distribution = try await model.nextTokens([NextTokenRequest(prompt: prompt, continuation: generated)])[0]
            } catch LanguageModelError.contextOverflow where position > 0 {
                // The text reached the end of the model's context: it ends there, as `max_tokens` would end it
                // (an overflow before the first token is the prompt's, and stays an error).
                break
            }
            let token: Int
            if options.temperature == 0 {
                token = TokenProcessing.argmax(distribution)
            } else {
                let processed = TokenProcessing.process(distribution, options: options)
                let entry: Int?
                switch provider {
                case .prior(let stream):
                    entry = processed.sample { self.noise.gumbel(stream, unit: unit, variable: key, position: position, index: UInt64($0)) }
                case .text(let posterior, let beyond, let offset):
                    if position < posterior.count {
                        let abducted = posterior[position]
                        entry = GumbelMax.sample(processed.theta) { entry in
                            let token = processed.ids?[entry] ?? entry
                            if let dense = abducted.dense { return dense[token] }
                            return abducted.listed![token]
                                ?? Philox.gumbel(self.noise.uniform(.posterior, unit: unit, variable: key, position: abducted.position, index: UInt64(token)))
                        }
                    } else {
                        entry = processed.sample { self.noise.gumbel(beyond, unit: unit, variable: key, position: offset + position, index: UInt64($0)) }
                    }
                case .categorical:
                    preconditionFailure("categorical noise for a text variable")
                }
                guard let entry else {
                    throw CausalModelError.noPossibleValue(variable: variable, context: prompt + " (no token has non-zero probability at position \(position))")
                }
                token = distribution.token(at: entry)
            }
            if endOfGeneration.contains(token) { break }
            generated.append(token)
            text = try await languageModel.text(of: generated)
            if let cut = options.stop.compactMap({ text.range(of: $0)?.lowerBound }).min() {
                text = String(text[..<cut])
                break
            }
        }
        if !trailing.isEmpty && text.hasPrefix(trailing) { text.removeFirst(trailing.count) }
        if options.temperature == 0 { model.memo.storeGreedyText(greedyKey, .init(value: text, tokens: generated)) }
        return (text, generated)
    }

    /// The posterior noise of every observed token of a text variable's value: the tokens of the value (with the
    /// first stop string appended, or an end-of-generation token when there are no stop strings and the text is
    /// shorter than the limit, so that the abducted noise also reproduces where generation stopped), each
    /// abducted from the distribution after the tokens before it (all positions in one batched request).
    func textPosterior(of index: Int, value: String, values: [String?], options: Variable.TextOptions,
                       unit: Int, key: UInt64, offset: Int) async throws -> [TokenPosterior] {
        let languageModel = model.languageModel!
        let variable = model.graph.variables[index].name
        let (prompt, trailing) = self.prompt(of: index, values: values)
        var observed = try await languageModel.tokens(of: trailing + value + (options.stop.first ?? ""))
        if options.stop.isEmpty && observed.count < options.maxTokens, let end = languageModel.endOfGeneration.min() {
            observed.append(end)
        }
        observed = Array(observed.prefix(options.maxTokens))
        let distributions = try await model.nextTokens(observed.indices.map {
            NextTokenRequest(prompt: prompt, continuation: Array(observed[..<$0]))
        })
        return try zip(observed, distributions).enumerated().map { position, pair in
            let (token, distribution) = pair
            let processed = TokenProcessing.process(distribution, options: options)
            guard let entry = processed.entry(of: token, in: distribution), processed.theta[entry] > -.infinity else {
                throw CausalModelError.unsupportedQuery(
                    "the observed text of '\(variable)' is impossible under its sampling settings (token \(position) is excluded by top-k/top-p or not offered by the model)")
            }
            // Uniforms keyed by token id (the maximum by a key no token has), so that a counterfactual whose
            // distribution lists other tokens, or lists them in another order, gives each token its own noise.
            let ids = processed.ids
            let noise = GumbelMax.posterior(processed.theta, observed: entry) { entry in
                let index = ids.map { entry < $0.count ? UInt64($0[entry]) : UInt64.max } ?? UInt64(entry)
                return self.noise.uniform(.posterior, unit: unit, variable: key, position: offset + position, index: index)
            }
            guard let ids else { return TokenPosterior(dense: noise, listed: nil, position: offset + position) }
            return TokenPosterior(dense: nil, listed: Dictionary(uniqueKeysWithValues: zip(ids, noise)), position: offset + position)
        }
    }
}

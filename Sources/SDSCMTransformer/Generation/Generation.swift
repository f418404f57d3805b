/// Why a generation ended.
public enum GenerationStop: String, Sendable {
    /// The model produced an end-of-generation token (which is included in the output).
    case endOfGeneration = "end_of_generation"
    /// `maxTokens` tokens were produced.
    case maxTokens = "max_tokens"
    /// The model's context length was reached.
    case contextFull = "context_full"
    /// The caller's token handler asked to stop.
    case stoppedByCaller = "stopped_by_caller"
}

extension TransformerModel {
    /// Generates up to `maxTokens` tokens after `prompt`, one forward pass per token on a cache that holds the
    /// prompt, calling `onToken` with each token as it is chosen (return false to stop).
    ///
    /// - Returns: the generated tokens and why generation stopped.
    public func generate(
        prompt: [Int], maxTokens: Int, sampler: TokenSampler,
        onToken: (Int) throws -> Bool = { _ in true }
    ) throws -> (tokens: [Int], stop: GenerationStop) {
        guard !prompt.isEmpty else { throw TransformerError.invalidRequest("the prompt is empty") }
        guard maxTokens >= 0 else { throw TransformerError.invalidRequest("maxTokens must be ≥ 0, got \(maxTokens)") }
        guard prompt.count <= configuration.contextLength else {
            throw TransformerError.contextOverflow(needed: prompt.count, limit: configuration.contextLength)
        }
        let endOfGeneration = tokenizer.vocabulary.endOfGeneration
        var cache = makeCache()
        var generated: [Int] = []
        var input = prompt
        while generated.count < maxTokens {
            if cache.count + input.count > configuration.contextLength { return (generated, .contextFull) }
            let logits = try evaluate(input, cache: &cache, outputs: [OutputRequest(position: input.count - 1, kind: .logits)])[0]
            let token = sampler.sample(logits: logits, position: cache.count)
            generated.append(token)
            if try !onToken(token) { return (generated, .stoppedByCaller) }
            if endOfGeneration.contains(token) { return (generated, .endOfGeneration) }
            input = [token]
        }
        return (generated, .maxTokens)
    }
}

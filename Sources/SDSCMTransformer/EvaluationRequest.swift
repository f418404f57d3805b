/// What to return for one position of an evaluated sequence.
public struct OutputRequest: Sendable, Hashable {
    /// The kind of values returned.
    public enum Kind: Sendable, Hashable {
        /// Raw logits. With a `vocabulary` subset only those rows of the output matrix are computed, which is
        /// what makes scoring a few candidates cheap.
        case logits
        /// Log-probabilities normalized over the *whole* vocabulary (the full output matrix is computed for the
        /// normalizer even when only some entries are returned).
        case logProbabilities
    }

    /// Index into the request's new tokens: the output is the model's prediction for the token after it.
    public var position: Int
    /// Raw logits or log-probabilities over the whole vocabulary.
    public var kind: Kind
    /// Token ids whose values are returned, in this order; nil for the whole vocabulary.
    public var vocabulary: [Int]?

    /// An output at `position`; `vocabulary` nil returns every token's value.
    public init(position: Int, kind: Kind, vocabulary: [Int]? = nil) {
        self.position = position
        self.kind = kind
        self.vocabulary = vocabulary
    }
}

/// New tokens for one sequence, appended to one of the caches passed to `TransformerModel.evaluate`.
public struct EvaluationRequest: Sendable {
    /// Index of the cache (in the `caches` argument) that holds this sequence's earlier tokens.
    public var cache: Int
    /// Tokens to append.
    public var tokens: [Int]
    /// Outputs wanted, in the order they are returned.
    public var outputs: [OutputRequest]

    /// A request appending `tokens` to cache `cache` and returning `outputs`.
    public init(cache: Int, tokens: [Int], outputs: [OutputRequest]) {
        self.cache = cache
        self.tokens = tokens
        self.outputs = outputs
    }
}

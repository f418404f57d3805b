import Synchronization
import Tensors
import Tokenizers
import Transformer

/// A `LanguageModel` backed by the package's transformer engine.
///
/// Keeps the key/value caches of recently evaluated token sequences, so that scoring candidates after a context
/// that was seen before, or generating one token after the sequence of the previous step, evaluates only the
/// new tokens. Calls are serialized (the engine parallelizes inside each call).
public final class TransformerLanguageModel: LanguageModel {
    /// The engine.
    public let model: TransformerModel
    private let state: Mutex<State>

    struct State: ~Copyable {
        var recent: [(tokens: [Int], cache: KVCache)] = []
        var tokensEvaluated = 0
    }

    /// How many evaluated sequences are kept for reuse (most recently used first).
    public let retainedCaches: Int

    /// Wraps `model`; `retainedCaches` bounds the prefix caches kept between calls.
    public init(model: TransformerModel, retainedCaches: Int = 16) {
        self.model = model
        self.retainedCaches = max(1, retainedCaches)
        state = Mutex(State())
    }

    /// Loads the GGUF model at `path`.
    public convenience init(path: String, threads: Int? = nil, numerics: Numerics = .exact) throws {
        self.init(model: try TransformerModel(path: path, threads: threads, numerics: numerics))
    }

    public var vocabularySize: Int { model.vocabularySize }
    public var endOfGeneration: Set<Int> { model.tokenizer.vocabulary.endOfGeneration }
    public var startToken: Int? { model.tokenizer.vocabulary.bos ?? model.tokenizer.vocabulary.eos }

    /// Tokens fed through the transformer so far (prefix-cache hits are not counted).
    public var tokensEvaluated: Int { state.withLock { $0.tokensEvaluated } }

    public func tokenize(_ text: String, addSpecial: Bool) -> [Int] {
        model.tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: false)
    }

    public func detokenize(_ tokens: [Int]) throws -> String {
        try model.tokenizer.vocabulary.decode(tokens)
    }

    public func logProbabilities(of continuations: [[Int]], after context: [Int]) throws -> [[Double]] {
        guard !context.isEmpty else { throw LanguageModelError.emptyContext }
        return try state.withLock { state in
            let cache = try encode(context, state: &state)
            // Each continuation re-evaluates the context's last token on its fork (see `TransformerModel`).
            state.tokensEvaluated += continuations.reduce(0) { $0 + $1.count }
            return try model.logProbabilities(of: continuations, after: cache).map { $0.map(Double.init) }
        }
    }

    public func nextTokenLogProbabilities(after contexts: [[Int]]) throws -> [[Float]] {
        guard !contexts.isEmpty else { return [] }
        guard contexts.allSatisfy({ !$0.isEmpty }) else { throw LanguageModelError.emptyContext }
        return try state.withLock { state in
            // Encode the part all contexts share once (it is usually cached already), then evaluate each
            // remainder on its own fork in one batch.
            var shared = contexts[0].count - 1
            for context in contexts.dropFirst() {
                shared = min(shared, context.count - 1, Self.commonPrefixLength(contexts[0], context))
            }
            let base = shared > 0 ? try encode(Array(contexts[0][..<shared]), state: &state) : model.makeCache()
            var caches = [KVCache](repeating: base, count: contexts.count)
            let requests = contexts.enumerated().map { index, context in
                EvaluationRequest(cache: index, tokens: Array(context[shared...]),
                                  outputs: [OutputRequest(position: context.count - shared - 1, kind: .logProbabilities)])
            }
            state.tokensEvaluated += requests.reduce(0) { $0 + $1.tokens.count }
            let results = try model.evaluate(requests, caches: &caches)
            for (index, context) in contexts.enumerated() { remember(context, caches[index], state: &state) }
            return results.map { $0[0] }
        }
    }

    /// A cache holding exactly `tokens`, built from the longest retained prefix.
    private func encode(_ tokens: [Int], state: inout State) throws -> KVCache {
        var best: KVCache?
        var bestLength = 0
        var bestIndex: Int?
        for (index, entry) in state.recent.enumerated() {
            let length = Self.commonPrefixLength(entry.tokens, tokens)
            // A retained sequence helps only if it is a prefix of `tokens` or can be trimmed to one.
            if length > bestLength {
                best = entry.cache
                bestLength = length
                bestIndex = index
            }
        }
        if let index = bestIndex, state.recent[index].tokens.count == tokens.count, bestLength == tokens.count {
            let entry = state.recent.remove(at: index)
            state.recent.insert(entry, at: 0)
            return entry.cache
        }
        var cache = best ?? model.makeCache()
        cache.trim(to: bestLength)
        let rest = Array(tokens[bestLength...])
        if !rest.isEmpty {
            state.tokensEvaluated += rest.count
            _ = try model.evaluate(rest, cache: &cache, outputs: [])
        }
        remember(tokens, cache, state: &state)
        return cache
    }

    private func remember(_ tokens: [Int], _ cache: KVCache, state: inout State) {
        state.recent.removeAll { $0.tokens == tokens }
        state.recent.insert((tokens, cache), at: 0)
        if state.recent.count > retainedCaches { state.recent.removeLast(state.recent.count - retainedCaches) }
    }

    static func commonPrefixLength(_ a: [Int], _ b: [Int]) -> Int {
        var length = 0
        let limit = min(a.count, b.count)
        while length < limit && a[length] == b[length] { length += 1 }
        return length
    }
}

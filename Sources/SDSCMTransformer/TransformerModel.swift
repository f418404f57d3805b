import SDSCMGGUF
import SDSCMTensors
import SDSCMTokenizers

/// A decoder-only transformer loaded from a GGUF file: the engine the causal layer calls.
///
/// Weights stay in the file's memory mapping in their stored format and are dequantized panel by panel inside the
/// matmul kernels. Evaluation appends tokens to `KVCache` values, so contexts can be encoded once and forked for
/// many continuations. All arithmetic is deterministic: the same tokens give bit-identical outputs whether they
/// are evaluated alone, batched with other sequences, token by token or after a fork, and for any thread count.
public final class TransformerModel: Sendable {
    /// Hyper-parameters.
    public let configuration: ModelConfiguration
    /// The tokenizer stored in the same file.
    public let tokenizer: any Tokenizer
    /// The file the weights are read from.
    public let file: GGUFFile
    /// Threads used by kernels.
    package let pool: ComputePool
    /// How activations meet quantized weights: exact float math (default), or rounded as llama.cpp does.
    public let numerics: NumericsMode
    let weights: ModelWeights

    /// Loads the model in `file`; `threads` defaults to one per processor.
    public init(file: GGUFFile, threads: Int? = nil, numerics: NumericsMode = .exact) throws {
        self.file = file
        configuration = try ModelConfiguration(metadata: file.metadata)
        weights = try ModelWeights(file: file, configuration: configuration)
        tokenizer = try file.makeTokenizer()
        pool = ComputePool(threads: threads)
        self.numerics = numerics
    }

    /// Opens and loads the GGUF model at `path`.
    public convenience init(path: String, threads: Int? = nil, numerics: NumericsMode = .exact) throws {
        try self.init(file: GGUFFile(path: path), threads: threads, numerics: numerics)
    }

    /// Number of rows of the output matrix (token ids are `0..<vocabularySize`).
    public var vocabularySize: Int { weights.vocabularySize }

    /// An empty cache sized for this model.
    public func makeCache() -> KVCache {
        KVCache(layerCount: configuration.layerCount, width: configuration.keyValueWidth,
                capacity: configuration.contextLength)
    }

    // MARK: Convenience

    /// Appends `tokens` to `cache` and returns, for each requested position, the model's prediction.
    public func evaluate(_ tokens: [Int], cache: inout KVCache, outputs: [OutputRequest]) throws -> [[Float]] {
        var caches = [cache]
        defer { cache = caches[0] }
        return try evaluate([EvaluationRequest(cache: 0, tokens: tokens, outputs: outputs)], caches: &caches)[0]
    }

    /// Log-probabilities of the next token over the whole vocabulary after `tokens` (appended to `cache`).
    public func nextTokenLogProbabilities(after tokens: [Int], cache: inout KVCache) throws -> [Float] {
        guard !tokens.isEmpty else { throw TransformerError.invalidRequest("no tokens to evaluate") }
        return try evaluate(tokens, cache: &cache, outputs: [OutputRequest(position: tokens.count - 1, kind: .logProbabilities)])[0]
    }

    /// log P(continuation[i] | context, continuation[..<i]) for each i, by the chain rule: the first token is
    /// predicted from the context's last position, so `context` (already in `cache`) must not be empty. The
    /// cache is not changed (the continuation is evaluated on a fork).
    public func logProbabilities(of continuation: [Int], after cache: KVCache) throws -> [Float] {
        try logProbabilities(of: [continuation], after: cache)[0]
    }

    /// Chain-rule log-probabilities of several continuations of one context, evaluated together in one batch
    /// (each on its own fork of `cache`).
    public func logProbabilities(of continuations: [[Int]], after cache: KVCache) throws -> [[Float]] {
        guard let last = cache.tokens.last else {
            throw TransformerError.invalidRequest("the context is empty; the first continuation token has no prediction")
        }
        // Each fork re-evaluates the context's last token (after trimming it) so that its output predicts the
        // first continuation token; shared blocks make this cheap.
        var base = cache
        base.trim(to: cache.count - 1)
        let nonEmpty = continuations.indices.filter { !continuations[$0].isEmpty }
        var caches = [KVCache](repeating: base, count: nonEmpty.count)
        let requests = nonEmpty.enumerated().map { slot, index in
            let continuation = continuations[index]
            return EvaluationRequest(
                cache: slot, tokens: [last] + continuation.dropLast(),
                outputs: continuation.indices.map {
                    OutputRequest(position: $0, kind: .logProbabilities, vocabulary: [continuation[$0]])
                })
        }
        let results = try evaluate(requests, caches: &caches)
        var output = [[Float]](repeating: [], count: continuations.count)
        for (slot, index) in nonEmpty.enumerated() { output[index] = results[slot].map { $0[0] } }
        return output
    }

    /// Log-probabilities of `continuation` after the text `context`, both token ids, evaluated from scratch.
    public func logProbabilities(of continuation: [Int], after context: [Int]) throws -> [Float] {
        var cache = makeCache()
        _ = try evaluate(context, cache: &cache, outputs: [])
        return try logProbabilities(of: continuation, after: cache)
    }

    // MARK: Batched evaluation

    /// Evaluates several sequences in one pass: their new tokens go through every matmul together, and each
    /// attends only to its own cache.
    ///
    /// - Returns: for each request, one array per requested output.
    public func evaluate(_ requests: [EvaluationRequest], caches: inout [KVCache]) throws -> [[[Float]]] {
        let c = configuration
        var rows: [(request: Int, position: Int)] = []
        for (index, request) in requests.enumerated() {
            guard request.cache >= 0 && request.cache < caches.count else {
                throw TransformerError.invalidRequest("request \(index) refers to cache \(request.cache) of \(caches.count)")
            }
            if let bad = request.tokens.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                throw TransformerError.tokenOutOfRange(bad, vocabularySize: vocabularySize)
            }
            for output in request.outputs {
                guard output.position >= 0 && output.position < request.tokens.count else {
                    throw TransformerError.invalidRequest(
                        "output position \(output.position) of request \(index) is outside its \(request.tokens.count) tokens")
                }
                if let bad = output.vocabulary?.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                    throw TransformerError.tokenOutOfRange(bad, vocabularySize: vocabularySize)
                }
            }
            let needed = caches[request.cache].count + request.tokens.count
            guard needed <= c.contextLength else { throw TransformerError.contextOverflow(needed: needed, limit: c.contextLength) }
        }
        let cachesUsed = requests.map(\.cache)
        guard Set(cachesUsed).count == cachesUsed.count else {
            throw TransformerError.invalidRequest("two requests append to the same cache")
        }
        for (index, request) in requests.enumerated() {
            let start = caches[request.cache].count
            for offset in request.tokens.indices { rows.append((index, start + offset)) }
            caches[request.cache].append(request.tokens)
        }
        guard !rows.isEmpty else { return requests.map { _ in [] } }

        // The rows that need outputs: only they go through the whole last layer.
        var firstRow: [Int] = []
        var next = 0
        for request in requests {
            firstRow.append(next)
            next += request.tokens.count
        }
        var wanted: [(request: Int, output: Int, row: Int)] = []
        for (index, request) in requests.enumerated() {
            for (outputIndex, output) in request.outputs.enumerated() {
                wanted.append((index, outputIndex, firstRow[index] + output.position))
            }
        }
        // From here on `row` indexes the rows with outputs, as the forward pass returns them.
        let outputRows = Array(Set(wanted.map(\.row))).sorted()
        let slotOfRow = Dictionary(uniqueKeysWithValues: outputRows.enumerated().map { ($1, $0) })
        wanted = wanted.map { ($0.request, $0.output, slotOfRow[$0.row]!) }

        let tokens = requests.flatMap(\.tokens)
        let rowCaches = rows.map { requests[$0.request].cache }
        let forward = ForwardPass(model: self, tokens: tokens, positions: rows.map(\.position), cacheOfRow: rowCaches,
                                  outputRows: outputRows)
        let hidden = try forward.run(caches: caches)

        var results = requests.map { request in [[Float]](repeating: [], count: request.outputs.count) }
        try OutputHead(model: self).compute(hidden: hidden, wanted: wanted, requests: requests, into: &results)
        return results
    }
}

import Synchronization
import SDSCM
import SDSCMGGUF
import SDSCMRandomness
import SDSCMTensors
import SDSCMTokenizers
import SDSCMTransformer

/// A `LanguageModel` backed by the package's transformer engine: any GGUF model it loads.
///
/// Keeps the key/value caches of recently evaluated token sequences, so that scoring candidates after a context
/// that was seen before, or generating one token after the sequence of the previous step, evaluates only the
/// new tokens. Calls are serialized (the engine parallelizes inside each call).
public final class TransformerLanguageModel: TokenLevelLanguageModel {
    /// The engine.
    public let model: TransformerModel
    /// Names the weights and numerics: the architecture, the file's size and a hash of its header and of
    /// samples of its tensor data, and the numerics mode (thread counts do not change results, so they are not in it).
    public let identifier: String
    private let state: Mutex<State>

    struct State: ~Copyable {
        var recent: [Entry] = []
        var tokensEvaluated = 0
    }

    /// An evaluated sequence: its cache and the next-token log-probabilities after it (which score the first
    /// token of any continuation without evaluating anything).
    struct Entry {
        var tokens: [Int]
        var cache: KVCache
        var next: [Float]
    }

    /// How many evaluated sequences are kept for reuse (most recently used first).
    public let retainedCaches: Int

    /// Wraps `model`; `retainedCaches` bounds the prefix caches kept between calls (enough for every unit of a
    /// batch to find its previous context).
    public init(model: TransformerModel, retainedCaches: Int = 48) {
        self.model = model
        self.retainedCaches = max(1, retainedCaches)
        state = Mutex(State())
        identifier = Self.identifier(of: model)
    }

    /// See `identifier`.
    static func identifier(of model: TransformerModel) -> String {
        let file = model.file
        var hash = FNV1a.hash(file.bytes.buffer(0..<min(file.dataOffset, file.fileSize)))
        let data = file.fileSize - file.dataOffset
        let sample = 1 << 16
        for part in 0..<16 where data > 0 {
            let start = file.dataOffset + data / 16 * part
            hash = FNV1a.hash(file.bytes.buffer(start..<min(file.fileSize, start + sample)), from: hash)
        }
        let name = file.path.map { String($0.split(separator: "/").last ?? "") } ?? "in-memory"
        return "\(model.configuration.architecture.name):\(name):\(file.fileSize):\(String(hash, radix: 16)):\(model.numerics.rawValue)"
    }

    /// Loads the GGUF model at `path`.
    public convenience init(path: String, threads: Int? = nil, numerics: NumericsMode = .exact) throws {
        self.init(model: try TransformerModel(path: path, threads: threads, numerics: numerics))
    }

    /// The number of token ids in the model's vocabulary.
    public var vocabularySize: Int { model.vocabularySize }
    /// The vocabulary's end-of-generation tokens (EOS, EOT and the like).
    public var endOfGeneration: Set<Int> { model.tokenizer.vocabulary.endOfGeneration }
    /// BOS, or else EOS (the document separator of models without a BOS).
    public var startToken: Int? { model.tokenizer.vocabulary.bos ?? model.tokenizer.vocabulary.eos }

    /// Tokens fed through the transformer so far (prefix-cache hits are not counted).
    public var tokensEvaluated: Int { state.withLock { $0.tokensEvaluated } }

    /// The model's own tokenizer, reading special-token text as plain text.
    public func tokenize(_ text: String, addSpecial: Bool) throws -> [Int] {
        model.tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: false)
    }

    /// The tokens' text; special tokens render as nothing.
    public func detokenize(_ tokens: [Int]) throws -> String {
        try model.tokenizer.vocabulary.decode(tokens)
    }

    /// Two batched passes however many requests: every context's unseen tokens, then every continuation (less
    /// its last token, whose successor is not needed) on a fork of its context. A continuation's first token is
    /// scored from its context's retained next-token distribution, so one-token candidates cost nothing.
    public func logProbabilities(_ requests: [TokenScoringRequest]) throws -> [[[Double]]] {
        guard requests.allSatisfy({ !$0.context.isEmpty }) else { throw LanguageModelError.emptyContext }
        let size = vocabularySize
        for request in requests {
            for continuation in request.continuations {
                if let bad = continuation.first(where: { $0 < 0 || $0 >= size }) {
                    throw LanguageModelError.tokenOutOfRange(bad, vocabularySize: size)
                }
            }
        }
        return try state.withLock { state in
            let prepared = try prepare(requests.map(\.context), state: &state)
            var output = requests.map { $0.continuations.map { [Double](repeating: 0, count: $0.count) } }
            var caches: [KVCache] = []
            var evaluations: [EvaluationRequest] = []
            var slots: [(request: Int, continuation: Int)] = []
            for (r, request) in requests.enumerated() {
                for (c, continuation) in request.continuations.enumerated() where !continuation.isEmpty {
                    output[r][c][0] = Double(prepared[r].next[continuation[0]])
                    guard continuation.count > 1 else { continue }
                    evaluations.append(EvaluationRequest(
                        cache: caches.count, tokens: Array(continuation.dropLast()),
                        outputs: (1..<continuation.count).map {
                            OutputRequest(position: $0 - 1, kind: .logProbabilities, vocabulary: [continuation[$0]])
                        }))
                    caches.append(prepared[r].cache)  // shares storage until a chunk extends it
                    slots.append((r, c))
                }
            }
            // Every continuation extends its own copy of its context's cache: evaluate them in chunks so memory
            // holds a chunk's copies (about 1.2 MB each for SmolLM2), not one per candidate value of the batch.
            // Rows are evaluated independently, so chunking does not change a result.
            state.tokensEvaluated += evaluations.reduce(0) { $0 + $1.tokens.count }
            var start = 0
            while start < evaluations.count {
                let end = min(evaluations.count, start + Self.continuationChunk)
                var chunkCaches: [KVCache] = []
                let chunk = evaluations[start..<end].map { request -> EvaluationRequest in
                    chunkCaches.append(caches[request.cache])
                    return EvaluationRequest(cache: chunkCaches.count - 1, tokens: request.tokens, outputs: request.outputs)
                }
                let results = try Self.evaluate(model, chunk, caches: &chunkCaches)
                for (offset, slot) in (start..<end).enumerated() {
                    let (r, c) = slots[slot]
                    for (k, values) in results[offset].enumerated() { output[r][c][k + 1] = Double(values[0]) }
                }
                start = end
            }
            return output
        }
    }

    /// The next-token log-probabilities after each context, retaining their caches for later extension.
    public func nextTokenLogProbabilities(after contexts: [[Int]]) throws -> [[Float]] {
        try nextTokenLogProbabilities(after: contexts, retaining: true)
    }

    /// All contexts in one batch, each from its longest retained prefix; `retaining: false` keeps no cache of them.
    public func nextTokenLogProbabilities(after contexts: [[Int]], retaining: Bool) throws -> [[Float]] {
        guard !contexts.isEmpty else { return [] }
        guard contexts.allSatisfy({ !$0.isEmpty }) else { throw LanguageModelError.emptyContext }
        return try state.withLock { state in try prepare(contexts, retaining: retaining, state: &state).map(\.next) }
    }

    /// For each context, a cache holding exactly its tokens and the next-token log-probabilities after it. Each
    /// starts from the longest retained prefix (keeping at least its last token to evaluate unless the context
    /// itself is retained); contexts that continue the same start with the same tokens evaluate those tokens once
    /// (`evaluateTree`).
    private func prepare(_ contexts: [[Int]], retaining: Bool = true, state: inout State) throws -> [(cache: KVCache, next: [Float])] {
        var results = [(cache: KVCache, next: [Float])?](repeating: nil, count: contexts.count)
        var starts: [KVCache] = []
        var startOf: [StartKey: Int] = [:]
        var branches: [TreeBranch] = []
        var owners: [[Int]] = []
        var slotOf: [[Int]: Int] = [:]
        for (i, tokens) in contexts.enumerated() {
            if let slot = slotOf[tokens] {
                owners[slot].append(i)
                continue
            }
            var bestIndex: Int?
            var bestLength = 0
            for (index, entry) in state.recent.enumerated() {
                let length = entry.tokens.commonPrefixLength(with: tokens)
                if length > bestLength || (length == bestLength && length == tokens.count && entry.tokens.count == length) {
                    bestLength = length
                    bestIndex = index
                }
            }
            if let index = bestIndex, bestLength == tokens.count, state.recent[index].tokens.count == tokens.count {
                results[i] = (state.recent[index].cache, state.recent[index].next)
                continue
            }
            let keep = min(bestLength, tokens.count - 1)
            let key = StartKey(entry: bestIndex ?? -1, length: keep)
            let start: Int
            if let known = startOf[key] {
                start = known
            } else {
                var cache = bestIndex.map { state.recent[$0].cache } ?? model.makeCache()
                cache.trim(to: keep)
                start = starts.count
                startOf[key] = start
                starts.append(cache)
            }
            slotOf[tokens] = branches.count
            owners.append([i])
            branches.append(TreeBranch(start: start, tokens: tokens[keep...]))
        }
        if !branches.isEmpty {
            let outputs = try evaluateTree(branches, starts: starts, state: &state)
            for (slot, output) in outputs.enumerated() {
                for i in owners[slot] { results[i] = output }
            }
        }
        for (i, tokens) in contexts.enumerated() where retaining {
            remember(Entry(tokens: tokens, cache: results[i]!.cache, next: results[i]!.next), state: &state)
        }
        return results.map { $0! }
    }

    /// Identifies the cache a context starts from: a retained entry (−1: an empty cache) trimmed to a length.
    private struct StartKey: Hashable {
        var entry: Int
        var length: Int
    }

    /// Distinct, non-empty tokens still to evaluate on a fork of `starts[start]`.
    private struct TreeBranch {
        var start: Int
        var tokens: ArraySlice<Int>
    }

    /// Evaluates every branch on a fork of its start cache, as a token tree: in each round, branches from the same
    /// cache that begin with the same token evaluate their longest common run once, on one fork, and continue
    /// from it in the next round; a branch alone in its group is evaluated to its end. Reference scoring's
    /// candidates (a BOS and the candidate's tokens after every context) and sibling contexts of one batch then
    /// cost the tokens of their trie, not of every sequence. Every row computes exactly what it computes in one
    /// pass (a cache extended in two steps holds the same keys and values), so results do not depend on how
    /// sequences group.
    private func evaluateTree(_ branches: [TreeBranch], starts: [KVCache], state: inout State) throws -> [(cache: KVCache, next: [Float])] {
        var results = [(cache: KVCache, next: [Float])?](repeating: nil, count: branches.count)
        var caches = starts
        // (branch index, cache index, remaining tokens)
        var pending = branches.enumerated().map { (branch: $0.offset, cache: $0.element.start, tokens: $0.element.tokens) }
        while !pending.isEmpty {
            var groups: [[Int]] = []
            var groupOf: [GroupKey: Int] = [:]
            for (p, item) in pending.enumerated() {
                let key = GroupKey(cache: item.cache, token: item.tokens.first!)
                if let g = groupOf[key] { groups[g].append(p) } else { groupOf[key] = groups.count; groups.append([p]) }
            }
            var roundCaches: [KVCache] = []
            var requests: [EvaluationRequest] = []
            // Per request: the branches that end where it ends, and those that continue from it.
            var ending: [Int?] = []
            var continuing: [[(branch: Int, tokens: ArraySlice<Int>)]] = []
            for group in groups {
                let first = pending[group[0]]
                var shared = first.tokens.count
                if group.count > 1 {
                    for p in group.dropFirst() {
                        shared = min(shared, first.tokens.commonPrefixLength(with: pending[p].tokens))
                    }
                }
                let run = Array(first.tokens.prefix(shared))
                var ends: Int?
                var rest: [(branch: Int, tokens: ArraySlice<Int>)] = []
                for p in group {
                    let item = pending[p]
                    if item.tokens.count == shared { ends = item.branch } else { rest.append((item.branch, item.tokens.dropFirst(shared))) }
                }
                requests.append(EvaluationRequest(cache: roundCaches.count, tokens: run,
                                                  outputs: ends == nil ? [] : [OutputRequest(position: run.count - 1, kind: .logProbabilities)]))
                roundCaches.append(caches[first.cache])  // shares storage until the evaluation extends it
                ending.append(ends)
                continuing.append(rest)
            }
            state.tokensEvaluated += requests.reduce(0) { $0 + $1.tokens.count }
            let outputs = try Self.evaluate(model, requests, caches: &roundCaches)
            caches = roundCaches
            pending = []
            for r in requests.indices {
                if let branch = ending[r] { results[branch] = (roundCaches[r], outputs[r][0]) }
                for (branch, tokens) in continuing[r] { pending.append((branch, r, tokens)) }
            }
        }
        return results.map { $0! }
    }

    private struct GroupKey: Hashable {
        var cache: Int
        var token: Int
    }

    /// The most continuations evaluated (each on its own cache copy) at once.
    static let continuationChunk = 128

    /// The transformer's evaluation, with a context overflow reported as the protocol's error, so the causal core
    /// (which does not know the engine) can tell it apart: a text variable then ends where the context does.
    static func evaluate(_ model: TransformerModel, _ requests: [EvaluationRequest], caches: inout [KVCache]) throws -> [[[Float]]] {
        do {
            return try model.evaluate(requests, caches: &caches)
        } catch TransformerError.contextOverflow(let needed, let limit) {
            throw LanguageModelError.contextOverflow(needed: needed, limit: limit)
        }
    }

    private func remember(_ entry: Entry, state: inout State) {
        state.recent.removeAll { $0.tokens == entry.tokens }
        state.recent.insert(entry, at: 0)
        if state.recent.count > retainedCaches { state.recent.removeLast(state.recent.count - retainedCaches) }
    }
}

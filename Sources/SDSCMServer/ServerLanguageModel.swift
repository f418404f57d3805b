import Foundation
import SDSCM
import SDSCMRandomness
import Synchronization

/// How to reach a model behind an OpenAI-compatible completions server (vLLM, SGLang, llama-cpp-python's server).
public struct ServerConfiguration: Sendable {
    /// The API's base URL, `http(s)://host:port/v1`.
    public var baseURL: URL
    /// The server's model id (nil: the only one `/v1/models` lists).
    public var modelName: String?
    /// Sent as a bearer token; never logged or written anywhere.
    public var apiKey: String?
    /// Most HTTP requests in flight.
    public var concurrency = 8
    /// Prompts per HTTP request (nil: as many as 16 if the server takes several, found by a probe at connection).
    public var promptsPerRequest: Int?
    /// Next-token log-probabilities asked per position for free text (the mechanism is the top-k-truncated
    /// distribution).
    public var topK = 20
    /// Seconds before a request times out.
    public var timeout: TimeInterval = 120
    /// Retries of a request after a connection error, HTTP 429 or 5xx (exponential backoff with jitter).
    public var retries = 5
    /// The first retry's delay in seconds (doubling each time).
    public var backoff: TimeInterval = 0.5
    /// Where answers are kept between runs (nil: not kept).
    public var cacheDirectory: URL?
    /// Token texts that end a generation. Servers return tokens as text; special tokens often come back as the
    /// empty string, which is therefore included.
    public var endOfGenerationTexts = ["", "</s>", "<|endoftext|>", "<|im_end|>", "<|eot_id|>", "<eos>", "<end_of_turn>"]

    /// A configuration for the server at `baseURL`.
    public init(baseURL: URL, modelName: String? = nil, apiKey: String? = nil) {
        self.baseURL = baseURL
        self.modelName = modelName
        self.apiKey = apiKey
    }

    /// Parses `http(s)://host[:port]/…` (a trailing slash is dropped), or nil when `text` is not such a URL.
    public static func url(_ text: String) -> URL? {
        guard text.hasPrefix("http://") || text.hasPrefix("https://"),
              var components = URLComponents(string: text), components.host?.isEmpty == false else { return nil }
        while components.path.hasSuffix("/") { components.path.removeLast() }
        return components.url
    }
}

/// A `LanguageModel` behind an OpenAI-compatible completions server, the way lm-evaluation-harness scores
/// continuations: `POST /v1/completions` with `echo`, `logprobs` and `max_tokens: 1`.
///
/// - Candidates (`sum` and `mean` scoring): one prompt per candidate, context + candidate; the server's echoed
///   tokens after the longest token prefix all candidates share are the candidate's (as the local engine scores
///   them), and their log-probabilities add up by the chain rule. `reference` scoring needs the probabilities of a
///   candidate's own tokens after the whole candidate, which a server gives only for its top k: refused.
/// - Free text: the top-k next-token log-probabilities after the prompt and the text generated so far (`topK`);
///   the mechanism is that truncated distribution, sampled by the core's keyed Gumbel-max. Tokens are identified
///   by their text (an id is a hash of it), and the text generated so far is sent as text, which the server
///   tokenizes again.
/// - Reliability: timeouts, bounded retries with backoff on connection errors, 429 and 5xx; malformed answers are
///   typed errors naming the request; answers are cached on disk per prompt, so a killed run resumes without
///   asking again and results do not depend on how many requests were in flight.
public final class ServerLanguageModel: LanguageModel {
    /// How the server is reached.
    public let configuration: ServerConfiguration
    /// The server's model id in use.
    public let modelName: String
    /// `server:<URL without credentials>:<model id>:top<k>`.
    public let identifier: String
    /// Prompts per HTTP request in use.
    public let promptsPerRequest: Int
    let client: CompletionsClient
    private let cache: ScoreCache?
    private let vocabulary = Mutex<[Int: String]>([:])
    private let usage = Mutex(0)

    /// Connects: chooses the model (`/v1/models`), and probes whether a request may carry several prompts.
    public static func connect(_ configuration: ServerConfiguration) async throws -> ServerLanguageModel {
        let client = CompletionsClient(baseURL: configuration.baseURL, apiKey: configuration.apiKey, timeout: configuration.timeout,
                                       retries: configuration.retries, backoff: configuration.backoff,
                                       concurrency: configuration.concurrency)
        let model: String
        if let name = configuration.modelName {
            model = name
        } else {
            let data = try await client.get("models")
            let ids = ((try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["data"] as? [[String: Any]])?
                .compactMap { $0["id"] as? String }
            guard let ids else {
                throw ServerError.malformedResponse(server: client.displayURL, request: "GET /models", reason: "no model list")
            }
            guard ids.count == 1 else { throw ServerError.modelNotChosen(server: client.displayURL, available: ids) }
            model = ids[0]
        }
        var perRequest = configuration.promptsPerRequest ?? 1
        if configuration.promptsPerRequest == nil {
            let body = try Self.body(model: model, prompts: ["1", "2"], echo: false, logprobs: 1)
            if let data = try? await client.post("completions", body: body, describing: "a two-prompt probe", retrying: false),
               let parsed = try? CompletionChoice.parse(data, prompts: 2, server: client.displayURL, request: "probe"),
               parsed.choices.count == 2 {
                perRequest = 16
            }
        }
        return ServerLanguageModel(configuration: configuration, modelName: model, client: client, promptsPerRequest: max(1, perRequest))
    }

    init(configuration: ServerConfiguration, modelName: String, client: CompletionsClient, promptsPerRequest: Int) {
        self.configuration = configuration
        self.modelName = modelName
        self.client = client
        self.promptsPerRequest = promptsPerRequest
        cache = configuration.cacheDirectory.map(ScoreCache.init(directory:))
        identifier = "server:\(client.displayURL):\(modelName):top\(configuration.topK)"
    }

    public var capabilities: LanguageModelCapabilities {
        LanguageModelCapabilities(scoringModes: [.sum, .mean], nextTokens: .topK(configuration.topK))
    }

    public var endOfGeneration: Set<Int> { Set(configuration.endOfGenerationTexts.map(Self.tokenID)) }

    /// Prompt tokens the server reported evaluating for requests this model sent (cached answers cost nothing).
    public var tokensEvaluated: Int { usage.withLock { $0 } }

    /// HTTP requests sent so far (retries included) and retries.
    public var requests: (sent: Int, retried: Int) { let work = client.work; return (work.requests, work.retries) }

    /// The base URL without credentials.
    public var displayURL: String { client.displayURL }

    // MARK: LanguageModel

    public func scoreCandidates(_ requests: [CandidateScoringRequest]) async throws -> [CandidateScores] {
        if let reference = requests.first(where: { $0.mode == .reference }) {
            throw ServerError.unsupported(
                "reference scoring (after \"\(reference.context)\") needs the probability of every candidate token after the whole candidate; server \(client.displayURL) gives only its top \(configuration.topK) next tokens")
        }
        var prompts: [String] = []
        for request in requests { for candidate in request.continuations { prompts.append(request.context + candidate) } }
        let echoed = try await choices(prompts, kind: .echo)
        var offset = 0
        return try requests.map { request in
            let choices = echoed[offset..<(offset + request.continuations.count)]
            offset += request.continuations.count
            let tokens = try zip(request.continuations, choices).map { candidate, choice in
                try promptTokens(of: choice, prompt: request.context + candidate)
            }
            return try Self.score(request, tokens: tokens, server: client.displayURL)
        }
    }

    public func nextTokenDistributions(_ requests: [NextTokenRequest]) async throws -> [NextTokenDistribution] {
        let prompts = try requests.map { $0.prompt + (try text(ofKnown: $0.continuation)) }
        let answers = try await choices(prompts, kind: .next)
        return try zip(prompts, answers).map { prompt, choice in
            guard let top = choice.topLogprobs?.first ?? nil, !top.isEmpty else {
                throw ServerError.malformedResponse(server: client.displayURL, request: Self.describe(prompt),
                                                    reason: "no top log-probabilities for the next token")
            }
            let entries = top.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            register(entries.map(\.key))
            return NextTokenDistribution(ids: entries.map { Self.tokenID($0.key) }, logProbabilities: entries.map { Float($0.value) })
        }
    }

    public func tokens(of text: String) async throws -> [Int] {
        let choice = try await choices([text], kind: .echo)[0]
        let tokens = try promptTokens(of: choice, prompt: text).filter { !$0.text.isEmpty || $0.logprob != nil }
        register(tokens.map(\.text))
        return tokens.map { Self.tokenID($0.text) }
    }

    public func text(of tokens: [Int]) async throws -> String {
        try text(ofKnown: tokens)
    }

    // MARK: Tokens as text

    /// A token's id: a hash of its text, the same in every run (the core keys noise by token id).
    public static func tokenID(_ text: String) -> Int {
        Int(truncatingIfNeeded: FNV1a.hash(text) >> 1)
    }

    private func register(_ texts: [String]) {
        vocabulary.withLock { map in for text in texts { map[Self.tokenID(text)] = text } }
    }

    private func text(ofKnown tokens: [Int]) throws -> String {
        try vocabulary.withLock { map in
            try tokens.map { id in
                guard let text = map[id] else {
                    throw ServerError.unsupported("token id \(id) was never returned by server \(client.displayURL), so it has no text")
                }
                return text
            }.joined()
        }
    }

    // MARK: Completions

    /// What a prompt is asked.
    enum Kind {
        /// The prompt's own tokens and their log-probabilities (`echo`, `logprobs: 1`).
        case echo
        /// The top-k distribution of the next token.
        case next
    }

    /// The choice of every prompt, from the cache or from the server (prompts deduplicated, grouped
    /// `promptsPerRequest` at a time, requests in parallel up to the configured concurrency).
    func choices(_ prompts: [String], kind: Kind) async throws -> [CompletionChoice] {
        let tag = kind == .echo ? "echo logprobs=1 max_tokens=1" : "next logprobs=\(configuration.topK) max_tokens=1"
        func key(_ prompt: String) -> String { "\(client.displayURL)\n\(modelName)\n\(tag)\n\(prompt)" }
        var known: [String: CompletionChoice] = [:]
        var missing: [String] = []
        for prompt in prompts where known[prompt] == nil && !missing.contains(prompt) {
            if let data = cache?.answer(key(prompt)), let choice = try? JSONDecoder().decode(CompletionChoice.self, from: data) {
                known[prompt] = choice
            } else {
                missing.append(prompt)
            }
        }
        let chunks = stride(from: 0, to: missing.count, by: promptsPerRequest).map { Array(missing[$0..<min(missing.count, $0 + promptsPerRequest)]) }
        let answers = try await withThrowingTaskGroup(of: (Int, [CompletionChoice]).self) { group in
            for (index, chunk) in chunks.enumerated() {
                group.addTask { (index, try await self.request(chunk, kind: kind)) }
            }
            var results = [[CompletionChoice]](repeating: [], count: chunks.count)
            for try await (index, choices) in group { results[index] = choices }
            return results
        }
        for (chunk, choices) in zip(chunks, answers) {
            for (prompt, choice) in zip(chunk, choices) {
                known[prompt] = choice
                if let cache { try? cache.store(key(prompt), answer: JSONEncoder().encode(choice)) }
            }
        }
        return prompts.map { known[$0]! }
    }

    private func request(_ prompts: [String], kind: Kind) async throws -> [CompletionChoice] {
        let body = try Self.body(model: modelName, prompts: prompts, echo: kind == .echo, logprobs: kind == .echo ? 1 : configuration.topK)
        let described = "POST /completions for " + Self.describe(prompts[0]) + (prompts.count > 1 ? " and \(prompts.count - 1) more prompts" : "")
        let data = try await client.post("completions", body: body, describing: described)
        let parsed = try CompletionChoice.parse(data, prompts: prompts.count, server: client.displayURL, request: described)
        usage.withLock { $0 += parsed.promptTokens }
        return parsed.choices
    }

    static func body(model: String, prompts: [String], echo: Bool, logprobs: Int) throws -> Data {
        let object: [String: Any] = ["model": model, "prompt": prompts.count == 1 ? prompts[0] as Any : prompts as Any,
                                     "max_tokens": 1, "echo": echo, "logprobs": logprobs, "temperature": 0]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// A prompt in a message: its first and last characters.
    static func describe(_ prompt: String) -> String {
        prompt.count <= 60 ? "\"\(prompt)\"" : "\"\(prompt.prefix(25))…\(prompt.suffix(25))\""
    }

    // MARK: Echoed tokens

    /// One echoed token of a prompt.
    struct EchoedToken: Equatable {
        var text: String
        var offset: Int
        var logprob: Double?
    }

    /// The tokens of `prompt` in an echo: those that start before the prompt's end (the generated token is
    /// dropped), checked to spell the prompt (a leading token that does not, such as a BOS marker, is dropped).
    func promptTokens(of choice: CompletionChoice, prompt: String) throws -> [EchoedToken] {
        let length = prompt.unicodeScalars.count  // Python's str indices: code points
        var tokens: [EchoedToken] = []
        for (index, text) in choice.tokens.enumerated() {
            let offset = choice.textOffsets?[index] ?? -1
            tokens.append(EchoedToken(text: text, offset: offset, logprob: choice.tokenLogprobs[index] ?? nil))
        }
        if choice.textOffsets != nil {
            tokens = tokens.filter { $0.offset < length }
        } else {
            tokens.removeLast(min(1, tokens.count))  // the generated token
        }
        var spelled = tokens.map(\.text).joined()
        if spelled != prompt, let first = tokens.first, !prompt.hasPrefix(first.text) || first.text.isEmpty {
            tokens.removeFirst()
            spelled = tokens.map(\.text).joined()
        }
        // Tokens that split a character decode to fragments, so only fully decodable text is held to the prompt.
        if spelled != prompt && !spelled.contains("\u{FFFD}") && spelled.unicodeScalars.count == length {
            throw ServerError.malformedResponse(server: client.displayURL, request: Self.describe(prompt),
                                                reason: "the echoed tokens spell \(Self.describe(spelled)), not the prompt")
        }
        guard !tokens.isEmpty else {
            throw ServerError.malformedResponse(server: client.displayURL, request: Self.describe(prompt), reason: "no prompt tokens were echoed")
        }
        return tokens
    }

    /// A request's scores from its candidates' echoed tokens: tokens after the longest prefix all candidates share,
    /// summed; for `mean`, each candidate's own tokens (those reaching past the context) averaged, as the local
    /// engine does.
    static func score(_ request: CandidateScoringRequest, tokens: [[EchoedToken]], server: String) throws -> CandidateScores {
        let spellings = tokens.map { $0.map { "\($0.offset):\($0.text)" } }
        var shared = spellings[0].count
        for other in spellings.dropFirst() { shared = min(shared, spellings[0].commonPrefixLength(with: other)) }
        let contextLength = request.context.unicodeScalars.count
        var scored = shared
        let scores = try zip(request.continuations, tokens).map { candidate, tokens -> Double in
            var start = shared
            if request.mode == .mean {
                // A token is the candidate's own when it ends past the context (offsets are code points).
                var position = 0
                start = tokens.count
                for (index, token) in tokens.enumerated() {
                    let begin = token.offset >= 0 ? token.offset : position
                    position = begin + token.text.unicodeScalars.count
                    if position > contextLength { start = index; break }
                }
            }
            let own = tokens[start...]
            scored += tokens.count - shared
            var total = 0.0
            for token in own {
                guard let logprob = token.logprob else {
                    if start == 0 { throw LanguageModelError.noStartToken(context: request.context) }
                    throw ServerError.malformedResponse(server: server, request: describe(request.context + candidate),
                                                        reason: "token '\(token.text)' has no log-probability")
                }
                total += logprob
            }
            return request.mode == .mean && !own.isEmpty ? total / Double(own.count) : total
        }
        return CandidateScores(logWeights: scores, tokensScored: scored)
    }
}

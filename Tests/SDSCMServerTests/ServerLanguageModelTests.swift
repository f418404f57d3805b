import Foundation
import SDSCM
import SDSCMServer
import Testing

/// `ServerLanguageModel` against the stub server, whose every log-probability is known (see stub_server.py).
@Suite(.enabled(if: StubServer.available, "needs python3 to run Tests/Tools/server/stub_server.py"))
struct ServerLanguageModelTests {
    /// The stub's log-probability of `token` after `prefix`.
    static func logprob(_ prefix: String, _ token: String) -> Double {
        -Double(1 + (prefix.unicodeScalars.count + 3 * token.unicodeScalars.count) % 7) / 4
    }

    static func connect(_ stub: StubServer, cache: URL? = nil, retries: Int = 5, concurrency: Int = 8, key: String? = nil) async throws -> ServerLanguageModel {
        var configuration = ServerConfiguration(baseURL: stub.url, apiKey: key)
        configuration.retries = retries
        configuration.backoff = 0.01
        configuration.concurrency = concurrency
        configuration.cacheDirectory = cache
        return try await ServerLanguageModel.connect(configuration)
    }

    static func temporaryFolder(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-server-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try? FileManager.default.removeItem(at: url)
        return url
    }

    /// Sum scores are the chain rule over the echoed tokens after the prefix all candidates share, mean scores
    /// average each candidate's own tokens, as the local engine scores them; a context ending in a space gives the
    /// same tokens.
    @Test func scoresAreTheChainRuleOfEchoedTokens() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        let model = try await Self.connect(stub)
        #expect(model.modelName == "stub" && model.promptsPerRequest == 16)
        let answers = try await model.scoreCandidates([
            CandidateScoringRequest(context: "The pet is", continuations: [" cat", " dog"]),
            CandidateScoringRequest(context: "The pet is ", continuations: ["cat", "dog"]),
            CandidateScoringRequest(context: "The pet is", continuations: [" a big cat", " dog"], mode: .mean),
            CandidateScoringRequest(context: "The pet is", continuations: [" a big cat", " a dog"], mode: .mean),
        ])
        let cat = Self.logprob("The pet is", " cat"), dog = Self.logprob("The pet is", " dog")
        #expect(answers[0].logWeights == [cat, dog] && answers[1].logWeights == [cat, dog])
        let big = (Self.logprob("The pet is", " a") + Self.logprob("The pet is a", " big") + Self.logprob("The pet is a big", " cat")) / 3
        #expect(abs(answers[2].logWeights[0] - big) < 1e-12 && answers[2].logWeights[1] == dog)
        // A shared first token (" a") is part of each candidate's own mean.
        let aDog = (Self.logprob("The pet is", " a") + Self.logprob("The pet is a", " dog")) / 2
        #expect(abs(answers[3].logWeights[0] - big) < 1e-12 && abs(answers[3].logWeights[1] - aDog) < 1e-12)
    }

    /// Next-token distributions are the server's top k, identified by hashes of the token texts.
    @Test func nextTokensAreTheServersTopK() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        let model = try await Self.connect(stub)
        let prompt = "The note says"
        let distribution = try await model.nextTokenDistributions([NextTokenRequest(prompt: prompt)])[0]
        var expected: [(text: String, logprob: Double)] = []
        for (index, text) in [" yes", " no", " maybe", "."].enumerated() {
            expected.append((text, -Double(1 + (prompt.count + index) % 5) / 2))
        }
        expected.sort { $0.logprob != $1.logprob ? $0.logprob > $1.logprob : $0.text < $1.text }
        #expect(distribution.count == 4)
        for (entry, want) in expected.enumerated() {
            #expect(distribution.token(at: entry) == ServerLanguageModel.tokenID(want.text))
            #expect(Double(distribution.logProbability(at: entry)) == want.logprob)
        }
        #expect(try await model.text(of: [ServerLanguageModel.tokenID(" maybe"), ServerLanguageModel.tokenID(".")]) == " maybe.")
        #expect(model.endOfGeneration.contains(ServerLanguageModel.tokenID("")))
    }

    @Test func retriesThenSucceeds() async throws {
        let stub = try StubServer(["--fail-first", "3"])
        defer { stub.stop() }
        // The first three requests (the model list, and the probe, which does not retry) fail with HTTP 500.
        var configuration = ServerConfiguration(baseURL: stub.url, modelName: "stub")
        configuration.backoff = 0.01
        configuration.promptsPerRequest = 4
        let model = try await ServerLanguageModel.connect(configuration)
        let answer = try await model.scoreCandidates([CandidateScoringRequest(context: "A b", continuations: [" c", " d"])])
        #expect(answer[0].logWeights == [Self.logprob("A b", " c"), Self.logprob("A b", " d")])
        #expect(model.requests.retried == 3 && model.requests.sent == 4)
    }

    @Test func givesUpWithATypedError() async throws {
        let stub = try StubServer(["--fail-first", "100"])
        defer { stub.stop() }
        var configuration = ServerConfiguration(baseURL: stub.url, modelName: "stub")
        configuration.retries = 2
        configuration.backoff = 0.01
        configuration.promptsPerRequest = 1
        let model = try await ServerLanguageModel.connect(configuration)
        await #expect(throws: ServerError.httpStatus(server: stub.url.absoluteString, request: "POST /completions for \"A b c\"", status: 500,
                                                     message: "injected failure 3")) {
            try await model.scoreCandidates([CandidateScoringRequest(context: "A b", continuations: [" c"])])
        }
    }

    /// A server that is not there: retries, then one typed error; further requests fail at once instead of
    /// retrying again (a dead server ends a run in one retry cycle).
    @Test func unreachableServers() async throws {
        let (port, socket) = try StubServer.refusingPort()
        defer { close(socket) }
        var configuration = ServerConfiguration(baseURL: URL(string: "http://127.0.0.1:\(port)/v1")!, modelName: "stub")
        configuration.retries = 2
        configuration.backoff = 0.01
        configuration.promptsPerRequest = 1
        let model = try await ServerLanguageModel.connect(configuration)
        let request = CandidateScoringRequest(context: "A", continuations: [" b"])
        await #expect(throws: ServerError.unreachable(server: "http://127.0.0.1:\(port)/v1", attempts: 3, reason: "connection refused")) {
            try await model.scoreCandidates([request])
        }
        let sentBefore = model.requests.sent
        await #expect(throws: ServerError.unreachable(server: "http://127.0.0.1:\(port)/v1", attempts: 3, reason: "connection refused")) {
            try await model.scoreCandidates([CandidateScoringRequest(context: "B", continuations: [" c"])])
        }
        // No new connection attempt: the second failure comes from the give-up record, not from three more tries.
        #expect(model.requests.sent == sentBefore)
    }

    @Test func malformedResponsesAreTypedErrors() async throws {
        let stub = try StubServer(["--wrong-tokens"])
        defer { stub.stop() }
        let model = try await Self.connect(stub)
        await #expect(throws: ServerError.malformedResponse(server: stub.url.absoluteString, request: "POST /completions for \"A b c\"",
                                                            reason: "choice 0: tokens, log-probabilities and offsets differ in number")) {
            try await model.scoreCandidates([CandidateScoringRequest(context: "A b", continuations: [" c"])])
        }
    }

    /// Servers that take one prompt per request (llama-cpp-python) are found by the probe and sent one at a time.
    @Test func singlePromptServers() async throws {
        let stub = try StubServer(["--single-prompt"])
        defer { stub.stop() }
        let model = try await Self.connect(stub)
        #expect(model.promptsPerRequest == 1)
        let answers = try await model.scoreCandidates([CandidateScoringRequest(context: "A b", continuations: [" c", " d", " e"])])
        #expect(answers[0].logWeights == [" c", " d", " e"].map { Self.logprob("A b", $0) })
    }

    /// Answers are kept on disk: a second model on the same cache asks the server nothing, with the same results.
    @Test func cacheMakesRerunsFree() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        let cache = Self.temporaryFolder("cache")
        defer { try? FileManager.default.removeItem(at: cache) }
        let requests = (0..<10).map { CandidateScoringRequest(context: "Item \($0) is", continuations: [" red", " green"]) }
        let first = try await Self.connect(stub, cache: cache)
        let a = try await first.scoreCandidates(requests)
        let second = try await Self.connect(stub, cache: cache)
        let sent = second.requests.sent
        let b = try await second.scoreCandidates(requests)
        #expect(a == b && second.requests.sent == sent && second.tokensEvaluated == 0)
    }

    /// The bearer key is sent, and appears in no message.
    @Test func apiKeys() async throws {
        let stub = try StubServer(["--require-key", "sekret-123"])
        defer { stub.stop() }
        var configuration = ServerConfiguration(baseURL: stub.url, modelName: "stub", apiKey: "wrong-456")
        configuration.promptsPerRequest = 1
        let denied = try await ServerLanguageModel.connect(configuration)
        do {
            _ = try await denied.scoreCandidates([CandidateScoringRequest(context: "A", continuations: [" b"])])
            Issue.record("a wrong key was accepted")
        } catch {
            #expect(error as? ServerError == .httpStatus(server: stub.url.absoluteString, request: "POST /completions for \"A b\"", status: 401, message: "invalid api key"))
            #expect(!String(describing: error).contains("wrong-456"))
        }
        let allowed = try await Self.connect(stub, key: "sekret-123")
        #expect(!allowed.identifier.contains("sekret"))
        _ = try await allowed.scoreCandidates([CandidateScoringRequest(context: "A", continuations: [" b"])])
    }

    /// Results do not depend on how many requests are in flight; reference scoring is refused by capability.
    @Test func concurrencyDoesNotChangeResults() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        let graph = try Graph([
            .categorical("pet", ["cat", "dog"], prefix: "The pet is ", suffix: "."),
            .categorical("mood", ["happy", "sad", "calm"], prefix: "It looks ", suffix: ".", parents: ["pet"]),
            .text("note", .init(maxTokens: 3, stop: ["."]), prefix: "Note:", parents: ["mood"]),
        ])
        var outputs: [[SampledUnit]] = []
        for concurrency in [1, 8] {
            let model = try CausalModel(graph: graph, languageModel: try await Self.connect(stub, concurrency: concurrency))
            outputs.append(try await Sampler(model: model, seed: 3).sample(units: 0..<30))
        }
        #expect(outputs[0].map(\.values) == outputs[1].map(\.values) && outputs[0].map(\.tokens) == outputs[1].map(\.tokens))
        #expect(outputs[0].allSatisfy { ($0.tokens[2]?.count ?? 0) > 0 })
        let server = try await Self.connect(stub)
        #expect(throws: CausalModelError.self) { try CausalModel(graph: graph, languageModel: server, scoring: .reference) }
    }
}

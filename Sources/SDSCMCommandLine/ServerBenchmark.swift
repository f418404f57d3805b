import Foundation
import SDSCM
import SDSCMEngine
import SDSCMServer

/// `sdscm bench --model http://…/v1`: how fast a server answers the candidate-scoring requests SDSCM sends, and,
/// with `--reference`, how that compares with the local engine on the same prompts in the same run.
enum ServerBenchmark {
    static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        let command = BenchCommand.name
        let count = try ModelOptions.positiveInteger(arguments, "requests", default: 64, command: command)
        let repetitions = try ModelOptions.positiveInteger(arguments, "repetitions", default: 3, command: command)
        var uncached = arguments
        if arguments.value("server-cache") == nil { uncached.setValue("server-cache", "none") }
        let url = try ModelOptions.serverURL(arguments, command: command)!
        let server = try await ModelOptions.server(url, uncached, command: command)
        let local = try arguments.value("reference").map { try TransformerLanguageModel(path: $0) }
        var runs: [(seconds: Double, requests: Int, tokens: Int)] = []
        var localSeconds: [Double] = []
        for repetition in 0..<repetitions {
            // Fresh prompts each time, so that no server-side prompt cache answers from the previous run.
            let requests = (0..<count).map { index in
                CandidateScoringRequest(context: "Run \(repetition), item \(index): the color of the box is",
                                        continuations: [" red", " green", " blue"])
            }
            let (sent, tokens) = (server.requests.sent, server.tokensEvaluated)
            let start = ContinuousClock.now
            _ = try await server.scoreCandidates(requests)
            runs.append((Self.seconds(ContinuousClock.now - start), server.requests.sent - sent, server.tokensEvaluated - tokens))
            if let local {
                let start = ContinuousClock.now
                _ = try await local.scoreCandidates(requests)
                localSeconds.append(Self.seconds(ContinuousClock.now - start))
            }
        }
        let seconds = median(runs.map(\.seconds))
        let requests = median(runs.map { Double($0.requests) })
        let tokens = median(runs.map { Double($0.tokens) })
        let prompts = Double(count * 3)
        let localPerPrompt = localSeconds.isEmpty ? nil : median(localSeconds) / prompts
        if arguments.flag("json") {
            var members: [(String, JSONValue)] = [
                ("server", .string(server.displayURL)), ("model", .string(server.modelName)),
                ("prompts_per_request", .int(server.promptsPerRequest)), ("concurrency", .int(server.configuration.concurrency)),
                ("requests_per_run", .double(requests)), ("prompts_per_run", .double(prompts)),
                ("requests_per_second", .double(requests / seconds)), ("prompts_per_second", .double(prompts / seconds)),
                ("scored_tokens_per_second", .double(tokens / seconds)), ("seconds_per_request", .double(seconds / requests)),
                ("seconds_per_prompt", .double(seconds / prompts)), ("repetitions", .int(repetitions)),
            ]
            if let localPerPrompt { members.append(("local", .object([("seconds_per_prompt", .double(localPerPrompt))]))) }
            io.print(JSONValue.object(members).rendered())
        } else {
            io.print("server \(server.displayURL), model \(server.modelName), \(server.promptsPerRequest) prompt(s) per request, "
                     + "concurrency \(server.configuration.concurrency), median of \(repetitions) runs of \(Int(prompts)) prompts:")
            io.print(String(format: "  %.1f requests/s, %.1f prompts/s, %.0f scored tokens/s (%.4f s per request)",
                            requests / seconds, prompts / seconds, tokens / seconds, seconds / requests))
            if let localPerPrompt {
                io.print(String(format: "  local engine on the same prompts: %.5f s per prompt (server: %.5f s per prompt, %.1f×)",
                                localPerPrompt, seconds / prompts, seconds / prompts / localPerPrompt))
            }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

import Foundation
import SDSCMServer
import SDSCMRandomness
import SDSCM
import SDSCMTokenizers
import SDSCMTransformer

/// `sdscm generate --model <gguf> --prompt <text> [--max-tokens N] [--temperature T] [--seed S]`.
public enum GenerateCommand: Command {
    /// The command's name on the command line.
    public static let name = "generate"
    /// One line for `sdscm help`.
    public static let summary = "Continue a prompt with the model: greedy at temperature 0, otherwise sampled reproducibly."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm generate --model <file.gguf> --prompt <text> [--max-tokens N] [--temperature T] [--seed S] [--threads N] [--numerics exact|llama.cpp] [--parse-special] [--no-bos] [--json]"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Generates up to N tokens (default 64), stopping early at an end-of-generation token or when the context is \
        full. Temperature 0 (the default) is greedy decoding. At T > 0 each token is drawn from softmax(logits / T) \
        by the Gumbel-max trick, with the noise of every (position, token) pair keyed by the seed (default 0): the \
        same seed gives the same text on any machine and thread count.
        Text output streams the generated text (not the prompt) to standard output as it is produced. --json \
        prints {"prompt_ids": [...], "ids": [...], "text": "…", "stop": "max_tokens" | "end_of_generation" | \
        "context_full", "seconds": …} at the end (seconds: prompt and generation together).
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = ModelOptions.specs + ModelOptions.promptSpecs + [
        .value("max-tokens", "N", "Most tokens to generate (default 64)."),
        .value("temperature", "T", "Sampling temperature ≥ 0 (default 0: greedy)."),
        .value("seed", "S", "Seed for sampling at T > 0 (unsigned 64-bit integer, default 0)."),
        .flag("json", "Print JSON at the end instead of streaming text."),
    ]

    /// Generates from the prompt, streaming the text as it comes (or printing one JSON document with `--json`).
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        guard arguments.positionals.isEmpty else {
            throw UsageError(command: name, "unexpected argument '\(arguments.positionals[0])' (give the prompt with --prompt)")
        }
        let maxTokens = try ModelOptions.positiveInteger(arguments, "max-tokens", default: 64, command: name)
        var temperature = 0.0
        if let text = arguments.value("temperature") {
            guard let value = Double(text), value >= 0, value.isFinite else {
                throw UsageError(command: name, "--temperature must be a number ≥ 0, got '\(text)'")
            }
            temperature = value
        }
        let seed = try ModelOptions.seed(arguments, default: 0, command: name)
        let text = try ModelOptions.promptText(arguments, command: name)
        if let url = try ModelOptions.serverURL(arguments, command: name) {
            try await server(url, prompt: String(decoding: text, as: UTF8.self), maxTokens: maxTokens,
                             sampler: try TokenSampler(temperature: temperature, seed: seed), arguments, io: io)
            return
        }
        let model = try ModelOptions.load(arguments, command: name)
        let prompt = try ModelOptions.tokenize(text, arguments, model: model)
        let sampler = try TokenSampler(temperature: temperature, seed: seed)
        let json = arguments.flag("json")
        var detokenizer = StreamingDetokenizer(vocabulary: model.tokenizer.vocabulary)
        let start = DispatchTime.now().uptimeNanoseconds
        let (tokens, stop) = try model.generate(prompt: prompt, maxTokens: maxTokens, sampler: sampler) { token in
            if !json { io.write(try detokenizer.append(token)) }
            return true
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if json {
            let generated = try model.tokenizer.vocabulary.decode(tokens)
            io.print(JSONValue.object([
                ("prompt_ids", .array(prompt.map(JSONValue.int))), ("ids", .array(tokens.map(JSONValue.int))),
                ("text", .string(generated)), ("stop", .string(stop.rawValue)),
                ("seconds", .double(seconds)),
            ]).rendered())
        } else {
            io.print(try detokenizer.finish())
        }
    }

    /// The same over a server: each step asks for the top-k next tokens after the prompt and the text so far, and
    /// picks one greedily or by Gumbel-max with noise keyed by (seed, position, token id) over those k.
    static func server(_ url: URL, prompt: String, maxTokens: Int, sampler: TokenSampler, _ arguments: ParsedArguments,
                       io: CommandIO) async throws {
        let model = try await ModelOptions.server(url, arguments, command: name)
        let json = arguments.flag("json")
        let start = DispatchTime.now().uptimeNanoseconds
        var tokens: [Int] = []
        var stop = "max_tokens"
        for position in 0..<maxTokens {
            let distribution = try await model.nextTokenDistributions([NextTokenRequest(prompt: prompt, continuation: tokens)])[0]
            let scale = sampler.temperature > 0 ? 1 / sampler.temperature : 1
            let entry = GumbelMax.argmax(count: distribution.count, noiseBound: GumbelMax.largestPhiloxGumbel,
                                         weight: { Double(distribution.logProbability(at: $0)) * scale },
                                         noise: { sampler.temperature > 0 ? sampler.noise(position: position, token: distribution.token(at: $0)) : 0 })!
            let token = distribution.token(at: entry)
            if model.endOfGeneration.contains(token) {
                stop = "end_of_generation"
                break
            }
            tokens.append(token)
            if !json { io.write(try await model.text(of: [token])) }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if json {
            io.print(JSONValue.object([
                ("prompt_ids", .array(try await model.tokens(of: prompt).map(JSONValue.int))), ("ids", .array(tokens.map(JSONValue.int))),
                ("text", .string(try await model.text(of: tokens))), ("stop", .string(stop)), ("seconds", .double(seconds)),
            ]).rendered())
        } else {
            io.print("")
        }
    }
}

import SDSCMBundledModels
import Foundation
import SDSCM
import SDSCMBenchmarks
import SDSCMEngine
import SDSCMServer
import SDSCMTensors
import SDSCMTransformer

/// The options every command that runs a model shares: which file, how many threads, which numerics, and how the
/// prompt is tokenized.
enum ModelOptions {
    static let specs: [OptionSpec] = [
        .value("model", "PATH|URL", "The GGUF model file (default: the bundled tiny world model), or an OpenAI-compatible completions server, http(s)://host:port/v1 (bearer key from $SDSCM_API_KEY)."),
        .value("threads", "N", "Compute threads (default: one per processor). Results do not depend on it."),
        .value("numerics", "MODE", "exact (default: float math on the stored weights) or llama.cpp (round activations as llama.cpp's CPU backend)."),
    ] + serverSpecs

    /// Options that apply when `--model` is a server.
    static let serverSpecs: [OptionSpec] = [
        .value("model-name", "ID", "Server: the model id (default: the only one /v1/models lists)."),
        .value("concurrency", "N", "Server: most requests in flight (default 8). Results do not depend on it."),
        .value("server-top-k", "K", "Server: next-token log-probabilities per position for free text (default 20)."),
        .value("server-timeout", "S", "Server: seconds before a request times out (default 120)."),
        .value("server-retries", "N", "Server: retries after connection errors, 429 and 5xx (default 5)."),
        .value("server-cache", "DIR", "Server: where answers are kept between runs (default $SDSCM_CACHE, else .sdscm-cache; 'none' keeps nothing)."),
    ]

    /// The environment variable holding the server's API key.
    static let apiKeyVariable = "SDSCM_API_KEY"

    /// The server URL `--model` names, or nil when it names a file.
    static func serverURL(_ arguments: ParsedArguments, command: String) throws -> URL? {
        guard let text = arguments.value("model"), text.hasPrefix("http://") || text.hasPrefix("https://") else { return nil }
        guard let url = ServerConfiguration.url(text) else { throw UsageError(command: command, ServerError.invalidURL(text).description) }
        return url
    }

    /// Connects to the server `--model` names, with the server options.
    static func server(_ url: URL, _ arguments: ParsedArguments, command: String) async throws -> ServerLanguageModel {
        var configuration = ServerConfiguration(baseURL: url, modelName: arguments.value("model-name"),
                                                apiKey: ProcessInfo.processInfo.environment[apiKeyVariable].flatMap { $0.isEmpty ? nil : $0 })
        configuration.concurrency = try positiveInteger(arguments, "concurrency", default: 8, command: command)
        configuration.topK = try positiveInteger(arguments, "server-top-k", default: 20, command: command)
        configuration.retries = try nonNegativeInteger(arguments, "server-retries", default: 5, command: command)
        if let text = arguments.value("server-timeout") {
            guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
                throw UsageError(command: command, "--server-timeout must be a positive number of seconds, got '\(text)'")
            }
            configuration.timeout = seconds
        }
        let cache = arguments.value("server-cache") ?? ProcessInfo.processInfo.environment["SDSCM_CACHE"] ?? ".sdscm-cache"
        configuration.cacheDirectory = cache == "none" ? nil : URL(fileURLWithPath: cache)
        return try await ServerLanguageModel.connect(configuration)
    }

    /// The language model `--model` names: a server, or a GGUF file run by the engine (default: the bundled model).
    static func languageModel(_ arguments: ParsedArguments, command: String) async throws -> any LanguageModel {
        if let url = try serverURL(arguments, command: command) { return try await server(url, arguments, command: command) }
        return TransformerLanguageModel(model: try load(arguments, command: command))
    }

    /// What the manifest records of `--model`: a file's name and SHA-256, or a server's URL (no credentials) and
    /// model id with the SHA-256 of the model's identifier; and the architecture (`server` for servers).
    static func modelRecord(_ languageModel: any LanguageModel, _ arguments: ParsedArguments) throws -> (BenchmarkManifest.FileRecord, String) {
        if let server = languageModel as? ServerLanguageModel {
            return (.init(path: server.displayURL + " " + server.modelName, sha256: SHA256.hex(Data(server.identifier.utf8))), "server")
        }
        let path = try modelPath(arguments)
        let architecture = (languageModel as? TransformerLanguageModel)?.model.configuration.architecture.name ?? "unknown"
        return (.init(path: URL(fileURLWithPath: path).lastPathComponent, sha256: try SHA256.hex(ofFile: path)), architecture)
    }

    /// Standard input, whole, up to 256 MiB (an endless pipe ends in an error instead of exhausted memory).
    static func standardInput() throws -> [UInt8] {
        do {
            return [UInt8](try BoundedRead.read(FileHandle.standardInput, limit: 256 << 20) ?? Data())
        } catch let error as BoundedRead.TooLarge {
            throw CommandFailure("standard input is \(error.message), more than a prompt can be")
        }
    }

    static let promptSpecs: [OptionSpec] = [
        .value("prompt", "TEXT", "The prompt (- reads standard input)."),
        .flag("parse-special", "Recognise control tokens written in the prompt (such as <|im_start|>)."),
        .flag("no-bos", "Do not add BOS even if the file asks for it."),
    ]

    /// An integer option within `range`, nil when absent; any other text is a usage error naming the range.
    static func integer(_ arguments: ParsedArguments, _ option: String, in range: ClosedRange<Int>, command: String) throws -> Int? {
        guard let text = arguments.value(option) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError(command: command, "--\(option) must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }

    /// A non-negative integer option (at most its `countLimits` entry), or nil when absent.
    static func nonNegativeInteger(_ arguments: ParsedArguments, _ option: String, command: String) throws -> Int? {
        try integer(arguments, option, in: 0...(countLimits[option] ?? 1_000_000_000), command: command)
    }

    /// A non-negative integer option (at most its `countLimits` entry), or `value` when absent.
    static func nonNegativeInteger(_ arguments: ParsedArguments, _ option: String, default value: Int, command: String) throws -> Int {
        try nonNegativeInteger(arguments, option, command: command) ?? value
    }

    /// The file named by `--model`, or the bundled tiny world model.
    static func modelPath(_ arguments: ParsedArguments) throws -> String {
        try arguments.value("model") ?? BundledModels.tinyWorldModelPath()
    }

    /// Loads the model named by `--model` (default: the bundled tiny model), with `--threads` and `--numerics`.
    static func load(_ arguments: ParsedArguments, command: String) throws -> TransformerModel {
        let path = try modelPath(arguments)
        var threads: Int?
        if let text = arguments.value("threads") {
            guard let count = Int(text), count > 0, count <= 1024 else {
                throw UsageError(command: command, "--threads must be an integer from 1 to 1024, got '\(text)'")
            }
            threads = count
        }
        var numerics = NumericsMode.exact
        if let text = arguments.value("numerics") {
            guard let mode = NumericsMode(rawValue: text) else {
                throw UsageError(command: command, "--numerics must be 'exact' or 'llama.cpp', got '\(text)'")
            }
            numerics = mode
        }
        return try TransformerModel(path: path, threads: threads, numerics: numerics)
    }

    /// The prompt text from `--prompt` (or standard input for `-`), checked before the model is loaded.
    static func promptText(_ arguments: ParsedArguments, command: String) throws -> [UInt8] {
        guard let prompt = arguments.value("prompt") else { throw UsageError(command: command, "missing --prompt <text>") }
        if prompt == "-" { return try standardInput() }
        return Array(prompt.utf8)
    }

    /// Tokenizes the prompt as llama.cpp would (BOS as the file says unless `--no-bos`).
    static func tokenize(_ text: [UInt8], _ arguments: ParsedArguments, model: TransformerModel) throws -> [Int] {
        let ids = model.tokenizer.encode(bytes: text, addSpecial: !arguments.flag("no-bos"),
                                         parseSpecial: arguments.flag("parse-special"))
        guard !ids.isEmpty else { throw CommandFailure("the prompt has no tokens (give some text, or drop --no-bos)") }
        return ids
    }

    /// `--seed` as an unsigned 64-bit integer, or `value` when absent.
    static func seed(_ arguments: ParsedArguments, default value: UInt64, command: String) throws -> UInt64 {
        guard let text = arguments.value("seed") else { return value }
        guard let seed = UInt64(text) else {
            throw UsageError(command: command, "--seed must be an unsigned 64-bit integer, got '\(text)'")
        }
        return seed
    }

    /// Upper bounds of count options: past them a run could not finish or allocate, so they are refused with the
    /// limit named instead of trapping or exhausting memory later.
    static let countLimits: [String: Int] = [
        "units": 10_000_000, "datasets": 1_000_000, "variations": 100_000, "bootstrap": 100_000, "megabytes": 4_096,
        "repeat": 100_000, "max-tokens": 1_000_000, "top": 1_000_000, "concurrency": 1_024, "server-top-k": 1_000,
        "requests": 1_000_000, "repetitions": 100_000, "prompt-tokens": 1_000_000, "gen-tokens": 1_000_000,
    ]

    /// A positive integer option (at most its `countLimits` entry), or `value` when absent.
    static func positiveInteger(_ arguments: ParsedArguments, _ option: String, default value: Int, command: String) throws -> Int {
        try integer(arguments, option, in: 1...(countLimits[option] ?? 1_000_000_000), command: command) ?? value
    }

    /// The text of a token, with special tokens shown as written (`<|im_end|>`).
    static func piece(_ id: Int, _ model: TransformerModel) throws -> [UInt8] {
        try model.tokenizer.piece(for: id, special: true)
    }
}

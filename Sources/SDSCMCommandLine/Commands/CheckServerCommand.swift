import Foundation
import SDSCM
import SDSCMEngine
import SDSCMServer
import SDSCMTensors

/// `sdscm check-server`: whether a completions server's log-probabilities can be trusted for scoring.
public enum CheckServerCommand: Command {
    /// The command's name on the command line.
    public static let name = "check-server"
    /// One line for `sdscm help`.
    public static let summary = "Check that a completions server scores text correctly (echo alignment; with --reference, agreement with a local GGUF)."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm check-server --model <http://host:port/v1> [--model-name ID] [--reference <file.gguf>] [--json]"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Asks the server about a few fixed prompts and checks what a silently wrong server would break. Echo \
        alignment: each prompt's near-certain continuation (" Paris" after "The capital of France is", …) is scored \
        twice, echoed after the prompt and as the next token after it, and the two log-probabilities must agree \
        within 0.1 (llama-cpp-python pairs echoed tokens with the wrong position for models that add no BOS token, \
        and fails here). With --reference, a local copy of the same model: the server must tokenize every text as \
        the local tokenizer does, and its log-probabilities must agree with the local engine's within 0.5 \
        (quantization noise; the engine rounds activations as llama.cpp does unless --numerics exact). Prints one line per check; exit status 1 when any fails. --json prints \
        {"server": …, "model": …, "checks": [{"name": …, "passed": …, "detail": …}, …]}.
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [
        .value("model", "URL", "The server: http(s)://host:port/v1 (bearer key from $SDSCM_API_KEY)."),
        .value("reference", "FILE", "A local GGUF of the same model, to compare tokenization and log-probabilities."),
        .value("threads", "N", "Compute threads for the reference (default: one per processor)."),
        .value("numerics", "MODE", "The reference's numerics: llama.cpp (default: rounds activations as llama.cpp, as a llama.cpp-based server does) or exact."),
        .flag("json", "Print JSON."),
    ] + ModelOptions.serverSpecs

    /// Runs the checks and prints their verdicts.
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        guard arguments.positionals.isEmpty else { throw UsageError(command: name, "unexpected argument '\(arguments.positionals[0])'") }
        guard let url = try ModelOptions.serverURL(arguments, command: name) else {
            throw UsageError(command: name, "--model must be a server URL (http://host:port/v1)")
        }
        var uncached = arguments
        if arguments.value("server-cache") == nil { uncached.setValue("server-cache", "none") }
        let server = try await ModelOptions.server(url, uncached, command: name)
        var referenceArguments = arguments
        if arguments.value("numerics") == nil { referenceArguments.setValue("numerics", NumericsMode.llamaCpp.rawValue) }
        let reference = try arguments.value("reference").map { path in
            TransformerLanguageModel(model: try ModelOptions.load(referenceArguments.replacingModel(with: path), command: name))
        }
        let results = try await ServerCheck.run(server, reference: reference)
        if arguments.flag("json") {
            io.print(JSONValue.object([
                ("server", .string(server.displayURL)), ("model", .string(server.modelName)),
                ("checks", .array(results.map { .object([("name", .string($0.name)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))]) })),
            ]).rendered())
        } else {
            io.print("check-server \(server.displayURL) (model \(server.modelName)):")
            for result in results {
                io.print("  " + result.name.padding(to: 18) + (result.passed ? "ok    " : "FAIL  ") + result.detail)
            }
        }
        let failed = results.filter { !$0.passed }.map(\.name)
        if !failed.isEmpty { throw CommandFailure("check-server: \(failed.joined(separator: ", ")) failed") }
    }
}

extension ParsedArguments {
    /// The same arguments with `--model` naming `path`.
    func replacingModel(with path: String) -> ParsedArguments {
        var copy = self
        copy.setValue("model", path)
        return copy
    }
}

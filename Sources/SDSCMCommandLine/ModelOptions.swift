import SDSCMBundledModels
import Foundation
import SDSCM
import SDSCMTensors
import SDSCMTransformer

/// The options every command that runs a model shares: which file, how many threads, which numerics, and how the
/// prompt is tokenized.
enum ModelOptions {
    static let specs: [OptionSpec] = [
        .value("model", "PATH", "The GGUF model file (default: the bundled tiny world model)."),
        .value("threads", "N", "Compute threads (default: one per processor). Results do not depend on it."),
        .value("numerics", "MODE", "exact (default: float math on the stored weights) or llama.cpp (round activations as llama.cpp's CPU backend)."),
    ]

    static let promptSpecs: [OptionSpec] = [
        .value("prompt", "TEXT", "The prompt (- reads standard input)."),
        .flag("parse-special", "Recognise control tokens written in the prompt (such as <|im_start|>)."),
        .flag("no-bos", "Do not add BOS even if the file asks for it."),
    ]

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
        if prompt == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
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

    /// A positive integer option, or `value` when absent.
    static func positiveInteger(_ arguments: ParsedArguments, _ option: String, default value: Int, command: String) throws -> Int {
        guard let text = arguments.value(option) else { return value }
        guard let number = Int(text), number > 0 else {
            throw UsageError(command: command, "--\(option) must be a positive integer, got '\(text)'")
        }
        return number
    }

    /// The text of a token, with special tokens shown as written (`<|im_end|>`).
    static func piece(_ id: Int, _ model: TransformerModel) throws -> [UInt8] {
        try model.tokenizer.piece(for: id, special: true)
    }
}

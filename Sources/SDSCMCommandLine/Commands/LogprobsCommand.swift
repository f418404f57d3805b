import Foundation
import SDSCM
import SDSCMServer

/// `sdscm logprobs --model <gguf> --prompt <text> [--top K] [--json]`: the next-token distribution after a prompt.
public enum LogprobsCommand: Command {
    /// The command's name on the command line.
    public static let name = "logprobs"
    /// One line for `sdscm help`.
    public static let summary = "Print the most likely next tokens after a prompt, with their log-probabilities."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm logprobs --model <file.gguf> --prompt <text> [--top K] [--threads N] [--numerics exact|llama.cpp] [--parse-special] [--no-bos] [--json]"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        The prompt is tokenized as llama.cpp would (BOS added when the file asks for it), evaluated in one batch, \
        and the log-softmax over the whole vocabulary at its last position is printed: the K most likely tokens \
        (default 10), highest first, ties by id. Log-probabilities are natural logarithms normalized exactly over \
        every vocabulary entry.
        Text output: one line per token with rank, id, log-probability, probability and the quoted piece. --json \
        prints {"prompt_ids": [...], "top": [{"id": …, "piece": "…", "logprob": …}, …]}.
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = ModelOptions.specs + ModelOptions.promptSpecs + [
        .value("top", "K", "How many tokens to list (default 10)."),
        .flag("json", "Print JSON."),
    ]

    /// Prints the top next tokens after the prompt, as a table or JSON.
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        guard arguments.positionals.isEmpty else {
            throw UsageError(command: name, "unexpected argument '\(arguments.positionals[0])' (give the prompt with --prompt)")
        }
        let top = try ModelOptions.positiveInteger(arguments, "top", default: 10, command: name)
        let text = try ModelOptions.promptText(arguments, command: name)
        if let url = try ModelOptions.serverURL(arguments, command: name) {
            try await server(url, prompt: String(decoding: text, as: UTF8.self), top: top, arguments, io: io)
            return
        }
        let model = try ModelOptions.load(arguments, command: name)
        let ids = try ModelOptions.tokenize(text, arguments, model: model)
        var cache = model.makeCache()
        let logProbabilities = try model.nextTokenLogProbabilities(after: ids, cache: &cache)
        let ranked = Self.topIndices(logProbabilities, count: top)
        if arguments.flag("json") {
            let entries = try ranked.map { id in
                JSONValue.object([
                    ("id", .int(id)),
                    ("piece", .string(String(decoding: try ModelOptions.piece(id, model), as: UTF8.self))),
                    ("logprob", .double(Double(logProbabilities[id]))),
                ])
            }
            io.print(JSONValue.object([("prompt_ids", .array(ids.map(JSONValue.int))), ("top", .array(entries))]).rendered())
        } else {
            io.print("prompt: \(ids.count) tokens [\(ids.map(String.init).joined(separator: ", "))]")
            io.print("rank".padding(to: 5) + "id".leftPadding(to: 8) + "logprob".leftPadding(to: 11) + "prob".leftPadding(to: 9) + "  piece")
            for (rank, id) in ranked.enumerated() {
                let value = Double(logProbabilities[id])
                io.print(String(rank + 1).padding(to: 5) + String(id).leftPadding(to: 8)
                         + String(format: "%11.4f%9.4f", value, Foundation.exp(value))
                         + "  \"" + TokenizeCommand.escaped(try ModelOptions.piece(id, model)) + "\"")
            }
        }
    }

    /// The same over a server: its top next tokens after the prompt text (ids are hashes of the token texts; the
    /// prompt is tokenized by the server's echo).
    static func server(_ url: URL, prompt: String, top: Int, _ arguments: ParsedArguments, io: CommandIO) async throws {
        let model = try await ModelOptions.server(url, arguments, command: name)
        let ids = try await model.tokens(of: prompt)
        let distribution = try await model.nextTokenDistributions([NextTokenRequest(prompt: prompt)])[0]
        let count = min(top, distribution.count)
        let entries = try await (0..<count).asyncMap { entry in
            (id: distribution.token(at: entry), piece: try await model.text(of: [distribution.token(at: entry)]),
             logprob: Double(distribution.logProbability(at: entry)))
        }
        if arguments.flag("json") {
            io.print(JSONValue.object([
                ("prompt_ids", .array(ids.map(JSONValue.int))),
                ("top", .array(entries.map { .object([("id", .int($0.id)), ("piece", .string($0.piece)), ("logprob", .double($0.logprob))]) })),
            ]).rendered())
        } else {
            io.print("prompt: \(ids.count) tokens (server \(model.displayURL), model \(model.modelName), top \(model.configuration.topK) returned)")
            io.print("rank".padding(to: 5) + "logprob".leftPadding(to: 11) + "prob".leftPadding(to: 9) + "  piece")
            for (rank, entry) in entries.enumerated() {
                io.print(String(rank + 1).padding(to: 5) + String(format: "%11.4f%9.4f", entry.logprob, Foundation.exp(entry.logprob))
                         + "  \"" + TokenizeCommand.escaped(Array(entry.piece.utf8)) + "\"")
            }
        }
    }

    /// Indices of the `count` largest values, largest first, lower index first on ties.
    static func topIndices(_ values: [Float], count: Int) -> [Int] {
        let k = min(count, values.count)
        func before(_ a: Int, _ b: Int) -> Bool { values[a] > values[b] || (values[a] == values[b] && a < b) }
        if k > 64 { return Array(values.indices.sorted(by: before).prefix(k)) }
        // A bounded selection keeps this O(n·k) with k small, instead of sorting the whole vocabulary.
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for index in values.indices {
            if best.count == k, let last = best.last, !before(index, last) { continue }
            var position = best.count
            while position > 0 && before(index, best[position - 1]) { position -= 1 }
            best.insert(index, at: position)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}

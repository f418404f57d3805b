import Foundation
import SDSCM
import SDSCMGGUF

/// `sdscm bench …`: throughput measurements, reported as medians of repeated runs.
public enum BenchCommand: Command {
    /// The command's name on the command line.
    public static let name = "bench"
    /// One line for `sdscm help`.
    public static let summary = "Measure model (prompt processing, generation) or tokenizer throughput on this machine."
    /// The usage line `--help` shows.
    public static let synopsis = """
        sdscm bench --model <file.gguf> [--threads N] [--prompt-tokens P] [--gen-tokens G] [--repetitions R] [--numerics exact|llama.cpp] [--json]
               sdscm bench --model <http://host:port/v1> [--requests N] [--repetitions R] [--reference <file.gguf>] [--concurrency N] [--json]
               sdscm bench tokenizer --model <file.gguf> [--input FILE] [--megabytes N] [--repeat R] [--json] [--write-corpus FILE]
        """
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Model (no benchmark name): measured as llama-bench does, so the numbers compare (Tests/Scripts/bench-vs-llamacpp.sh \
        runs both). pp: P tokens (default 256) evaluated in one batch on an empty cache, logits for the last one. \
        tg: G tokens (default 32) evaluated one at a time on an empty cache, full logits for each. One warm-up run, \
        then R timed runs (default 5); medians are reported. rss_mb is the process's peak resident memory, which \
        includes the pages of the memory-mapped model file that were touched. JSON: {"threads": …, "pp": \
        {"tokens": …, "tokens_per_second": …}, "tg": {…}, "rss_mb": …, …}.
        Server (--model http(s)://…/v1): N candidate-scoring requests (default 64; three candidates each, so 3N \
        prompts) sent as sdscm sends them (several prompts per request when the server takes them, --concurrency \
        in flight, no cache unless --server-cache is given), R times (default 3) with fresh prompts; reports the \
        medians of requests/s, prompts/s and scored tokens/s (the server's prompt-token counts). --reference \
        FILE.gguf scores the same prompts with the local engine in the same run, for the overhead per request. JSON: \
        {"server": …, "model": …, "requests_per_second": …, "prompts_per_second": …, "scored_tokens_per_second": …, \
        "seconds_per_request": …, "local": {"seconds_per_prompt": …} …}.
        tokenizer: encodes a mixed corpus (English prose, code, digits, CJK, Cyrillic, Arabic, emoji, whitespace runs; \
        or the file given with --input) on one thread, R times (default 5), and reports the median throughput in \
        MB/s and tokens/s. --write-corpus writes the default corpus to FILE and exits, so other tokenizers (see \
        Tests/Scripts/bench-tokenizer.sh for llama.cpp) can be timed on the same bytes.
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [
        .value("model", "PATH|URL", "The GGUF model file, or a completions server (http(s)://host:port/v1)."),
        .value("requests", "N", "Server: candidate-scoring requests per run (default 64)."),
        .value("reference", "FILE", "Server: a GGUF file to score the same prompts with locally, in the same run."),
        .value("threads", "N", "Model: compute threads (default: one per processor)."),
        .value("prompt-tokens", "P", "Model: tokens in the prompt-processing test (default 256)."),
        .value("gen-tokens", "G", "Model: tokens in the generation test (default 32)."),
        .value("repetitions", "R", "Model: timed runs; medians are reported (default 5)."),
        .value("numerics", "MODE", "Model: exact (default) or llama.cpp."),
        .value("input", "FILE", "Text to encode instead of the built-in corpus."),
        .value("megabytes", "N", "Size of the built-in corpus in MB (default 1)."),
        .value("repeat", "R", "Tokenizer: timed runs; the median is reported (default 5)."),
        .value("write-corpus", "FILE", "Write the built-in corpus to FILE and exit."),
        .flag("json", "Print the result as JSON."),
    ] + ModelOptions.serverSpecs

    /// Runs the model benchmark, or the tokenizer benchmark when the argument is `tokenizer`.
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        switch arguments.positionals {
        case [] where try ModelOptions.serverURL(arguments, command: name) != nil: try await ServerBenchmark.run(arguments, io: io)
        case []: try ModelBenchmark.run(arguments, io: io)
        case ["tokenizer"]: try runTokenizer(arguments, io: io)
        default:
            throw UsageError(command: name, "unknown benchmark '\(arguments.positionals.joined(separator: " "))' "
                             + "(give --model alone for the model benchmark, or 'tokenizer')")
        }
    }

    static func runTokenizer(_ arguments: ParsedArguments, io: CommandIO) throws {
        let megabytes = try positiveInteger(arguments, "megabytes", default: 1)
        let repeats = try positiveInteger(arguments, "repeat", default: 5)
        let corpus: [UInt8]
        if let input = arguments.value("input") {
            guard let data = FileManager.default.contents(atPath: input) else {
                throw CommandFailure("cannot read input file '\(input)'")
            }
            corpus = [UInt8](data)
        } else {
            corpus = mixedCorpus(bytes: megabytes << 20)
        }
        if let path = arguments.value("write-corpus") {
            try AtomicFile.write(Data(corpus), to: path)
            io.print("wrote \(corpus.count) bytes to \(path)")
            return
        }
        let model = try ModelOptions.modelPath(arguments)
        let tokenizer = try GGUFFile(path: model).makeTokenizer()
        var seconds: [Double] = []
        var tokenCount = 0
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            tokenCount = tokenizer.encode(bytes: corpus, addSpecial: false, parseSpecial: false).count
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let median = seconds.sorted()[seconds.count / 2]
        let megabytesPerSecond = Double(corpus.count) / 1e6 / median
        let tokensPerSecond = Double(tokenCount) / median
        if arguments.flag("json") {
            io.print(JSONValue.object([
                ("benchmark", .string("tokenizer")), ("model", .string(model)), ("bytes", .int(corpus.count)),
                ("tokens", .int(tokenCount)), ("runs", .int(repeats)), ("median_seconds", .double(median)),
                ("megabytes_per_second", .double(megabytesPerSecond)), ("tokens_per_second", .double(tokensPerSecond)),
            ]).rendered())
        } else {
            io.print(String(format: "tokenizer %@: %d bytes → %d tokens; median of %d runs %.3f s = %.1f MB/s, %.0f tokens/s",
                            (model as NSString).lastPathComponent, corpus.count, tokenCount, repeats, median,
                            megabytesPerSecond, tokensPerSecond))
        }
    }

    static func positiveInteger(_ arguments: ParsedArguments, _ option: String, default value: Int) throws -> Int {
        try ModelOptions.positiveInteger(arguments, option, default: value, command: name)
    }

    /// A deterministic mix of scripts and formats, repeated to `bytes` bytes (cut at a character boundary).
    static func mixedCorpus(bytes: Int) -> [UInt8] {
        let paragraphs = [
            "A 45-year-old woman presents to the oncology clinic with a 2.3 cm mass in the left breast. Her tumour is ER-positive, HER2-negative, and PD-L1 expression is 12%. She'd like to know what the options are; the team recommends surgery followed by 6 cycles of chemotherapy.\n\n",
            "def estimate_ate(units):\n    treated = [u.outcome for u in units if u.treatment == 1]\n    control = [u.outcome for u in units if u.treatment == 0]\n    return sum(treated) / len(treated) - sum(control) / len(control)\n\n",
            "Measurements: 3.14159, 2,718.28, 1e-5, 0x1F, 1234567890 — total ≈ 42%; see §3.2 (pp. 17–19).\n",
            "Пациентка 45 лет обратилась в онкологическую клинику. 东京的医院在2026年开始了新的临床试验。مرحبا بكم في العيادة. नमस्ते, आप कैसे हैं?\n",
            "Emoji and symbols: 🧬🔬💊 ✅ ❌ 👩‍⚕️ 🦙 → ← ↑ ↓ ★ ☆ ♥ ©®™ ½ ¾ ∑ ∫ √ ∞\n",
            "    indented line\n\t\ttabs and    spaces   \n\n\n{\"key\": [1, 2, 3], \"other\": null, \"nested\": {\"a\": true}}\n",
        ]
        var corpus: [UInt8] = []
        corpus.reserveCapacity(bytes + 512)
        var index = 0
        while corpus.count < bytes {
            corpus += Array(paragraphs[index % paragraphs.count].utf8)
            index += 1
        }
        var end = bytes
        while end > 0 && corpus[end] & 0xC0 == 0x80 { end -= 1 }
        return Array(corpus[0..<end])
    }
}

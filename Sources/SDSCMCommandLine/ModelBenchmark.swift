import Foundation
import SDSCM
import SDSCMTransformer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sdscm bench --model …`: prompt-processing and generation throughput, measured the way llama-bench measures
/// them (pp: one batch on an empty cache; tg: one token at a time from an empty cache, full logits each time).
enum ModelBenchmark {
    /// The medians of one benchmark run.
    struct Result {
        var threads: Int
        var promptTokens: Int
        var promptTokensPerSecond: Double
        var generatedTokens: Int
        var generationTokensPerSecond: Double
        var peakResidentMegabytes: Double
    }

    static func run(_ arguments: ParsedArguments, io: CommandIO) throws {
        let command = BenchCommand.name
        let promptTokens = try ModelOptions.positiveInteger(arguments, "prompt-tokens", default: 256, command: command)
        let generatedTokens = try ModelOptions.positiveInteger(arguments, "gen-tokens", default: 32, command: command)
        let repetitions = try ModelOptions.positiveInteger(arguments, "repetitions", default: 5, command: command)
        let model = try ModelOptions.load(arguments, command: command)
        let result = try measure(model, promptTokens: promptTokens, generatedTokens: generatedTokens,
                                 repetitions: repetitions)
        let path = arguments.value("model") ?? ""
        if arguments.flag("json") {
            io.print(JSONValue.object([
                ("threads", .int(result.threads)),
                ("pp", .object([("tokens", .int(result.promptTokens)),
                                ("tokens_per_second", .double(result.promptTokensPerSecond))])),
                ("tg", .object([("tokens", .int(result.generatedTokens)),
                                ("tokens_per_second", .double(result.generationTokensPerSecond))])),
                ("rss_mb", .double(result.peakResidentMegabytes)),
                ("model", .string(path)),
                ("model_mb", .double(Double(model.file.fileSize) / 1_048_576)),
                ("numerics", .string(model.numerics.rawValue)),
                ("repetitions", .int(repetitions)),
            ]).rendered())
        } else {
            io.print(String(format: "%@ (%.1f MB), %d threads, numerics %@, median of %d runs:",
                            (path as NSString).lastPathComponent, Double(model.file.fileSize) / 1_048_576, result.threads,
                            model.numerics.rawValue, repetitions))
            io.print(String(format: "  pp%d: %8.1f tokens/s", result.promptTokens, result.promptTokensPerSecond))
            io.print(String(format: "  tg%d: %8.1f tokens/s", result.generatedTokens, result.generationTokensPerSecond))
            io.print(String(format: "  peak RSS: %.1f MB", result.peakResidentMegabytes))
        }
    }

    /// Runs one warm-up and `repetitions` timed runs of each test.
    static func measure(_ model: TransformerModel, promptTokens: Int, generatedTokens: Int, repetitions: Int) throws -> Result {
        let limit = model.configuration.contextLength
        guard promptTokens <= limit, generatedTokens <= limit else {
            throw TransformerError.contextOverflow(needed: max(promptTokens, generatedTokens), limit: limit)
        }
        // Fixed pseudo-random ids spread over the vocabulary (llama-bench uses random ids too).
        let vocabulary = model.vocabularySize
        let tokens = (0..<max(promptTokens, generatedTokens)).map { ($0 &* 7919 &+ 13) % vocabulary }
        func promptRun() throws -> Double {
            var cache = model.makeCache()
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try model.evaluate(Array(tokens.prefix(promptTokens)), cache: &cache,
                                   outputs: [OutputRequest(position: promptTokens - 1, kind: .logits)])
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        func generationRun() throws -> Double {
            var cache = model.makeCache()
            let start = DispatchTime.now().uptimeNanoseconds
            for token in tokens.prefix(generatedTokens) {
                _ = try model.evaluate([token], cache: &cache, outputs: [OutputRequest(position: 0, kind: .logits)])
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        _ = try promptRun()
        _ = try generationRun()
        var prompt: [Double] = [], generation: [Double] = []
        for _ in 0..<repetitions {
            prompt.append(try promptRun())
            generation.append(try generationRun())
        }
        return Result(
            threads: model.pool.threads, promptTokens: promptTokens,
            promptTokensPerSecond: Double(promptTokens) / median(prompt),
            generatedTokens: generatedTokens, generationTokensPerSecond: Double(generatedTokens) / median(generation),
            peakResidentMegabytes: peakResidentMegabytes())
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The process's peak resident set size so far, in MiB (Linux reports kilobytes, Darwin bytes).
    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        #if canImport(Darwin)
        return Double(usage.ru_maxrss) / 1_048_576
        #else
        return Double(usage.ru_maxrss) / 1024
        #endif
    }
}

import Foundation
import SDSCM

/// `sdscm exact`: exact marginals of every categorical variable by enumeration.
public enum ExactCommand: Command {
    /// The command's name on the command line.
    public static let name = "exact"
    /// One line for `sdscm help`.
    public static let summary = "Compute the exact (interventional) marginal of every categorical variable by enumeration."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm exact --config <json> --model <gguf> [--do VAR=VALUE]... [--given VAR=VALUE]... [--scoring sum|mean|reference] [--limit N] [--threads N] [--json]"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Enumerates every joint assignment of the categorical variables in τ order, weighting each by the product of \
        its mechanisms' probabilities; each distinct parent assignment is scored once by the language model. The \
        result is the ground truth that `sdscm sample` estimates. Refused (exit 1) when a categorical variable \
        depends on a free-text one, or when the number of joint assignments exceeds --limit (default 1,000,000).
        --given VAR=VALUE (repeatable) conditions the marginals on evidence (P(V | evidence, do(…))); evidence of \
        probability zero is an error.
        --json prints {"marginals": {"VAR": {"VALUE": p, …}, …}, "counters": {"contexts_scored": …, \
        "tokens_evaluated": …, "cache_hits": …}} with variables in declaration order and values in domain order.
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [CausalOptions.configSpec] + ModelOptions.specs + [
        .value("do", "VAR=VALUE", "Intervention (repeatable; VAR~uniform for a uniform random assignment)."),
        CausalOptions.givenSpec,
        .value("scoring", "MODE", "Candidate scoring: sum (default), mean or reference."),
        .value("limit", "N", "Most joint assignments enumerated (default 1000000)."),
        .flag("json", "Print JSON."),
    ]

    /// Prints every categorical variable's exact marginal under the `--do` interventions, with the model's counters.
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        guard arguments.positionals.isEmpty else {
            throw UsageError(command: name, "unexpected argument '\(arguments.positionals[0])'")
        }
        let limit = try ModelOptions.positiveInteger(arguments, "limit", default: 1_000_000, command: name)
        let interventions = try CausalOptions.interventions(arguments, command: name)
        let evidence = try CausalOptions.evidence(arguments, command: name)
        let configuration = try CausalOptions.configuration(arguments, command: name)
        let model = try await CausalOptions.model(configuration, arguments, command: name)
        let marginals = try await ExactInference(model: model, limit: limit).marginals(given: evidence, interventions: interventions)
        let counters = model.counters
        if arguments.flag("json") {
            let members = marginals.distributions.map { distribution in
                (distribution.variable, JSONValue.object(zip(distribution.values, distribution.probabilities).map { ($0, JSONValue.double($1)) }))
            }
            io.print(JSONValue.object([
                ("marginals", .object(members)),
                ("counters", .object([("contexts_scored", .int(counters.contextsScored)),
                                      ("tokens_evaluated", .int(counters.tokensEvaluated)),
                                      ("cache_hits", .int(counters.cacheHits))])),
            ]).rendered())
        } else {
            for distribution in marginals.distributions {
                io.print(distribution.variable)
                for (value, probability) in zip(distribution.values, distribution.probabilities) {
                    io.print("  " + String(format: "%.6f", probability) + "  " + value)
                }
            }
            io.print("(contexts scored \(counters.contextsScored), tokens evaluated \(counters.tokensEvaluated), cache hits \(counters.cacheHits))")
        }
    }
}

import SDSCM

/// `sdscm graph`: the configuration's DAG as Graphviz DOT or Mermaid.
public enum GraphCommand: Command {
    /// The command's name on the command line.
    public static let name = "graph"
    /// One line for `sdscm help`.
    public static let summary = "Print a configuration's causal graph as Graphviz DOT or Mermaid."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm graph --config <json> [--format dot|mermaid]"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Validates the configuration (unknown parents, cycles with the cycle listed, duplicate names) and prints the \
        graph with variables in τ order. DOT draws exogenous variables dashed and free-text variables as boxes; \
        Mermaid draws edges from exogenous variables dotted.
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [
        CausalOptions.configSpec,
        .value("format", "FORMAT", "dot (default) or mermaid."),
    ]

    /// Prints the configuration's graph in the chosen format (DOT by default).
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        guard arguments.positionals.isEmpty else {
            throw UsageError(command: name, "unexpected argument '\(arguments.positionals[0])'")
        }
        let format = arguments.value("format") ?? "dot"
        guard format == "dot" || format == "mermaid" else {
            throw UsageError(command: name, "--format must be dot or mermaid, got '\(format)'")
        }
        let graph = try CausalOptions.configuration(arguments, command: name).graph()
        io.print(format == "dot" ? graph.dot() : graph.mermaid())
    }
}

/// One `sdscm` subcommand.
///
/// Commands declare their options so the shared parser can reject unknown ones (exit 2) and `--help` can be
/// generated the same way for all of them.
public protocol Command {
    /// The word after `sdscm`.
    static var name: String { get }
    /// One line for `sdscm help`.
    static var summary: String { get }
    /// The synopsis, e.g. `sdscm inspect <file.gguf> [--json]`.
    static var synopsis: String { get }
    /// Paragraphs shown by `--help` after the synopsis.
    static var discussion: String { get }
    /// Accepted options.
    static var options: [OptionSpec] { get }
    /// Runs the command. Throw `UsageError` for invocation mistakes; any other error is a runtime failure.
    static func run(_ arguments: ParsedArguments, io: CommandIO) async throws
}

extension Command {
    /// The full `--help` text.
    public static var helpText: String {
        var lines = ["Usage: \(synopsis)", "", summary]
        if !discussion.isEmpty { lines += ["", discussion] }
        let all = options + [.flag("help", "Show this help.")]
        lines += ["", "Options:"]
        let labels = all.map { "--\($0.name)" + ($0.takesValue ? " \($0.valueName)" : "") }
        let width = labels.map(\.count).max() ?? 0
        for (label, option) in zip(labels, all) {
            lines.append("  " + label.padding(to: width) + "  " + option.help)
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// The string padded with spaces on the right to `width` characters.
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// The string padded with spaces on the left to `width` characters.
    func leftPadding(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

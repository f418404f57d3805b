/// The `sdscm` command-line tool: dispatch, help, and the exit-status contract.
///
/// Exit status 0 on success, 1 on a runtime failure (one line on stderr: `sdscm: error: …`), 2 on a usage
/// mistake (the problem and a pointer to `--help` on stderr). Commands run in-process so tests can call
/// `run(_:io:)` directly.
public enum SDSCMCommandLine {
    /// Every command, in the order `sdscm help` lists them.
    public static var commands: [any Command.Type] { [DemoCommand.self, InspectCommand.self, TokenizeCommand.self, LogprobsCommand.self, GenerateCommand.self, SampleCommand.self, ExactCommand.self, GraphCommand.self, BenchmarkCommand.self, EvaluateCommand.self, AuditCommand.self, BenchCommand.self, CheckServerCommand.self] }

    /// Runs `sdscm` with `arguments` (without the program name) and returns the exit status.
    public static func run(_ arguments: [String], io: CommandIO) async -> Int32 {
        guard let first = arguments.first else {
            io.printError(overview)
            return 2
        }
        if first == "help" || first == "--help" || first == "-h" {
            if arguments.count > 1 {
                guard let command = command(named: arguments[1]) else {
                    return usage(UsageError(command: "", "unknown command '\(arguments[1])'"), io: io)
                }
                io.print(command.helpText)
            } else {
                io.print(overview)
            }
            return 0
        }
        if first == "--version" {
            io.print("sdscm \(version)")
            return 0
        }
        guard let command = command(named: first) else {
            return usage(UsageError(command: "", "unknown command '\(first)'"), io: io)
        }
        do {
            let parsed = try ParsedArguments(Array(arguments.dropFirst()), options: command.options, command: first)
            if parsed.helpRequested {
                io.print(command.helpText)
                return 0
            }
            try await command.run(parsed, io: io)
            return 0
        } catch let error as UsageError {
            return usage(error, io: io)
        } catch {
            io.printError("sdscm: error: " + oneLine(String(describing: error)))
            return 1
        }
    }

    /// The package version printed by `sdscm --version`.
    public static let version = "0.1.0"

    static func command(named name: String) -> (any Command.Type)? {
        commands.first { $0.name == name }
    }

    static var overview: String {
        var lines = [
            "sdscm: sequence-driven structural causal models from language models.",
            "",
            "Usage: sdscm <command> [options]",
            "",
            "Commands:",
        ]
        let width = max(4, commands.map { $0.name.count }.max() ?? 0)
        for command in commands {
            lines.append("  " + command.name.padding(to: width) + "  " + command.summary)
        }
        lines.append("  " + "help".padding(to: width) + "  Show this overview, or a command's help: sdscm help <command>")
        lines += ["", "Run 'sdscm <command> --help' for a command's options."]
        return lines.joined(separator: "\n")
    }

    private static func usage(_ error: UsageError, io: CommandIO) -> Int32 {
        let prefix = error.command.isEmpty ? "sdscm" : "sdscm \(error.command)"
        io.printError("\(prefix): \(oneLine(error.message))")
        let helpCommand = error.command.isEmpty ? "sdscm help" : "sdscm \(error.command) --help"
        io.printError("Run '\(helpCommand)' for usage.")
        return 2
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// A command's options: flags (`--json`) and options with a value (`--model PATH` or `--model=PATH`).
public struct OptionSpec: Sendable {
    /// Name without the leading dashes.
    public let name: String
    /// Whether the option takes a value.
    public let takesValue: Bool
    /// Placeholder shown in help, e.g. `PATH`.
    public let valueName: String
    /// One-line help.
    public let help: String

    /// An option that takes a value.
    public static func value(_ name: String, _ valueName: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, takesValue: true, valueName: valueName, help: help)
    }

    /// A boolean flag.
    public static func flag(_ name: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, takesValue: false, valueName: "", help: help)
    }
}

/// The result of parsing a command's arguments against its `OptionSpec`s.
public struct ParsedArguments: Sendable {
    /// Arguments that are not options, in order.
    public private(set) var positionals: [String] = []
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []
    /// Whether `--help`/`-h` was given.
    public private(set) var helpRequested = false

    /// Parses `arguments` (after the command name). `--` ends option parsing.
    public init(_ arguments: [String], options: [OptionSpec], command: String) throws {
        let byName = Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                positionals.append(argument)
                continue
            }
            if argument == "--" { optionsEnded = true; continue }
            if argument == "--help" || argument == "-h" { helpRequested = true; continue }
            guard argument.hasPrefix("--") else {
                throw UsageError(command: command, "unknown option '\(argument)'")
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let spec = byName[name] else {
                throw UsageError(command: command, "unknown option '--\(name)'")
            }
            if spec.takesValue {
                if let inlineValue {
                    values[name, default: []].append(inlineValue)
                } else {
                    guard index < arguments.count else {
                        throw UsageError(command: command, "option '--\(name)' needs a value (\(spec.valueName))")
                    }
                    values[name, default: []].append(arguments[index])
                    index += 1
                }
            } else {
                guard inlineValue == nil else {
                    throw UsageError(command: command, "option '--\(name)' does not take a value")
                }
                flags.insert(name)
            }
        }
    }

    /// Whether the flag `name` was given.
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The last value given for `name`, if any.
    public func value(_ name: String) -> String? { values[name]?.last }

    /// Every value given for a repeatable option.
    public func values(_ name: String) -> [String] { values[name] ?? [] }

    /// Sets option `name` to `value` (a command's own default that the shared option code should see).
    mutating func setValue(_ name: String, _ value: String) { values[name] = [value] }
}

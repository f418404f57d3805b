import Foundation
import SDSCM
import SDSCMEngine

/// Options shared by the causal commands: the configuration file, the language model, interventions.
enum CausalOptions {
    static let configSpec = OptionSpec.value("config", "FILE", "The causal model's JSON configuration.")

    /// Loads `--config`.
    static func configuration(_ arguments: ParsedArguments, command: String) throws -> CausalModelConfiguration {
        guard let path = arguments.value("config") else { throw UsageError(command: command, "missing --config <file.json>") }
        return try CausalModelConfiguration(path: path)
    }

    /// Builds the model: the language model from `--model` (default: the bundled tiny model), loaded only when
    /// some equation needs one.
    static func model(_ configuration: CausalModelConfiguration, _ arguments: ParsedArguments, command: String) async throws -> CausalModel {
        let scoring = try Self.scoring(arguments, command: command)
        var languageModel: (any LanguageModel)?
        let needsModel = try configuration.graph().variables.contains { variable in
            variable.isText || configuration.equations[variable.name] == nil
        }
        if needsModel || arguments.value("model") != nil {
            languageModel = try await ModelOptions.languageModel(arguments, command: command)
        }
        return try configuration.makeModel(languageModel: languageModel, scoring: scoring)
    }

    /// `--scoring`, or nil when absent (the configuration's mode applies).
    static func scoring(_ arguments: ParsedArguments, command: String) throws -> ScoringMode? {
        guard let text = arguments.value("scoring") else { return nil }
        guard let mode = ScoringMode(rawValue: text) else {
            throw UsageError(command: command, "--scoring must be sum, mean or reference, got '\(text)'")
        }
        return mode
    }

    /// `--semantics`, shared noise when absent.
    static func semantics(_ arguments: ParsedArguments, command: String) throws -> CounterfactualSemantics {
        guard let text = arguments.value("semantics") else { return .sharedNoise }
        guard let value = CounterfactualSemantics(rawValue: text) else {
            throw UsageError(command: command, "--semantics must be shared-noise or paper, got '\(text)'")
        }
        return value
    }

    /// Parses `VAR=VALUE` (a fixed value) or `VAR~uniform` (a uniform random assignment).
    static func intervention(_ text: String, option: String, command: String) throws -> (String, Intervention) {
        if let tilde = text.firstIndex(of: "~"), !text.contains("=") || tilde < text.firstIndex(of: "=")! {
            let name = String(text[..<tilde]), kind = String(text[text.index(after: tilde)...])
            guard kind == "uniform", !name.isEmpty else {
                throw UsageError(command: command, "--\(option) '\(text)': expected VAR=VALUE or VAR~uniform")
            }
            return (name, .uniform)
        }
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw UsageError(command: command, "--\(option) '\(text)': expected VAR=VALUE or VAR~uniform")
        }
        return (String(text[..<equals]), .value(String(text[text.index(after: equals)...])))
    }

    /// Every `--do` as one set of interventions.
    /// Refuses an output that is one of the command's inputs (writing it would destroy the input).
    static func refuseOverwriting(_ output: String, inputs: [(option: String, path: String?)], outputOption: String, command: String) throws {
        for input in inputs {
            guard let path = input.path else { continue }
            if SafeFile.sameFile(output, path) {
                throw UsageError(command: command, "--\(outputOption) '\(output)' is the --\(input.option) input; choose another output")
            }
        }
    }

    /// `--given VAR=VALUE` flags: evidence for true conditioning (each variable at most once).
    static func evidence(_ arguments: ParsedArguments, command: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for text in arguments.values("given") {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw UsageError(command: command, "--given '\(text)': expected VAR=VALUE")
            }
            let name = String(text[..<equals])
            guard result[name] == nil else { throw UsageError(command: command, "--given names '\(name)' twice") }
            result[name] = String(text[text.index(after: equals)...])
        }
        return result
    }
    static let givenSpec = OptionSpec.value("given", "VAR=VALUE",
        "Evidence to condition on (repeatable): the evidence's ancestors are drawn from their exact posterior, not set by do().")
    static func interventions(_ arguments: ParsedArguments, command: String) throws -> [String: Intervention] {
        var result: [String: Intervention] = [:]
        for text in arguments.values("do") {
            let (name, intervention) = try intervention(text, option: "do", command: command)
            guard result[name] == nil else { throw UsageError(command: command, "--do names '\(name)' twice") }
            result[name] = intervention
        }
        return result
    }
}

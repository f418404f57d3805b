import Foundation

/// A configuration written back as JSON in SDSCM's format (`CausalModelConfiguration(json:)` reads it again), so a
/// model assembled in code can be saved, shared and run by `sdscm`. Language-model mechanisms need no entry;
/// uniform, fixed-probability and table equations are written out; any other equation (a closure) cannot be and
/// is an `EncodingError` naming its variable.
extension CausalModelConfiguration: Encodable {
    private enum Key: String, CodingKey {
        case variables, treatment, outcome, hidden, scoring, name, values, text, phrasings, phrasing, parents, exogenous
        case equation, uniform, probabilities, table, when
        case scoreSuffix = "score_suffix", maxTokens = "max_tokens", stop, temperature, topK = "top_k", topP = "top_p"
    }

    public func encode(to encoder: Encoder) throws {
        var root = encoder.container(keyedBy: Key.self)
        var list = root.nestedUnkeyedContainer(forKey: .variables)
        for variable in variables {
            var entry = list.nestedContainer(keyedBy: Key.self)
            try entry.encode(variable.name, forKey: .name)
            switch variable.domain {
            case .categorical(let values):
                try entry.encode(values, forKey: .values)
            case .text(let options):
                var text = entry.nestedContainer(keyedBy: Key.self, forKey: .text)
                try text.encode(options.maxTokens, forKey: .maxTokens)
                if !options.stop.isEmpty { try text.encode(options.stop, forKey: .stop) }
                try text.encode(options.temperature, forKey: .temperature)
                if options.topK > 0 { try text.encode(options.topK, forKey: .topK) }
                if options.topP < 1 { try text.encode(options.topP, forKey: .topP) }
            }
            try entry.encode(variable.phrasings.map { [$0.prefix, $0.suffix] }, forKey: .phrasings)
            if let choice = phrasings[variable.name], choice != 0 { try entry.encode(choice, forKey: .phrasing) }
            if !variable.parents.isEmpty { try entry.encode(variable.parents, forKey: .parents) }
            if variable.exogenous { try entry.encode(true, forKey: .exogenous) }
            if let equation = equations[variable.name], !(equation is LanguageModelScoring || equation is LanguageModelGeneration) {
                try Self.encode(equation, of: variable, into: &entry)
            }
        }
        try root.encodeIfPresent(treatment, forKey: .treatment)
        try root.encodeIfPresent(outcome, forKey: .outcome)
        try root.encodeIfPresent(hidden, forKey: .hidden)
        try root.encodeIfPresent(scoring?.rawValue, forKey: .scoring)
        if scoresSuffix { try root.encode(true, forKey: .scoreSuffix) }
    }

    private static func encode(_ equation: any StructuralEquation, of variable: Variable,
                               into entry: inout KeyedEncodingContainer<Key>) throws {
        var body = entry.nestedContainer(keyedBy: Key.self, forKey: .equation)
        switch equation {
        case is UniformEquation:
            try body.encode(true, forKey: .uniform)
        case let table as ProbabilityTable where table.rows.count == 1 && table.rows[0].when.isEmpty:
            try body.encode(table.rows[0].probabilities, forKey: .probabilities)
        case let table as ProbabilityTable:
            var rows = body.nestedUnkeyedContainer(forKey: .table)
            for row in table.rows {
                var encoded = rows.nestedContainer(keyedBy: Key.self)
                if !row.when.isEmpty { try encoded.encode(row.when, forKey: .when) }
                try encoded.encode(row.probabilities, forKey: .probabilities)
            }
        default:
            throw EncodingError.invalidValue(equation, .init(
                codingPath: body.codingPath, debugDescription: "the equation of '\(variable.name)' (\(equation.fingerprint)) cannot be written as JSON"))
        }
    }

    /// The configuration as JSON (pretty-printed, keys sorted): what `CausalModelConfiguration(json:)` reads.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

import Foundation

/// A problem with a causal model's definition or with a query on it. Every message names the culprit.
public enum CausalModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two variables share a name.
    case duplicateVariable(String)
    /// A parent name that is not a variable.
    case unknownParent(variable: String, parent: String)
    /// A name that is not a variable (in a query, intervention or observation).
    case unknownVariable(String)
    /// The parents form a cycle; the names are listed along it, first repeated at the end.
    case cycle([String])
    /// A categorical variable with no candidate values, or with a repeated value.
    case invalidDomain(variable: String, reason: String)
    /// A variable without phrasings, or a phrasing index out of range.
    case invalidPhrasing(variable: String, reason: String)
    /// A value outside a categorical variable's domain.
    case valueOutsideDomain(variable: String, value: String)
    /// A structural equation that does not fit its variable (e.g. a probability table missing a row).
    case invalidEquation(variable: String, reason: String)
    /// Every candidate of a variable has probability zero in some context.
    case noPossibleValue(variable: String, context: String)
    /// An exact query whose enumeration would exceed the limit.
    case enumerationTooLarge(size: Double, limit: Int)
    /// A query that needs categorical variables met a free-text one.
    case needsCategorical(variable: String, query: String)
    /// An observation lacks a variable the query needs.
    case missingObservation(variable: String)
    /// A query the chosen semantics does not allow.
    case unsupportedQuery(String)
    /// A unit whose noise this sampler cannot replay (drawn with another seed or by another model).
    case foreignUnit(unit: Int, reason: String)

    /// The message, naming the variable or query at fault.
    public var description: String {
        switch self {
        case .duplicateVariable(let name): return "variable '\(name)' is defined twice"
        case let .unknownParent(variable, parent): return "variable '\(variable)' has unknown parent '\(parent)'"
        case .unknownVariable(let name): return "unknown variable '\(name)'"
        case .cycle(let names): return "the graph has a cycle: " + names.joined(separator: " → ")
        case let .invalidDomain(variable, reason): return "variable '\(variable)': \(reason)"
        case let .invalidPhrasing(variable, reason): return "variable '\(variable)': \(reason)"
        case let .valueOutsideDomain(variable, value): return "'\(value)' is not a value of variable '\(variable)'"
        case let .invalidEquation(variable, reason): return "equation of variable '\(variable)': \(reason)"
        case let .noPossibleValue(variable, context):
            return "variable '\(variable)' has no value with non-zero probability after \"\(context)\""
        case let .enumerationTooLarge(size, limit):
            return "exact enumeration needs \(size) joint assignments, above the limit of \(limit)"
        case let .needsCategorical(variable, query):
            return "\(query) needs categorical variables, but '\(variable)' is free text"
        case .missingObservation(let name): return "the observation has no value for variable '\(name)'"
        case .unsupportedQuery(let message): return message
        case let .foreignUnit(unit, reason): return "unit \(unit) cannot be replayed by this sampler: \(reason)"
        }
    }
}

extension CausalModelError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

import Foundation

/// Why a model could not be loaded or evaluated.
public enum TransformerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `general.architecture` names an architecture this package does not implement.
    case unsupportedArchitecture(String)
    /// A tensor the architecture needs is not in the file.
    case missingTensor(String)
    /// A tensor has another shape than the hyper-parameters imply.
    case shapeMismatch(tensor: String, expected: [Int], found: [Int])
    /// A hyper-parameter is missing, zero or inconsistent.
    case invalidHyperparameter(key: String, reason: String)
    /// The tokens would not fit in the model's context window.
    case contextOverflow(needed: Int, limit: Int)
    /// A token id outside the vocabulary.
    case tokenOutOfRange(Int, vocabularySize: Int)
    /// A request refers to something that does not exist (a cache index, an output position).
    case invalidRequest(String)

    /// The message, naming the tensor, hyper-parameter or token at fault.
    public var description: String {
        switch self {
        case .unsupportedArchitecture(let name):
            return "architecture '\(name)' is not supported (supported: \(Architecture.all.map(\.name).joined(separator: ", ")))"
        case .missingTensor(let name):
            return "the model has no tensor '\(name)'"
        case let .shapeMismatch(tensor, expected, found):
            return "tensor '\(tensor)' has shape \(found), expected \(expected)"
        case let .invalidHyperparameter(key, reason):
            return "hyper-parameter '\(key)': \(reason)"
        case let .contextOverflow(needed, limit):
            return "context overflow: \(needed) tokens needed, the model's context holds \(limit)"
        case let .tokenOutOfRange(id, size):
            return "token id \(id) is outside the vocabulary (0..<\(size))"
        case .invalidRequest(let message):
            return "invalid request: \(message)"
        }
    }
}

extension TransformerError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

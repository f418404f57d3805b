import Foundation

/// Why an estimate could not be computed.
public enum EstimationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Mismatched lengths, non-finite values, a treatment that is not 0/1.
    case invalidData(String)
    /// An arm has too few units for the method.
    case emptyArm(treated: Bool)
    /// An estimator name that does not exist.
    case unknownEstimator(String)

    /// The message, naming what is wrong with the data or the estimator.
    public var description: String {
        switch self {
        case .invalidData(let message): return "invalid data: \(message)"
        case .emptyArm(let treated): return "the \(treated ? "treated" : "control") arm has too few units"
        case .unknownEstimator(let name):
            return "unknown estimator '\(name)' (known: \(Estimator.allCases.map(\.rawValue).joined(separator: ", ")))"
        }
    }
}

extension EstimationError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

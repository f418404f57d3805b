import Foundation

/// A runtime failure a command reports in one line (exit status 1).
public struct CommandFailure: Error, CustomStringConvertible, Equatable {
    /// What went wrong, in one line.
    public let description: String
    /// A failure reporting `description`.
    public init(_ description: String) { self.description = description }
}

extension CommandFailure: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

import Foundation

/// A mistake in how a command was invoked: exit status 2, with a pointer to the command's help.
public struct UsageError: Error, CustomStringConvertible, Equatable {
    /// The command the mistake was made with (empty for the top level).
    public let command: String
    /// What was wrong, in one line.
    public let message: String

    /// A mistake made with `command` (empty for the top level), described by `message`.
    public init(command: String, _ message: String) {
        self.command = command
        self.message = message
    }

    /// The message alone; the caller adds the pointer to the command's help.
    public var description: String { message }
}

extension UsageError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}

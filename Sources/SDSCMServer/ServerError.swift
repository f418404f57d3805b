import Foundation

/// Why a language model behind an inference server could not answer. Messages name the server and the request,
/// never the API key.
public enum ServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The `--model` text is not an `http(s)://host:port/v1` URL.
    case invalidURL(String)
    /// The server could not be reached (connection refused, timed out, …) after every retry.
    case unreachable(server: String, attempts: Int, reason: String)
    /// The server answered with an HTTP error status (after every retry, for 429 and 5xx).
    case httpStatus(server: String, request: String, status: Int, message: String)
    /// The response was not what the request asked for: not JSON of the expected shape, the wrong number of
    /// choices or tokens, or tokens that do not spell the prompt.
    case malformedResponse(server: String, request: String, reason: String)
    /// `/v1/models` lists no model, or several and none was named.
    case modelNotChosen(server: String, available: [String])
    /// The server cannot give what a query needs (e.g. reference-mode scores).
    case unsupported(String)

    public var description: String {
        switch self {
        case .invalidURL(let text): return "'\(text)' is not a server URL (expected http://host:port/v1 or https://…/v1)"
        case let .unreachable(server, attempts, reason):
            return "server \(server) unreachable after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(reason)"
        case let .httpStatus(server, request, status, message):
            return "server \(server) answered HTTP \(status) to \(request)" + (message.isEmpty ? "" : ": \(message)")
        case let .malformedResponse(server, request, reason): return "server \(server) answered \(request) wrongly: \(reason)"
        case let .modelNotChosen(server, available):
            return available.isEmpty ? "server \(server) lists no model"
                : "server \(server) serves several models (\(available.joined(separator: ", "))); choose one with --model-name"
        case .unsupported(let message): return message
        }
    }
}

extension ServerError: LocalizedError {
    /// The message the command line prints.
    public var errorDescription: String? { description }
}

import Foundation

/// What one prompt's completion choice carries, as the OpenAI completions API returns it with `logprobs`: the
/// tokens (as text), each token's log-probability given everything before it (`null` for the first echoed token),
/// each token's character offset in the returned text, and the top log-probabilities at each position.
struct CompletionChoice: Codable, Sendable, Equatable {
    var tokens: [String]
    var tokenLogprobs: [Double?]
    var textOffsets: [Int]?
    var topLogprobs: [[String: Double]?]?

    enum CodingKeys: String, CodingKey {
        case tokens
        case tokenLogprobs = "token_logprobs"
        case textOffsets = "text_offset"
        case topLogprobs = "top_logprobs"
    }

    /// The choices of a completions response, by their `index`, with `usage.prompt_tokens`.
    static func parse(_ data: Data, prompts: Int, server: String, request: String) throws -> (choices: [CompletionChoice], promptTokens: Int) {
        struct Response: Decodable {
            struct Choice: Decodable {
                var index: Int?
                var logprobs: CompletionChoice?
            }
            struct Usage: Decodable { var prompt_tokens: Int? }
            var choices: [Choice]
            var usage: Usage?
        }
        let response: Response
        do { response = try JSONDecoder().decode(Response.self, from: data) } catch {
            throw ServerError.malformedResponse(server: server, request: request, reason: "not a completions response with logprobs (\(Self.summary(of: error)))")
        }
        guard response.choices.count == prompts else {
            throw ServerError.malformedResponse(server: server, request: request, reason: "\(response.choices.count) choices for \(prompts) prompts")
        }
        var choices = [CompletionChoice?](repeating: nil, count: prompts)
        for (position, choice) in response.choices.enumerated() {
            let index = choice.index ?? position
            guard index >= 0, index < prompts, choices[index] == nil else {
                throw ServerError.malformedResponse(server: server, request: request, reason: "choice index \(index) is out of place")
            }
            guard let logprobs = choice.logprobs else {
                throw ServerError.malformedResponse(server: server, request: request, reason: "choice \(index) has no logprobs")
            }
            guard logprobs.tokenLogprobs.count == logprobs.tokens.count,
                  logprobs.textOffsets.map({ $0.count == logprobs.tokens.count }) ?? true,
                  logprobs.topLogprobs.map({ $0.count == logprobs.tokens.count }) ?? true else {
                throw ServerError.malformedResponse(server: server, request: request, reason: "choice \(index): tokens, log-probabilities and offsets differ in number")
            }
            choices[index] = logprobs
        }
        return (choices.map { $0! }, response.usage?.prompt_tokens ?? 0)
    }

    private static func summary(of error: Error) -> String {
        if case DecodingError.keyNotFound(let key, _) = error { return "missing '\(key.stringValue)'" }
        if case DecodingError.typeMismatch(_, let context) = error {
            return "unexpected type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        }
        return "not valid JSON"
    }
}

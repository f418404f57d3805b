/// A request for the distribution of the next token: the text before a free-text value, then the tokens generated
/// so far.
public struct NextTokenRequest: Sendable, Hashable {
    /// The context the generation starts from (the core takes trailing spaces off; the model adds its start-of-text
    /// token as it would for any prompt).
    public var prompt: String
    /// Token ids generated so far.
    public var continuation: [Int]

    /// A request for the token after `prompt` and the tokens `continuation` already generated.
    public init(prompt: String, continuation: [Int] = []) {
        self.prompt = prompt
        self.continuation = continuation
    }
}

/// The next-token log-probabilities a model gives: over the whole vocabulary, or over the few tokens a top-k-only
/// model returns (every other token then has probability zero in the core's mechanism).
public struct NextTokenDistribution: Sendable, Hashable {
    /// The log-probability of every token id, when the model gives the whole vocabulary.
    public let dense: [Float]?
    /// The listed token ids and their log-probabilities, when the model gives only some.
    public let sparse: (ids: [Int], logProbabilities: [Float])?

    /// A distribution over the whole vocabulary (`logProbabilities[id]`).
    public init(logProbabilities: [Float]) {
        dense = logProbabilities
        sparse = nil
    }

    /// A distribution listing only some tokens (e.g. the top k).
    public init(ids: [Int], logProbabilities: [Float]) {
        precondition(ids.count == logProbabilities.count, "one log-probability per listed token")
        dense = nil
        sparse = (ids, logProbabilities)
    }

    /// The log-probability of `token` (`-infinity` when a sparse distribution does not list it).
    public func logProbability(of token: Int) -> Float {
        if let dense { return token >= 0 && token < dense.count ? dense[token] : -.infinity }
        guard let index = sparse!.ids.firstIndex(of: token) else { return -.infinity }
        return sparse!.logProbabilities[index]
    }

    /// Number of listed entries.
    public var count: Int { dense?.count ?? sparse!.ids.count }

    /// The token id of entry `index` (the index itself for a dense distribution).
    public func token(at index: Int) -> Int { dense != nil ? index : sparse!.ids[index] }

    /// The log-probability of entry `index`.
    public func logProbability(at index: Int) -> Float { dense?[index] ?? sparse!.logProbabilities[index] }

    /// Equal when both give the same entries with the same bits.
    public static func == (a: Self, b: Self) -> Bool {
        a.dense == b.dense && a.sparse?.ids == b.sparse?.ids && a.sparse?.logProbabilities == b.sparse?.logProbabilities
    }

    /// Hashes the dense or sparse entries, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(dense)
        hasher.combine(sparse?.ids)
        hasher.combine(sparse?.logProbabilities)
    }
}

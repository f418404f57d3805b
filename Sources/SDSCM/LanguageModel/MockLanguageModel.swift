import SDSCMRandomness

/// A small, fully specified language model for tests and examples: a fixed list of text pieces, greedy
/// longest-match tokenization, and next-token log-probabilities given by a table or a closure.
///
/// Because its distributions are known exactly, anything the causal core computes from it (candidate
/// probabilities, exact marginals, sampling frequencies) can be checked against hand calculation or enumeration.
/// Tokenization is greedy longest match, so a piece can span the boundary between a prefix and a candidate (as
/// byte-pair encodings do), which exercises the core's common-prefix scoring.
public struct MockLanguageModel: TokenLevelLanguageModel {
    /// The text of each token id.
    public let pieces: [String]
    /// Token id prepended when `addSpecial` is true (nil: none).
    public let bos: Int?
    /// Token ids that end a generation.
    public let endOfGeneration: Set<Int>
    /// Names this mock (the closure behind its logits cannot be compared): give different mocks different names.
    public let identifier: String
    private let logits: @Sendable ([Int]) -> [Double]
    private let piecesByFirstByte: [UInt8: [(bytes: [UInt8], id: Int)]]

    /// A mock whose next-token log-probabilities after `context` are `logSoftmax(logits(context))`.
    ///
    /// - Parameters:
    ///   - pieces: token texts; every character of any text you tokenize must be covered by some piece.
    ///   - bos: the id added at the start when `addSpecial` is true.
    ///   - endOfGeneration: ids that end generation.
    ///   - name: part of `identifier`, which units record (mocks with different logits need different names).
    ///   - logits: unnormalized log-weights over `pieces` (same length) given the context ids; `-infinity`
    ///     entries have probability zero.
    public init(pieces: [String], bos: Int? = nil, endOfGeneration: Set<Int> = [], name: String = "mock",
                logits: @escaping @Sendable ([Int]) -> [Double]) {
        self.pieces = pieces
        var hash = FNV1a.offsetBasis
        for piece in pieces { hash = FNV1a.combine(FNV1a.hash(piece, from: hash), 0xFF) }
        identifier = "\(name):" + String(hash, radix: 16) + ":\(bos.map(String.init) ?? "-"):\(endOfGeneration.sorted())"
        self.bos = bos
        self.endOfGeneration = endOfGeneration
        self.logits = logits
        var index: [UInt8: [(bytes: [UInt8], id: Int)]] = [:]
        for (id, piece) in pieces.enumerated() where !piece.isEmpty && id != bos && !endOfGeneration.contains(id) {
            let bytes = Array(piece.utf8)
            index[bytes[0], default: []].append((bytes, id))
        }
        // Longest first, then lowest id, so the match is deterministic.
        for key in index.keys {
            index[key]!.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        }
        piecesByFirstByte = index
    }

    /// A mock whose logits are pseudo-random functions of the whole context (keyed by `seed`): every context gives
    /// a different, reproducible distribution, spread over about `spread` nats.
    public static func hashed(pieces: [String], bos: Int? = nil, endOfGeneration: Set<Int> = [], seed: UInt64,
                              spread: Double = 4) -> MockLanguageModel {
        let philox = Philox(seed: seed, stream: 0x6D6F_636B)  // "mock"
        return MockLanguageModel(pieces: pieces, bos: bos, endOfGeneration: endOfGeneration,
                                 name: "hashed-mock(seed: \(seed), spread: \(spread))") { context in
            let hash = context.reduce(FNV1a.offsetBasis) { FNV1a.combine($0, UInt64(truncatingIfNeeded: $1)) }
            return (0..<pieces.count).map { id in
                spread * Philox.openUnitInterval(philox.word(hash, 0, 0, UInt64(id)))
            }
        }
    }

    /// The number of pieces.
    public var vocabularySize: Int { pieces.count }
    /// `bos`, if any.
    public var startToken: Int? { bos }

    /// Greedy longest-match tokenization; throws when some character is not covered by any piece.
    public func tokenize(_ text: String, addSpecial: Bool) throws -> [Int] {
        var ids: [Int] = []
        if addSpecial, let bos { ids.append(bos) }
        let bytes = Array(text.utf8)
        var position = 0
        search: while position < bytes.count {
            for candidate in piecesByFirstByte[bytes[position]] ?? [] {
                let end = position + candidate.bytes.count
                if end <= bytes.count && bytes[position..<end].elementsEqual(candidate.bytes) {
                    ids.append(candidate.id)
                    position = end
                    continue search
                }
            }
            throw LanguageModelError.untokenizable(String(decoding: bytes[position...], as: UTF8.self))
        }
        return ids
    }

    /// The pieces' texts joined; BOS and end-of-generation tokens render as nothing.
    public func detokenize(_ tokens: [Int]) throws -> String {
        try tokens.map { id in
            guard id >= 0 && id < pieces.count else { throw LanguageModelError.tokenOutOfRange(id, vocabularySize: pieces.count) }
            return id == bos || endOfGeneration.contains(id) ? "" : pieces[id]
        }.joined()
    }

    /// The exact next-token log-probabilities after `context` (log-softmax in double precision).
    public func distribution(after context: [Int]) throws -> [Double] {
        for token in context where token < 0 || token >= pieces.count {
            throw LanguageModelError.tokenOutOfRange(token, vocabularySize: pieces.count)
        }
        let values = logits(context)
        precondition(values.count == pieces.count, "the mock's logits must have one entry per piece")
        let maximum = values.max() ?? 0
        guard maximum > -.infinity else { return values }
        var sum = 0.0
        for value in values where value > -.infinity { sum += PortableMath.exp(value - maximum) }
        let normalizer = maximum + PortableMath.log(sum)
        return values.map { $0 - normalizer }
    }

    /// The chain-rule log-probabilities of every request's continuations, one request at a time.
    public func logProbabilities(_ requests: [TokenScoringRequest]) throws -> [[[Double]]] {
        try requests.map { try logProbabilities(of: $0.continuations, after: $0.context) }
    }

    /// The chain-rule log-probabilities of each continuation after `context`.
    public func logProbabilities(of continuations: [[Int]], after context: [Int]) throws -> [[Double]] {
        guard !context.isEmpty else { throw LanguageModelError.emptyContext }
        return try continuations.map { continuation in
            var sequence = context
            return try continuation.map { token in
                guard token >= 0 && token < pieces.count else {
                    throw LanguageModelError.tokenOutOfRange(token, vocabularySize: pieces.count)
                }
                let value = try distribution(after: sequence)[token]
                sequence.append(token)
                return value
            }
        }
    }

    /// The exact next-token distribution after each context, rounded to `Float`.
    public func nextTokenLogProbabilities(after contexts: [[Int]]) throws -> [[Float]] {
        try contexts.map { context in
            guard !context.isEmpty else { throw LanguageModelError.emptyContext }
            return try distribution(after: context).map(Float.init)
        }
    }
}

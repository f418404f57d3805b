import SDSCMRandomness

/// Chooses the next token from logits: greedy at temperature 0, otherwise by the Gumbel-max trick with noise
/// keyed by (seed, position, token).
///
/// Sampling `argmax_v(logit_v / T + G_v)` with independent standard Gumbel `G_v` draws exactly from
/// `softmax(logit / T)`. Keying each `G_v` by the token's absolute position and id (never by a running random
/// stream) makes a generation a pure function of (model, prompt, seed, temperature): the same on any thread
/// count, and two runs that share a prefix draw the same noise for it.
public struct TokenSampler: Sendable {
    /// Softmax temperature; 0 means greedy (argmax, lowest id on ties).
    public let temperature: Double
    /// The seed the noise is keyed by.
    public let seed: UInt64
    private let random: Philox

    /// The Philox stream reserved for token generation (other components use other streams of the same seed).
    public static let stream: UInt64 = 0x6765_6E65_7261_7465  // "generate"

    /// A sampler at `temperature` (≥ 0, finite) keyed by `seed`.
    public init(temperature: Double, seed: UInt64) throws {
        guard temperature >= 0 && temperature.isFinite else {
            throw TransformerError.invalidRequest("temperature must be a finite number ≥ 0, got \(temperature)")
        }
        self.temperature = temperature
        self.seed = seed
        random = Philox(seed: seed, stream: Self.stream)
    }

    /// The standard Gumbel noise of `token` at absolute sequence position `position`.
    public func noise(position: Int, token: Int) -> Double {
        Philox.gumbel(Philox.openUnitInterval(random.word(0, 0, UInt64(position), UInt64(token))))
    }

    /// The token chosen after seeing `logits` for the token at absolute position `position`.
    public func sample(logits: [Float], position: Int) -> Int {
        precondition(!logits.isEmpty, "sampling needs at least one logit")
        guard temperature > 0 else {
            var top = 0
            for index in logits.indices where logits[index] > logits[top] { top = index }
            return top
        }
        let scale = 1 / temperature
        let largest = logits.lazy.filter { !$0.isNaN }.map { abs(Double($0)) }.max() ?? 0
        // A temperature so small that the weights overflow: measure from the best logit, which keeps it finite
        // (the limit of tempering is greedy) instead of turning every weight into ±infinity.
        let shift = (largest * scale).isFinite ? 0 : Double(logits.filter { !$0.isNaN }.max() ?? 0)
        let weightScale = scale.isFinite ? scale : Double.greatestFiniteMagnitude
        return GumbelMax.argmax(count: logits.count, noiseBound: GumbelMax.largestPhiloxGumbel,
                                weight: { (Double(logits[$0]) - shift) * weightScale },
                                noise: { noise(position: position, token: $0) }) ?? 0
    }
}

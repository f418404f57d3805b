import Foundation
import SDSCMRandomness
import Testing
import SDSCMTransformer

@Suite struct TokenSamplerTests {
    /// Empirical frequencies over 60,000 positions against softmax(logits / T), by a chi-square test (threshold
    /// far beyond the 99.99th percentile for 5 degrees of freedom, about 25).
    @Test(arguments: [1.0, 0.5, 2.5])
    func samplesFollowTheTemperedSoftmax(temperature: Double) throws {
        let logits: [Float] = [2, 1, 0, -1, 0.5, 1.5]
        let sampler = try TokenSampler(temperature: temperature, seed: 2026)
        let n = 60_000
        var counts = [Int](repeating: 0, count: logits.count)
        for position in 0..<n { counts[sampler.sample(logits: logits, position: position)] += 1 }
        let scaled = logits.map { Double($0) / temperature }
        let maximum = scaled.max()!
        let weights = scaled.map { Foundation.exp($0 - maximum) }
        let total = weights.reduce(0, +)
        let chiSquare = zip(counts, weights).reduce(0.0) { sum, pair in
            let expected = Double(n) * pair.1 / total
            return sum + (Double(pair.0) - expected) * (Double(pair.0) - expected) / expected
        }
        #expect(chiSquare < 30, "counts \(counts)")
    }

    /// Skipping tokens that cannot win changes nothing: same choice as scoring every token.
    @Test func pruningIsExact() throws {
        let random = Philox(seed: 1)
        for temperature in [0.3, 1.0, 4.0] {
            let sampler = try TokenSampler(temperature: temperature, seed: 77)
            for position in 0..<60 {
                let logits = (0..<3000).map { Float(Philox.openUnitInterval(random.word(UInt64(position), 0, 0, UInt64($0))) * 60 - 30) }
                var best = 0, bestScore = -Double.infinity
                for token in logits.indices {
                    let score = Double(logits[token]) / temperature + sampler.noise(position: position, token: token)
                    if score > bestScore { best = token; bestScore = score }
                }
                #expect(sampler.sample(logits: logits, position: position) == best)
            }
        }
    }

    @Test func greedyAtZeroTemperature() throws {
        let sampler = try TokenSampler(temperature: 0, seed: 5)
        #expect(sampler.sample(logits: [0, 3, 1, 3], position: 9) == 1)
        #expect(sampler.sample(logits: [-5], position: 0) == 0)
        #expect(throws: TransformerError.self) { try TokenSampler(temperature: -1, seed: 0) }
        #expect(throws: TransformerError.self) { try TokenSampler(temperature: .nan, seed: 0) }
    }

    /// Noise depends only on (seed, position, token).
    @Test func noiseIsKeyedNotSequential() throws {
        let a = try TokenSampler(temperature: 1, seed: 3), b = try TokenSampler(temperature: 1, seed: 3)
        let c = try TokenSampler(temperature: 1, seed: 4)
        #expect(a.noise(position: 10, token: 7) == b.noise(position: 10, token: 7))
        _ = a.sample(logits: [1, 2, 3], position: 0)
        #expect(a.noise(position: 10, token: 7) == b.noise(position: 10, token: 7))
        #expect(a.noise(position: 10, token: 7) != c.noise(position: 10, token: 7))
        #expect(a.noise(position: 10, token: 7) != a.noise(position: 11, token: 7))
    }
}

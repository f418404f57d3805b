import SDSCM

/// Mock language models and small causal models shared by the causal-core tests.
enum MockModels {
    /// Single characters (so any ASCII text tokenizes) plus some words with and without a leading space, so that
    /// greedy tokenization merges across prefix/candidate boundaries as BPE does.
    static let pieces: [String] = {
        var pieces = ["<s>", "</s>"]
        for scalar in 32..<127 { pieces.append(String(UnicodeScalar(UInt8(scalar)))) }
        for word in ["red", "green", "blue", "young", "old", "yes", "no", "low", "high", "mid", "cat", "dog",
                     "The", "is", "and", "color", "age", "risk", "treated", "result", "good", "bad"] {
            pieces.append(word)
            pieces.append(" " + word)
        }
        return pieces
    }()

    static let bos = 0
    static let eos = 1

    /// A mock whose distributions are pseudo-random functions of the context.
    static func hashed(seed: UInt64 = 7, spread: Double = 4) -> MockLanguageModel {
        .hashed(pieces: pieces, bos: bos, endOfGeneration: [eos], seed: seed, spread: spread)
    }

    /// A four-variable categorical model: A → B, (A, B) → C, C → D, all scored by the mock.
    static func chain(scoring: ScoringMode = .sum, seed: UInt64 = 7) throws -> CausalModel {
        let graph = try Graph([
            .categorical("A", ["young", "old"], prefix: "The age is ", suffix: "."),
            .categorical("B", ["low", "mid", "high"], prefix: "The risk is ", suffix: ".", parents: ["A"]),
            .categorical("C", ["yes", "no"], prefix: "treated: ", suffix: ".", parents: ["A", "B"]),
            .categorical("D", ["good", "bad", "red"], prefix: "The result is ", suffix: ".", parents: ["C"]),
        ])
        return try CausalModel(graph: graph, languageModel: hashed(seed: seed), scoring: scoring)
    }
}

/// Chi-square statistic of counts against probabilities.
func chiSquare(_ counts: [Int], _ probabilities: [Double]) -> (statistic: Double, degrees: Int) {
    let total = Double(counts.reduce(0, +))
    var statistic = 0.0
    var degrees = -1
    for (count, p) in zip(counts, probabilities) where p > 0 {
        let expected = total * p
        statistic += (Double(count) - expected) * (Double(count) - expected) / expected
        degrees += 1
    }
    return (statistic, max(degrees, 0))
}

/// The chi-square critical value at p = 0.001 for 1…6 degrees of freedom.
func chiSquareCritical(_ degrees: Int) -> Double {
    [0, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458][min(max(degrees, 0), 6)]
}

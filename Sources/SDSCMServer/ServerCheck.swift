import Foundation
import SDSCM

/// Checks that catch a server that would silently give wrong scores: whether its echoed log-probabilities are
/// aligned (the log-probability of token i must come from the distribution after token i − 1), and, against a
/// local copy of the same model, whether it tokenizes and scores as the local engine does.
///
/// Alignment needs no reference: for prompts whose continuation is near certain, the continuation's first token
/// is scored twice, once echoed after the prompt and once as the next token after the prompt; the two must agree.
/// llama-cpp-python 0.3.36, for a model that adds no BOS token, pairs each echoed token with the distribution
/// after it, and fails this check (SmolLM2: " Paris" gets −8.45 echoed, −0.26 as the next token).
public enum ServerCheck {
    /// One check's verdict.
    public struct Result: Sendable, Equatable {
        /// `echo alignment`, `tokenization` or `log-probabilities`.
        public var name: String
        /// Whether the server passed.
        public var passed: Bool
        /// What was compared and found.
        public var detail: String
    }

    /// The fixed texts checked: a prompt and a continuation the model is nearly sure of.
    public static let cases: [(prompt: String, continuation: String)] = [
        ("The capital of France is", " Paris"),
        ("One, two, three, four,", " five"),
        ("Monday, Tuesday,", " Wednesday"),
        ("The sun rises in the", " east"),
        ("January, February, March,", " April"),
        ("The opposite of hot is", " cold"),
    ]

    /// Largest |echoed − next-token| log-probability of an aligned server (both come from one forward pass).
    public static let alignmentTolerance = 0.1
    /// Largest |server − local| log-probability on the same GGUF (quantization noise: llama.cpp's activation
    /// rounding moves SmolLM2's log-probabilities by up to 0.39 from the exact computation).
    public static let agreementTolerance = 0.5

    /// Runs the alignment check, and with `reference` (the same model, local) the tokenization and log-probability
    /// checks.
    public static func run(_ server: ServerLanguageModel, reference: (any TokenLevelLanguageModel)?) async throws -> [Result] {
        let echoes = try await server.choices(cases.map { $0.prompt + $0.continuation }, kind: .echo)
        let nexts = try await server.choices(cases.map(\.prompt), kind: .next)
        var results: [Result] = []

        // Echo alignment.
        var compared = 0, worst = 0.0
        var misaligned: String?
        for ((prompt, continuation), (echo, next)) in zip(cases, zip(echoes, nexts)) {
            let tokens = try server.promptTokens(of: echo, prompt: prompt + continuation)
            let boundary = prompt.unicodeScalars.count
            guard let first = tokens.first(where: { $0.offset == boundary }), let echoed = first.logprob,
                  let asNext = (next.topLogprobs?.first ?? nil)?[first.text] else { continue }
            compared += 1
            let difference = abs(echoed - asNext)
            worst = max(worst, difference)
            if difference > alignmentTolerance && misaligned == nil {
                misaligned = "'\(first.text)' after \"\(prompt)\" gets " + String(format: "%.3f echoed but %.3f as the next token", echoed, asNext)
            }
        }
        if let misaligned {
            results.append(Result(name: "echo alignment", passed: false, detail: "echoed log-probabilities are misaligned: \(misaligned) "
                + "(the server pairs each token with the distribution after it, as llama-cpp-python does for models without a BOS token)"))
        } else if compared < 3 {
            results.append(Result(name: "echo alignment", passed: false,
                                  detail: "only \(compared) of \(cases.count) continuations were among the server's top next tokens; alignment could not be checked"))
        } else {
            results.append(Result(name: "echo alignment", passed: true,
                                  detail: String(format: "%d of %d continuations: echoed and next-token log-probabilities agree (largest |Δ| %.4f ≤ %.1f)",
                                                 compared, cases.count, worst, alignmentTolerance)))
        }
        guard let reference else { return results }

        // Tokenization and log-probabilities against the local model.
        var agreeing = 0, tokensCompared = 0, largest = 0.0
        var firstDisagreement: String?, largestAt = ""
        for ((prompt, continuation), echo) in zip(cases, echoes) {
            let text = prompt + continuation
            let serverTokens = try server.promptTokens(of: echo, prompt: text).filter { !$0.text.isEmpty || $0.logprob != nil }
            let local = try reference.tokenize(text, addSpecial: false)
            let localPieces = try local.map { try reference.detokenize([$0]) }
            guard localPieces == serverTokens.map(\.text) else {
                if firstDisagreement == nil {
                    firstDisagreement = "\"\(text)\": local \(localPieces), server \(serverTokens.map(\.text))"
                }
                continue
            }
            agreeing += 1
            // Chain-rule log-probabilities with the model's own start (BOS when it adds one).
            let withSpecial = try reference.tokenize(text, addSpecial: true)
            let start = withSpecial.count - local.count
            let context = start > 0 ? Array(withSpecial[..<start]) : [local[0]]
            let continuationTokens = start > 0 ? local : Array(local.dropFirst())
            let logs = try reference.logProbabilities(of: [continuationTokens], after: context)[0]
            let offset = start > 0 ? 0 : 1
            for (index, token) in serverTokens.enumerated() where index >= offset {
                guard let served = token.logprob else { continue }
                let difference = abs(served - logs[index - offset])
                tokensCompared += 1
                if difference > largest {
                    largest = difference
                    largestAt = "'\(token.text)' in \"\(text)\""
                }
            }
        }
        results.append(Result(name: "tokenization", passed: firstDisagreement == nil,
                              detail: firstDisagreement.map { "differs from the local model: \($0)" }
                                  ?? "\(agreeing) of \(cases.count) texts tokenized as the local model does"))
        if tokensCompared == 0 {
            results.append(Result(name: "log-probabilities", passed: false, detail: "no token could be compared"))
        } else {
            results.append(Result(name: "log-probabilities", passed: largest <= agreementTolerance,
                                  detail: String(format: "largest |server − local| %.4f over %d tokens", largest, tokensCompared)
                                      + " (at \(largestAt); tolerance \(agreementTolerance))"))
        }
        return results
    }
}

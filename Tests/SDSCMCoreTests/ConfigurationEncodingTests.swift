import Foundation
import SDSCM
import SDSCMTestSupport
import Testing

/// `CausalModelConfiguration` written as JSON and read back: the truth is the configuration built in code (every
/// field compared, equations by fingerprint, models by `CausalModel.fingerprint`) and the JSON text itself.
@Suite struct ConfigurationEncodingTests {
    /// Awkward doubles: not exactly representable, thirds, tiny, huge, a subnormal, exact 0 and 1.
    static let awkward: [Double] = [0.1 + 0.2, 1.0 / 3, 2.0 / 3, 1e-300, 123456.789, Double.leastNonzeroMagnitude, 0, 1]

    /// Categorical and free-text variables, several phrasings with a non-zero choice, exogenous flags, uniform,
    /// single-row, multi-row (`when`, a default row) and language-model equations, treatment/outcome/scoring/suffix.
    static func mixed() -> CausalModelConfiguration {
        CausalModelConfiguration(
            variables: [
                Variable(name: "age", domain: .categorical(["young", "middle-aged", "old"]),
                         phrasings: [.init(prefix: "The patient is ", suffix: "."),
                                     .init(prefix: "A patient who is \"", suffix: "\" arrives.\n"),
                                     .init(prefix: "", suffix: "")],
                         exogenous: true),
                .categorical("smoking", ["yes", "no"], prefix: "Smokes: ", suffix: ".", parents: ["age"]),
                .categorical("dose", ["low", "high"], prefix: "Dose ", suffix: ".", parents: ["age"]),
                .categorical("recovery", ["recovered", "relapsed", "unknown"], prefix: "Then ", suffix: ".",
                             parents: ["smoking", "dose"]),
                .categorical("mood", ["good", "bad"], prefix: "Mood: ", suffix: ".", parents: ["recovery"]),  // language model
                .text("note", .init(maxTokens: 12, stop: [".", " END"], temperature: 0.7, topK: 5, topP: 0.9),
                      prefix: "Notes: ", suffix: "", parents: ["recovery", "age"]),
                .text("plain", .init(maxTokens: 3), parents: ["note"]),
                Variable(name: "site ünïcödé, \"quoted\"", domain: .categorical(["a/b", "c\\d"]), exogenous: true),
            ],
            equations: [
                "age": ProbabilityTable(probabilities: ["young": awkward[0], "middle-aged": awkward[1], "old": awkward[2]]),
                "smoking": ProbabilityTable(rows: [
                    .init(when: ["age": "young"], probabilities: ["yes": awkward[3], "no": 1]),
                    .init(when: ["age": "old"], probabilities: ["yes": awkward[4], "no": awkward[5]]),
                    .init(probabilities: ["yes": 0.5, "no": 0]),  // default row
                ]),
                "dose": UniformEquation(),
                "recovery": ProbabilityTable(rows: [
                    .init(when: ["smoking": "yes", "dose": "high"], probabilities: ["recovered": 0.25, "relapsed": 0.75]),
                    .init(when: ["dose": "low"], probabilities: ["recovered": 0.1, "relapsed": 0.2, "unknown": 0.7]),
                    .init(probabilities: ["recovered": 1e-9, "relapsed": 0.999999999, "unknown": 0]),
                ]),
                "site ünïcödé, \"quoted\"": ProbabilityTable(probabilities: ["a/b": 3, "c\\d": 1]),
            ],
            phrasings: ["age": 1],
            treatment: "dose", outcome: "recovery", scoring: .mean, scoresSuffix: true)
    }

    /// Every equation a user defines, no language model.
    static func tablesOnly() -> CausalModelConfiguration {
        CausalModelConfiguration(
            variables: [
                Variable(name: "A", domain: .categorical(["a0", "a1"]),
                         phrasings: [.init(prefix: "p0 ", suffix: "."), .init(prefix: "p1 ", suffix: "!")], exogenous: true),
                .categorical("B", ["b0", "b1", "b2"], parents: ["A"]),
                .categorical("C", ["c0", "c1"], parents: ["A", "B"]),
            ],
            equations: [
                "A": ProbabilityTable(probabilities: ["a0": 0.3, "a1": 0.7]),
                "B": UniformEquation(),
                "C": ProbabilityTable(rows: [
                    .init(when: ["A": "a0", "B": "b2"], probabilities: ["c0": 1.0 / 7, "c1": 6.0 / 7]),
                    .init(when: ["A": "a1"], probabilities: ["c0": 0.9, "c1": 0.1]),
                    .init(probabilities: ["c0": 0.5, "c1": 0.5]),
                ]),
            ],
            phrasings: ["A": 1], treatment: "B", outcome: "C", scoring: .reference)
    }

    /// Field-by-field equality of two configurations (phrasing choices compared as effective indices: an explicit
    /// 0 is the default and need not be written).
    static func expectEqual(_ a: CausalModelConfiguration, _ b: CausalModelConfiguration,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.variables == b.variables, sourceLocation: sourceLocation)
        for variable in a.variables {
            #expect((a.phrasings[variable.name] ?? 0) == (b.phrasings[variable.name] ?? 0), "\(variable.name)", sourceLocation: sourceLocation)
        }
        #expect(a.treatment == b.treatment && a.outcome == b.outcome, sourceLocation: sourceLocation)
        #expect(a.scoring == b.scoring && a.scoresSuffix == b.scoresSuffix, sourceLocation: sourceLocation)
        #expect(Set(a.equations.keys) == Set(b.equations.keys), sourceLocation: sourceLocation)
        for (name, equation) in a.equations {
            #expect(equation.fingerprint == b.equations[name]?.fingerprint, "\(name)", sourceLocation: sourceLocation)
        }
    }

    /// A configuration with every kind of entry reads back equal, models built from both have the same
    /// fingerprint, and writing the parsed configuration again gives the same bytes.
    @Test func mixedConfigurationRoundTrips() throws {
        let config = Self.mixed()
        let data = try config.jsonData()
        let parsed = try CausalModelConfiguration(json: data)
        Self.expectEqual(config, parsed)
        #expect(parsed.phrasings == ["age": 1])
        #expect(parsed.equations.count == 5)
        // The language-model variables stay language-model ones (no "equation" written for them).
        #expect(parsed.equations["mood"] == nil && parsed.equations["note"] == nil)
        // Probabilities come back as the same doubles (fingerprints print them in full, but check directly too).
        let age = try #require(parsed.equations["age"] as? ProbabilityTable)
        #expect(age.rows == [.init(probabilities: ["young": Self.awkward[0], "middle-aged": Self.awkward[1], "old": Self.awkward[2]])])
        let smoking = try #require(parsed.equations["smoking"] as? ProbabilityTable)
        #expect(smoking == config.equations["smoking"] as? ProbabilityTable)
        let recovery = try #require(parsed.equations["recovery"] as? ProbabilityTable)
        #expect(recovery == config.equations["recovery"] as? ProbabilityTable)
        #expect(parsed.equations["dose"] is UniformEquation)

        let languageModel = MockModels.hashed()
        let original = try config.makeModel(languageModel: languageModel)
        let reread = try parsed.makeModel(languageModel: languageModel)
        #expect(original.fingerprint == reread.fingerprint)
        #expect(original.scoring == .mean && reread.scoresSuffix)
        #expect(reread.phrasingChoice == [1, 0, 0, 0, 0, 0, 0, 0])
        #expect(try parsed.jsonData() == data)

        // The written keys, read with an independent JSON parser.
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["treatment"] as? String == "dose" && root["outcome"] as? String == "recovery")
        #expect(root["scoring"] as? String == "mean" && root["score_suffix"] as? Bool == true)
        let variables = try #require(root["variables"] as? [[String: Any]])
        #expect(variables.map { $0["name"] as? String } == config.variables.map(\.name))
        #expect(variables[0]["phrasing"] as? Int == 1 && variables[0]["exogenous"] as? Bool == true)
        #expect(variables[1]["phrasing"] == nil && variables[1]["exogenous"] == nil)
        let text = try #require(variables[5]["text"] as? [String: Any])
        #expect(text["max_tokens"] as? Int == 12 && text["top_k"] as? Int == 5 && text["stop"] as? [String] == [".", " END"])
        let plain = try #require(variables[6]["text"] as? [String: Any])
        #expect(Set(plain.keys) == ["max_tokens", "temperature"])  // defaults left out
        #expect(variables[4]["equation"] == nil && variables[5]["equation"] == nil)
        #expect((variables[2]["equation"] as? [String: Any])?["uniform"] as? Bool == true)
    }

    /// A configuration without language-model mechanisms round-trips to the same model with no language model;
    /// the defaults (no scoring, no suffix, no phrasing choice) are left out and read back as defaults.
    @Test func tablesOnlyRoundTripsWithoutLanguageModel() async throws {
        for config in [Self.tablesOnly(), {
            var plain = Self.tablesOnly()
            plain.phrasings = ["A": 0]
            plain.scoring = nil
            plain.treatment = nil
            plain.outcome = nil
            return plain
        }()] {
            let parsed = try CausalModelConfiguration(json: try config.jsonData())
            Self.expectEqual(config, parsed)
            let original = try config.makeModel(languageModel: nil)
            let reread = try parsed.makeModel(languageModel: nil)
            #expect(original.fingerprint == reread.fingerprint)
            // The models compute the same numbers.
            let p1 = try await ExactInference(model: original).distribution(of: "C", given: ["A": "a0"])
            let p2 = try await ExactInference(model: reread).distribution(of: "C", given: ["A": "a0"])
            #expect(p1 == p2)
            // P(C = c0 | A = a0) = (1/3)(0.5 + 0.5 + 1/7) by hand.
            #expect(abs(p1["c0"]! - (1.0 / 3) * (0.5 + 0.5 + 1.0 / 7)) < 1e-12)
        }
        // Defaults are not written.
        var plain = Self.tablesOnly()
        plain.phrasings = [:]
        plain.scoring = nil
        let root = try #require(try JSONSerialization.jsonObject(with: plain.jsonData()) as? [String: Any])
        #expect(root["scoring"] == nil && root["score_suffix"] == nil)
        #expect(((root["variables"] as? [[String: Any]])?.first)?["phrasing"] == nil)
        // The fingerprint notices a change that survives the round trip (so the equality above is not vacuous).
        var changed = Self.tablesOnly()
        changed.phrasings = ["A": 0]
        let reread = try CausalModelConfiguration(json: try changed.jsonData()).makeModel(languageModel: nil)
        #expect(try Self.tablesOnly().makeModel(languageModel: nil).fingerprint != reread.fingerprint)
    }

    /// A closure equation cannot be written: an `EncodingError` naming the variable.
    @Test func closureEquationIsAnEncodingError() throws {
        var config = Self.tablesOnly()
        config.equations["B"] = ClosureEquation(name: "skewed") { _ in ["b0": 1, "b1": 2, "b2": 3] }
        let error = #expect(throws: EncodingError.self) { try config.jsonData() }
        guard case .invalidValue(_, let context)? = error else {
            Issue.record("expected EncodingError.invalidValue, got \(String(describing: error))")
            return
        }
        #expect(context.debugDescription.contains("'B'"), "\(context.debugDescription)")
        #expect(context.debugDescription.contains("skewed"), "\(context.debugDescription)")
    }

    /// The shipped example reads, writes and reads again to the same model (and the same bytes the second time).
    @Test func clinicExampleRoundTrips() throws {
        let path = Fixtures.packageRoot.appendingPathComponent("Examples/configs/clinic.json").path
        let config = try CausalModelConfiguration(path: path)
        #expect(config.variables.map(\.name) == ["age", "smoking", "tumor", "treatment", "outcome"])
        let data = try config.jsonData()
        let parsed = try CausalModelConfiguration(json: data)
        Self.expectEqual(config, parsed)
        let languageModel = MockModels.hashed()
        #expect(try config.makeModel(languageModel: languageModel).fingerprint == parsed.makeModel(languageModel: languageModel).fingerprint)
        #expect(try parsed.jsonData() == data)
        // The two phrasings of "age" survive.
        #expect(parsed.variables[0].phrasings.count == 2 && parsed.variables[0].exogenous)
    }
}

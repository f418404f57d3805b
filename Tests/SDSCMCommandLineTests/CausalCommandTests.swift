import Foundation
@testable import SDSCMCommandLine
import SDSCM
import Testing
import SDSCMTestSupport

/// `sdscm sample`, `exact` and `graph`: table-only configurations (exact by hand), the tiny transformer, and in
/// release builds the acceptance check on SmolLM2.
@Suite struct CausalCommandTests {
    static let tables = Fixtures.path("configs/tables.json")
    static let tinyWorld = Fixtures.path("configs/tiny-world.json")
    static let tinyModel = Fixtures.path("tiny-models/tiny-llama-f32.gguf")
    static let clinic = Fixtures.packageRoot.appendingPathComponent("Examples/configs/clinic.json").path

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-\(ProcessInfo.processInfo.processIdentifier)-\(name)").path
    }

    /// An RFC 4180 reader (quoted fields may hold commas, doubled quotes and line breaks).
    static func parse(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false }
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                row.append(field)
                field = ""
            } else if character == "\n" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.append(character)
            }
        }
        if !row.isEmpty || !field.isEmpty { row.append(field); rows.append(row) }
        return (rows[0], Array(rows.dropFirst()))
    }

    static func exactMarginals(_ arguments: [String]) async throws -> [String: [String: Double]] {
        let run = await Invocation(["exact", "--json"] + arguments)
        #expect(run.status == 0, "\(run.err)")
        let json = try #require(run.json)
        return try #require(json["marginals"] as? [String: [String: Double]])
    }

    /// Sampled frequencies of every variable pass a chi-square test (p = 0.001) against `exact`.
    static func checkAgainstExact(csv: String, marginals: [String: [String: Double]], skip: Set<String> = []) throws {
        let (header, rows) = try parse(csv)
        for (name, distribution) in marginals where !skip.contains(name) {
            let column = try #require(header.firstIndex(of: name))
            let values = distribution.keys.sorted()
            let counts = values.map { value in rows.filter { $0[column] == value }.count }
            let expected = values.map { distribution[$0]! }
            var statistic = 0.0, degrees = -1
            for (count, p) in zip(counts, expected) where p > 1e-9 {
                let e = Double(rows.count) * p
                statistic += (Double(count) - e) * (Double(count) - e) / e
                degrees += 1
            }
            let critical = [0, 10.828, 13.816, 16.266, 18.467][max(0, min(degrees, 4))]
            #expect(degrees <= 0 || statistic < critical, "\(name): χ² \(statistic), counts \(counts), exact \(expected)")
        }
    }

    @Test func tablesNeedNoModelAndMatchHandComputedMarginals() async throws {
        let marginals = try await Self.exactMarginals(["--config", Self.tables])
        #expect(abs(marginals["Y"]!["0"]! - 0.668) < 1e-12)  // 0.3·(0.2·0.9 + 0.8·0.4) + 0.7·(0.6·0.9 + 0.4·0.5)
        #expect(abs(marginals["M"]!["x"]! - 0.48) < 1e-12)
        let intervened = try await Self.exactMarginals(["--config", Self.tables, "--do", "T=b"])
        #expect(abs(intervened["Y"]!["0"]! - 0.74) < 1e-12)
        let out = Self.temporary("tables.csv")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = await Invocation("sample", "--config", Self.tables, "--units", "20000", "--seed", "3", "--out", out)
        #expect(run.status == 0, "\(run.err)")
        try Self.checkAgainstExact(csv: out, marginals: marginals)
        #expect(await Invocation("sample", "--config", Self.tables, "--units", "20000", "--seed", "3", "--do", "T=b", "--out", out).status == 0)
        try Self.checkAgainstExact(csv: out, marginals: intervened, skip: ["T"])
    }

    @Test func sampleWritesTheDocumentedColumns() async throws {
        let out = Self.temporary("tiny.csv")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = await Invocation("sample", "--config", Self.tinyWorld, "--model", Self.tinyModel, "--units", "40", "--seed", "9",
                             "--counterfactual", "place=rug", "--counterfactual", "place=mat", "--logprobs", "--out", out)
        #expect(run.status == 0, "\(run.err)")
        let (header, rows) = try Self.parse(out)
        #expect(Array(header.prefix(6)) == ["unit", "pet", "place", "mood", "note", "text"])
        #expect(header.contains("logP(place=rug)"))
        #expect(header.contains("mood|do(place=rug)"))
        #expect(header.contains("text|do(place=mat)"))
        #expect(header.contains("logP(mood=sad)|do(place=mat)"))
        #expect(rows.count == 40)
        let place = header.firstIndex(of: "place")!
        for row in rows {
            #expect(row.count == header.count)
            // Shared noise: the arm with the factual value reproduces every factual column.
            for arm in ["place=rug", "place=mat"] where row[place] == String(arm.dropFirst(6)) {
                for name in ["pet", "place", "mood", "note", "text"] {
                    #expect(row[header.firstIndex(of: "\(name)|do(\(arm))")!] == row[header.firstIndex(of: name)!])
                }
            }
            // Non-descendants never change.
            #expect(row[header.firstIndex(of: "pet|do(place=rug)")!] == row[header.firstIndex(of: "pet")!])
        }
    }

    /// `--do M=x --counterfactual T=…`: M is a descendant of T, and the arm keeps do(M=x) instead of recomputing M.
    @Test func factualInterventionsHoldInCounterfactualArms() async throws {
        let out = Self.temporary("do-and-arm.csv")
        defer { try? FileManager.default.removeItem(atPath: out) }
        for semantics in ["shared-noise", "paper"] {
            let run = await Invocation("sample", "--config", Self.tables, "--units", "300", "--seed", "5", "--do", "M=x",
                                       "--counterfactual", "T=a", "--counterfactual", "T=b", "--semantics", semantics, "--out", out)
            #expect(run.status == 0, "\(run.err)")
            let (header, rows) = try Self.parse(out)
            for row in rows {
                #expect(row[header.firstIndex(of: "M")!] == "x")
                #expect(row[header.firstIndex(of: "M|do(T=a)")!] == "x")
                #expect(row[header.firstIndex(of: "M|do(T=b)")!] == "x")
            }
        }
    }

    /// `--given M=x` conditions: P(T=a | M=x) = .3·.2 / .48 = .125, where `--do M=x` (the reference's reading) leaves
    /// T at its prior .3. Sampled units match `exact --given`; `--given` refuses counterfactual arms.
    @Test func givenConditionsInsteadOfIntervening() async throws {
        let conditioned = try await Self.exactMarginals(["--config", Self.tables, "--given", "M=x"])
        #expect(abs(conditioned["T"]!["a"]! - 0.125) < 1e-12)
        #expect(conditioned["M"]!["x"]! == 1)
        let intervened = try await Self.exactMarginals(["--config", Self.tables, "--do", "M=x"])
        #expect(abs(intervened["T"]!["a"]! - 0.3) < 1e-12)
        let out = Self.temporary("given.csv")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = await Invocation("sample", "--config", Self.tables, "--units", "20000", "--seed", "4", "--given", "M=x", "--out", out)
        #expect(run.status == 0, "\(run.err)")
        try Self.checkAgainstExact(csv: out, marginals: conditioned, skip: ["M"])
        let (header, rows) = try Self.parse(out)
        #expect(rows.allSatisfy { $0[header.firstIndex(of: "M")!] == "x" })
        #expect(await Invocation("sample", "--config", Self.tables, "--units", "5", "--given", "M=x", "--counterfactual", "T=a",
                                 "--out", out + ".never").status == 2)
        #expect(await Invocation("sample", "--config", Self.tables, "--units", "5", "--given", "M=x", "--do", "M=y",
                                 "--out", out + ".never").err.contains("both intervened on and given as evidence"))
        #expect(await Invocation("exact", "--config", Self.tables, "--given", "M=w").err == "sdscm: error: 'w' is not a value of variable 'M'\n")
        #expect(!FileManager.default.fileExists(atPath: out + ".never"))
    }

    /// `--semantics paper --evidence VAR`: the arm do(M=y) keeps exactly the listed non-descendant T; with an empty
    /// list (no T), T is redrawn with fresh noise, so T|do(M=y) is a fresh draw from P(T) (a with probability .3).
    @Test func evidenceListsChooseWhatPaperArmsKeep() async throws {
        let out = Self.temporary("evidence.csv")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var run = await Invocation("sample", "--config", Self.tables, "--units", "4000", "--seed", "2", "--semantics", "paper",
                                   "--counterfactual", "M=y", "--evidence", "T", "--out", out)
        #expect(run.status == 0, "\(run.err)")
        var (header, rows) = try Self.parse(out)
        let t = header.firstIndex(of: "T")!, armT = header.firstIndex(of: "T|do(M=y)")!
        #expect(rows.allSatisfy { $0[t] == $0[armT] })
        run = await Invocation("sample", "--config", Self.tables, "--units", "4000", "--seed", "2", "--semantics", "paper",
                               "--counterfactual", "M=y", "--evidence", "R", "--out", out)
        #expect(run.status != 0)  // R descends from M
        run = await Invocation("sample", "--config", Self.tables, "--units", "4000", "--seed", "2", "--semantics", "paper",
                               "--counterfactual", "M=y", "--evidence", "Y", "--out", out)
        #expect(run.status != 0)  // so does Y
        // The empty list keeps only the exogenous variables (none here): T is redrawn from P(T), a w.p. .3.
        run = await Invocation("sample", "--config", Self.tables, "--units", "4000", "--seed", "2", "--semantics", "paper",
                               "--counterfactual", "M=y", "--evidence", "", "--out", out)
        #expect(run.status == 0, "\(run.err)")
        (header, rows) = try Self.parse(out)
        let redrawnA = Double(rows.count { $0[armT] == "a" }) / 4000
        #expect(abs(redrawnA - 0.3) < 4 * (0.21 / 4000).squareRoot())
        let changed = Double(rows.count { $0[t] != $0[armT] }) / 4000  // 2 · .3 · .7 = .42 for independent draws
        #expect(abs(changed - 0.42) < 4 * (0.42 * 0.58 / 4000).squareRoot())
        #expect(await Invocation("sample", "--config", Self.tables, "--units", "5", "--counterfactual", "M=y", "--evidence", "T",
                                 "--out", out + ".never").status == 2)
        #expect(await Invocation("sample", "--config", Self.tables, "--units", "5", "--semantics", "paper", "--evidence", "T",
                                 "--out", out + ".never").status == 2)
    }

    @Test func sameCommandSameBytesWhateverTheThreads() async throws {
        var contents: [Data] = []
        for threads in ["1", "2", "3"] {
            let out = Self.temporary("threads-\(threads).csv")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let run = await Invocation("sample", "--config", Self.tinyWorld, "--model", Self.tinyModel, "--units", "25", "--seed", "4",
                                 "--counterfactual", "place=bed", "--logprobs", "--threads", threads, "--out", out)
            #expect(run.status == 0, "\(run.err)")
            contents.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        #expect(contents[0] == contents[1] && contents[1] == contents[2])
    }

    @Test func graphFormats() async {
        let dot = await Invocation("graph", "--config", Self.tinyWorld)
        #expect(dot.status == 0)
        #expect(dot.out.contains("pet -> place;"))
        #expect(dot.out.contains("note [shape=box];"))
        let mermaid = await Invocation("graph", "--config", Self.tinyWorld, "--format", "mermaid")
        #expect(mermaid.out.hasPrefix("flowchart LR\n"))
        #expect(await Invocation("graph", "--config", Self.tinyWorld, "--format", "svg").status == 2)
    }

    /// Configuration errors exit 1 with the JSON path of the culprit.
    @Test func configurationErrorsNameTheirPath() async throws {
        let cases: [(String, String)] = [
            (#"{"variables": [{"name": "a", "values": []}]}"#, "config $.variables[0].values: the domain is empty"),
            (#"{"variables": [{"name": "a", "values": ["x"], "parents": ["b"]}]}"#, "config $.variables[0].parents[0]: unknown variable 'b'"),
            (#"{"variables": [{"name": "a", "values": ["x"], "parents": ["b"]}, {"name": "b", "values": ["y"], "parents": ["a"]}]}"#,
             "config $.variables: the graph has a cycle: a → b → a"),
            (#"{"variables": [{"name": "a", "values": ["x"]}, {"name": "a", "values": ["y"]}]}"#, "config $.variables[1]: variable 'a' is defined twice"),
            (#"{"variables": [{"name": "a", "values": ["x"], "phrasings": [["only prefix"]]}]}"#,
             "config $.variables[0].phrasings[0]: expected [prefix, suffix], found 1 strings"),
            (#"{"variables": [{"name": "a", "vales": ["x"]}]}"#, "config $.variables[0]: unknown key \"vales\""),
            (#"{"variables": [{"name": "a", "values": ["x"], "equation": {"probabilities": {"z": 1}}}]}"#,
             "config $.variables[0].equation.probabilities.z: 'z' is not a value of 'a'"),
            (#"{"variables": [{"name": "n", "text": {"max_tokens": 0}}]}"#, "config $.variables[0].text.max_tokens: must be positive"),
            (#"{"variables": [{"name": "a", "values": ["x"]}], "outcome": "q"}"#, "config $.outcome: unknown variable 'q'"),
            (#"{"variables": [{"name": "a", "values": ["x"]}"#, "config $: not valid JSON"),
        ]
        let path = Self.temporary("bad.json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        for (json, message) in cases {
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            let run = await Invocation("graph", "--config", path)
            #expect(run.status == 1, "\(json)")
            #expect(run.err.hasPrefix("sdscm: error: " + message), "\(run.err)")
            #expect(run.err.filter { $0 == "\n" }.count == 1)
        }
    }

    @Test func queryErrors() async {
        let out = Self.temporary("never.csv")
        #expect(await Invocation("sample", "--config", Self.tables, "--units", "5", "--do", "T=c", "--out", out).err
            == "sdscm: error: 'c' is not a value of variable 'T'\n")
        #expect(await Invocation("sample", "--config", Self.tables, "--units", "5", "--do", "Q=a", "--out", out).err
            == "sdscm: error: unknown variable 'Q'\n")
        #expect(await Invocation("sample", "--config", Self.tables, "--units", "5", "--do", "T", "--out", out).status == 2)
        #expect(await Invocation("sample", "--config", Self.tables, "--units", "5").status == 2)
        #expect(await Invocation("sample", "--config", Self.tables, "--units", "5", "--semantics", "magic", "--out", out).status == 2)
        #expect(await Invocation("exact", "--config", Self.tables, "--limit", "3").err.hasPrefix("sdscm: error: exact enumeration needs"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Acceptance: SmolLM2 on the five-variable clinic configuration. 2,000 sampled units match the exact
    /// marginals; the command is byte-identical across runs and thread counts; the counterfactual arm with the
    /// factual treatment equals the factual row.
    @Test(.enabled(if: ReleaseOnlySmolLM2.enabled, ReleaseOnlySmolLM2.reason))
    func smolLM2ClinicAcceptance() async throws {
        let model = try #require(ReleaseOnlySmolLM2.path)
        let marginals = try await Self.exactMarginals(["--config", Self.clinic, "--model", model])
        var files: [Data] = []
        for threads in ["2", "2", "1"] {
            let out = Self.temporary("clinic-\(files.count).csv")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let run = await Invocation("sample", "--config", Self.clinic, "--model", model, "--units", "2000", "--seed", "2026",
                                 "--counterfactual", "treatment=surgery", "--counterfactual", "treatment=chemotherapy",
                                 "--threads", threads, "--out", out)
            #expect(run.status == 0, "\(run.err)")
            if files.isEmpty {
                try Self.checkAgainstExact(csv: out, marginals: marginals)
                let (header, rows) = try Self.parse(out)
                let treatment = header.firstIndex(of: "treatment")!
                for row in rows {
                    let arm = "do(treatment=\(row[treatment]))"
                    for name in ["age", "smoking", "tumor", "treatment", "outcome", "text"] {
                        #expect(row[header.firstIndex(of: "\(name)|\(arm)")!] == row[header.firstIndex(of: name)!])
                    }
                }
            }
            files.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        #expect(files[0] == files[1])
        #expect(files[0] == files[2])
    }
}

import Foundation
@testable import SDSCMCommandLine
import Testing
import SDSCMTestSupport

@Suite struct BenchmarkCommandTests {
    static let config = Fixtures.path("configs/confounded-tables.json")

    @Test func generatesResumesAndReports() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-benchmark-cli-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: out) }
        let arguments = ["benchmark", "--config", Self.config, "--datasets", "2", "--units", "30", "--seed", "3", "--out", out.path]
        let first = await Invocation(arguments)
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out == "2 datasets generated, 0 already complete; 2 of 2 in \(out.path)/manifest.json\n")
        let again = await Invocation(arguments)
        #expect(again.out == "0 datasets generated, 2 already complete; 2 of 2 in \(out.path)/manifest.json\n")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as? [String: Any])
        let run = try #require(manifest["run"] as? [String: Any])
        #expect(run["seed"] as? Int == 3 && run["units"] as? Int == 30 && run["treatment"] as? String == "T")
        #expect((manifest["datasets"] as? [Any])?.count == 2)
    }

    /// A reference-format configuration gets the paper's design for what the command line leaves out: 1,000
    /// datasets of 1,000 units over 50 variations (dataset j in variation j mod 50, phrasings drawn as the reference
    /// draws them) and paper semantics in the reference table, each recorded in the manifest's `defaults_taken`.
    /// Shard 7/500 generates only datasets 7 and 507 (both in variation 7); --units keeps the run small.
    @Test func referenceConfigurationsTakeThePapersDesign() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-benchmark-paper-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: out) }
        let config = Fixtures.path("configs/reference-uniform.json")
        let run = await Invocation("benchmark", "--config", config, "--units", "20", "--shard", "7/500", "--out", out.path)
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out == "2 datasets generated, 0 already complete; 2 of 1000 in \(out.path)/manifest.json\n")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as? [String: Any])
        let settings = try #require(manifest["run"] as? [String: Any])
        #expect(settings["defaults_taken"] as? [String] == ["datasets=1000", "variations=50", "aggregate=10", "hidden-limit=640", "semantics=paper"])
        #expect(settings["datasets"] as? Int == 1000 && settings["variations"] as? Int == 50 && settings["semantics"] as? String == "paper")
        let datasets = try #require(manifest["datasets"] as? [[String: Any]])
        #expect(datasets.map { $0["index"] as? Int } == [7, 507])
        #expect(datasets.map { $0["variation"] as? Int } == [7, 7])
        // NumPy: np.random.seed(7); randint(0, 1), randint(0, 1), randint(0, 2) → 0, 0, 1 (seed 0 gives 0, 0, 0).
        #expect(datasets.allSatisfy { $0["phrasing_indices"] as? [Int] == [0, 0, 1] })
        let header = try String(contentsOf: out.appendingPathComponent("reference/reference-uniform_7.csv"), encoding: .utf8)
            .split(separator: "\n")[0]
        #expect(header.hasPrefix(",X0,X1,X2,logP(X1=0)"))
        // Everything given: nothing taken, and our own configurations still need --datasets and --units.
        let explicit = out.appendingPathComponent("explicit")
        #expect(await Invocation("benchmark", "--config", config, "--datasets", "1", "--units", "5", "--variations", "2",
                                 "--semantics", "shared-noise", "--aggregate", "2", "--hidden-limit", "32", "--out", explicit.path).status == 0)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: explicit.appendingPathComponent("manifest.json"))) as? [String: Any])
        #expect((second["run"] as? [String: Any])?["defaults_taken"] == nil)
        #expect(await Invocation("benchmark", "--config", Self.config, "--units", "3", "--out", explicit.path + "-never").status == 2)
    }

    /// Without `--hidden-limit`, the hidden view may enumerate up to 32 × units / min(units, joint visible values)
    /// hidden assignments: 40 values of a hidden U behind a two-valued visible X are enumerated for 20 units
    /// (limit 320, recorded in `defaults_taken`), not for 1 unit (limit 32) nor with `--hidden-limit 39`. The CATE
    /// given X is the hand value Σ_u P(u | x) τ(u): τ = 0.7 for u0…u9 and 0.3 for the rest, P(x0 | u) = 0.9 and
    /// 0.3, so CATE(x0) = (9·0.7 + 9·0.3) / 18 = 0.5 and CATE(x1) = (1·0.7 + 21·0.3) / 22 = 7/22.
    @Test func hiddenLimitScalesWithTheVisibleAssignments() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-hidden-limit-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let strong = (0..<10).map { "u\($0)" }
        let table: (String, [String: Double], [String: Double]) -> [[String: Any]] = { parent, inStrong, otherwise in
            strong.map { ["when": [parent: $0], "probabilities": inStrong] } + [["probabilities": otherwise]]
        }
        let config: [String: Any] = [
            "name": "many-hidden",
            "variables": [
                ["name": "U", "values": (0..<40).map { "u\($0)" }, "exogenous": true, "equation": ["uniform": true]],
                ["name": "X", "values": ["x0", "x1"], "parents": ["U"],
                 "equation": ["table": table("U", ["x0": 0.9, "x1": 0.1], ["x0": 0.3, "x1": 0.7])]],
                ["name": "T", "values": ["a", "b"], "parents": ["X"], "equation": ["table": [
                    ["when": ["X": "x0"], "probabilities": ["a": 0.6, "b": 0.4]], ["probabilities": ["a": 0.3, "b": 0.7]]]]],
                ["name": "Y", "values": ["0", "1"], "parents": ["T", "U"], "equation": ["table":
                    strong.map { ["when": ["T": "b", "U": $0], "probabilities": ["0": 0.1, "1": 0.9]] as [String: Any] }
                    + [["when": ["T": "b"], "probabilities": ["0": 0.5, "1": 0.5]], ["probabilities": ["0": 0.8, "1": 0.2]]]]],
            ],
            "treatment": "T", "outcome": "Y",
        ]
        let path = folder.appendingPathComponent("many-hidden.json")
        try JSONSerialization.data(withJSONObject: config).write(to: path)
        func run(_ name: String, _ extra: String...) async throws -> (settings: [String: Any], dataset: [String: Any]) {
            let out = folder.appendingPathComponent(name)
            let result = await Invocation(["benchmark", "--config", path.path, "--datasets", "1", "--out", out.path] + extra)
            #expect(result.status == 0, "\(result.err)")
            let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as? [String: Any])
            return (try #require(manifest["run"] as? [String: Any]), try #require((manifest["datasets"] as? [[String: Any]])?.first))
        }
        let wide = try await run("wide", "--units", "20")
        #expect(wide.settings["hidden_limit"] as? Int == 320 && wide.settings["defaults_taken"] as? [String] == ["hidden-limit=320"])
        #expect(wide.dataset["hidden_skipped"] == nil)
        let text = try String(contentsOf: folder.appendingPathComponent("wide/hidden/many-hidden_0.csv"), encoding: .utf8)
        let rows = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows[0] == ["unit", "X", "T", "Y", "CATE P(Y=0)", "CATE P(Y=1)", "CATE logP(Y=0)", "CATE logP(Y=1)"])
        #expect(rows.count == 21 && Set(rows.dropFirst().map { $0[1] }) == ["x0", "x1"])
        for row in rows.dropFirst() {
            #expect(abs(Double(row[5])! - (row[1] == "x0" ? 0.5 : 7.0 / 22)) < 1e-12, "\(row)")
        }
        let single = try await run("single", "--units", "1")
        #expect(single.settings["hidden_limit"] as? Int == 32)
        #expect((single.dataset["hidden_skipped"] as? String)?.contains("40 joint assignments, above the limit of 32") == true)
        let explicit = try await run("explicit", "--units", "20", "--hidden-limit", "39")
        #expect(explicit.settings["hidden_limit"] as? Int == 39 && explicit.settings["defaults_taken"] == nil)
        #expect(explicit.dataset["hidden_skipped"] != nil)
    }

    @Test func usageErrors() async {
        #expect(await Invocation("benchmark", "--config", Self.config, "--units", "3", "--out", "/tmp/x").status == 2)
        #expect(await Invocation("benchmark", "--config", Self.config, "--datasets", "1", "--units", "3", "--out", "/tmp/x", "--shard", "2/2").status == 2)
        #expect(await Invocation("benchmark", "--config", Self.config, "--datasets", "1", "--units", "3", "--out", "/tmp/x", "--semantics", "x").status == 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-no-treatment-\(ProcessInfo.processInfo.processIdentifier).json")
        defer { try? FileManager.default.removeItem(at: path) }
        try? Data(#"{"variables": [{"name": "a", "values": ["x", "y"], "equation": {"uniform": true}}]}"#.utf8).write(to: path)
        let noTreatment = await Invocation("benchmark", "--config", path.path, "--datasets", "1", "--units", "3", "--out", "/tmp/sdscm-never")
        #expect(noTreatment.status == 1)
        #expect(noTreatment.err == "sdscm: error: config $: a benchmark needs \"treatment\"\n")
    }
}

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
        #expect(settings["defaults_taken"] as? [String] == ["datasets=1000", "variations=50", "aggregate=10", "semantics=paper"])
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
                                 "--semantics", "shared-noise", "--aggregate", "2", "--out", explicit.path).status == 0)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: explicit.appendingPathComponent("manifest.json"))) as? [String: Any])
        #expect((second["run"] as? [String: Any])?["defaults_taken"] == nil)
        #expect(await Invocation("benchmark", "--config", Self.config, "--units", "3", "--out", explicit.path + "-never").status == 2)
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

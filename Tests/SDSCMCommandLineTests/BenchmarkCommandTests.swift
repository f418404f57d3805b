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

import Foundation
@testable import SDSCMCommandLine
import Testing
import SDSCMTestSupport

/// Issue K's acceptance: the reference's breast-cancer configuration with SmolLM2 and only --config, --model, --out,
/// --datasets 2, --units 50 writes the paper's layout with the reference's variations, and `evaluate` on the folder
/// reports the all and the hidden view. Needs `../shared/reference` (skipped without it) and a release build.
@Suite struct PaperDesignAcceptanceTests {
    static let config = Fixtures.sharedReference("breast_cancer_config.json")

    @Test(.enabled(if: ReleaseOnlySmolLM2.enabled, ReleaseOnlySmolLM2.reason),
          .enabled(if: config != nil, "needs ../shared/reference/breast_cancer_config.json"))
    func breastCancerBenchmarkWithThePapersDefaults() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-paper-design-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("bench"), report = folder.appendingPathComponent("report")
        let run = await Invocation("benchmark", "--config", Self.config!.path, "--model", ReleaseOnlySmolLM2.path!,
                                   "--datasets", "2", "--units", "50", "--out", out.path)
        #expect(run.status == 0, "\(run.err)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as? [String: Any])
        let settings = try #require(manifest["run"] as? [String: Any])
        #expect(settings["defaults_taken"] as? [String] == ["variations=50", "aggregate=10", "hidden-limit=32", "semantics=paper"])
        #expect(settings["scoring"] as? String == "reference")
        let datasets = try #require(manifest["datasets"] as? [[String: Any]])
        #expect(datasets.map { $0["variation"] as? Int } == [0, 1])
        // Phrasings as the reference draws them: np.random.seed(k), one randint(0, pairs) per variable (NumPy).
        #expect(datasets[0]["phrasing_indices"] as? [Int] == [5, 0, 3, 3, 7, 9, 3, 5, 2, 4, 7, 6, 8, 8])
        #expect(datasets[1]["phrasing_indices"] as? [Int] == [5, 8, 9, 5, 0, 0, 1, 7, 6, 9, 2, 4, 5, 2])
        for j in 0..<2 {
            let lines = try String(contentsOf: out.appendingPathComponent("reference/breast_cancer_config_\(j).csv"), encoding: .utf8)
                .split(separator: "\n")
            #expect(lines.count == 51)
            // The paper's 57 columns, as the released CSVs have them.
            let released = try #require(Fixtures.sharedReference("gpt2/gpt2_bcancer_0.csv"))
            let releasedHeader = try String(contentsOf: released, encoding: .utf8).split(separator: "\n")[0]
            #expect(lines[0] == releasedHeader)
        }
        let evaluated = await Invocation("evaluate", "--data", out.path, "--report", report.path, "--estimators", "dim,linreg,linear-t")
        #expect(evaluated.status == 0, "\(evaluated.err)")
        #expect(evaluated.out.contains("views all, hidden"), "\(evaluated.out)")
    }
}

import Foundation
@testable import SDSCMCommandLine
import Testing
import SDSCMTestSupport

@Suite struct AuditCommandTests {
    /// `sdscm audit` on the bundled model (the default) writes its three files and prints the effect lines.
    @Test func auditsTheBundledModel() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-audit-cli-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = Fixtures.packageRoot.appendingPathComponent("Sources/SDSCMBundledModels/Resources/tiny-world.json").path
        let run = await Invocation("audit", "--config", config, "--attribute", "treatment", "--outcome", "recovery", "--units", "300",
                             "--seed", "2", "--baseline", "rest", "--bootstrap", "100", "--report", folder.path)
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("do(treatment=drug) vs do(treatment=rest): ΔP(recovery=recovered) = +"))
        #expect(run.out.contains("flip rate drug vs rest: "))
        let audit = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("audit.json"))) as? [String: Any])
        #expect(audit["baseline"] as? String == "rest" && audit["units"] as? Int == 300)
        let units = try String(contentsOf: folder.appendingPathComponent("units.csv"), encoding: .utf8).split(separator: "\n")
        #expect(units.count == 301)
        #expect(units[0].hasPrefix("unit,treatment,recovery,recovery|do(treatment=drug),P(recovery=recovered)|do(treatment=drug)"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("report.md").path))
        let again = await Invocation("audit", "--config", config, "--attribute", "treatment", "--outcome", "recovery", "--units", "300",
                               "--seed", "2", "--baseline", "rest", "--bootstrap", "100", "--report", folder.path)
        #expect(again.out.split(separator: "\n").dropFirst().joined() == run.out.split(separator: "\n").dropFirst().joined())
        #expect(await Invocation("audit", "--config", config, "--attribute", "recovery", "--outcome", "age", "--report", folder.path).status == 1)
        #expect(await Invocation("audit", "--config", config, "--attribute", "treatment", "--report", folder.path).status == 2)
        #expect(await Invocation("audit", "--config", config, "--attribute", "treatment", "--outcome", "recovery", "--baseline", "x", "--report", folder.path).status == 1)
    }
}

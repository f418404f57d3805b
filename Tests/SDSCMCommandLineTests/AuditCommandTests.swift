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
                             "--seed", "2", "--baseline", "rest", "--bootstrap", "100", "--variations", "1", "--report", folder.path)
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
                               "--seed", "2", "--baseline", "rest", "--bootstrap", "100", "--variations", "1", "--report", folder.path)
        #expect(again.out.split(separator: "\n").dropFirst().joined() == run.out.split(separator: "\n").dropFirst().joined())
        #expect(await Invocation("audit", "--config", config, "--attribute", "recovery", "--outcome", "age", "--report", folder.path).status == 1)
        #expect(await Invocation("audit", "--config", config, "--attribute", "treatment", "--report", folder.path).status == 2)
        #expect(await Invocation("audit", "--config", config, "--attribute", "treatment", "--outcome", "recovery", "--baseline", "x", "--report", folder.path).status == 1)
    }

    static let tinyWorld = Fixtures.packageRoot.appendingPathComponent("Sources/SDSCMBundledModels/Resources/tiny-world.json").path

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// By default the audit pools every phrasing variation (three in the tiny world, phrasings drawn as NumPy's
    /// seeded randint draws them): the pooled effect is the mean of the variations' effects (equal units), each
    /// standardized SATE is the SATE over the sd (ddof 1) of the factual probabilities in units.csv.
    @Test func poolsPhrasingVariations() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-audit-pooled-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = await Invocation("audit", "--config", Self.tinyWorld, "--attribute", "treatment", "--outcome", "recovery", "--units", "200",
                                   "--seed", "2", "--baseline", "rest", "--bootstrap", "50", "--report", folder.path)
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("600 units (3 variations of 200)"), "\(run.out)")
        let audit = try Self.json(folder.appendingPathComponent("audit.json"))
        let variations = try #require(audit["variations"] as? [[String: Any]])
        #expect(variations.map { $0["phrasingIndices"] as? [Int] } == [[0, 1, 0, 1, 1, 2, 0, 2], [1, 0, 0, 1, 1, 0, 0, 1], [0, 1, 0, 2, 2, 0, 2, 1]])
        func estimate(_ effects: Any?) -> Double {
            ((effects as! [[String: Any]]).first { $0["outcomeValue"] as? String == "recovered" }!["estimate"] as! Double)
        }
        let pooled = estimate(audit["effects"])
        let parts = variations.map { estimate($0["effects"]) }
        #expect(abs(pooled - parts.reduce(0, +) / 3) < 1e-12)
        // Standardized SATE from units.csv: factual P(recovery=recovered) is the arm at the factual treatment.
        let lines = try String(contentsOf: folder.appendingPathComponent("units.csv"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(lines[0].last == "variation" && lines.count == 601)
        let header = lines[0]
        let factual = lines.dropFirst().map { row -> Double in
            Double(row[header.firstIndex(of: "P(recovery=recovered)|do(treatment=\(row[1]))")!])!
        }
        let mean = factual.reduce(0, +) / 600
        let sd = (factual.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 599).squareRoot()
        let standardized = try #require((audit["standardized"] as? [[String: Any]])?.first { $0["outcomeValue"] as? String == "recovered" })
        #expect(abs((standardized["standardized"] as! Double) - pooled / sd) < 1e-9)
    }

    /// Two models side by side (two tiny test transformers on the pet → place → mood world): the comparison's
    /// difference is first minus second, p in [0, 1]; the same model twice differs by exactly 0 with p = 1.
    /// --mediator adds total = direct + indirect (sampled and exact).
    @Test func comparesModelsAndDecomposesThroughAMediator() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-audit-models-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let bundled = Fixtures.path("tiny-models/tiny-llama-f32.gguf")
        let other = Fixtures.path("tiny-models/tiny-qwen2-f32.gguf")
        let world = Fixtures.path("configs/tiny-world.json")
        let run = await Invocation("audit", "--config", world, "--model", bundled, "--model", other, "--attribute", "pet",
                                   "--outcome", "mood", "--units", "200", "--variations", "1", "--bootstrap", "20",
                                   "--mediator", "place", "--report", folder.path)
        #expect(run.status == 0, "\(run.err)")
        let audit = try Self.json(folder.appendingPathComponent("audit.json"))
        let models = try #require(audit["models"] as? [[String: Any]])
        #expect(models.count == 2 && models[0]["model"] as? String == bundled)
        let comparison = try #require(audit["comparison"] as? [[String: Any]])
        for row in comparison {
            let difference = row["difference"] as! Double, first = row["firstEstimate"] as! Double, second = row["secondEstimate"] as! Double
            #expect(abs(difference - (first - second)) < 1e-15)
            let p = row["pValue"] as! Double
            #expect(p >= 0 && p <= 1)
        }
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("units-1.csv").path))
        let mediation = try #require(audit["mediation"] as? [[String: Any]])
        for summary in mediation {
            for key in ["sampled", "exact"] {
                for part in try #require(summary[key] as? [[String: Any]]) {
                    let total = part["total"] as! Double, direct = part["direct"] as! Double, indirect = part["indirect"] as! Double
                    #expect(abs(total - (direct + indirect)) < 1e-12)
                }
            }
        }
        let same = await Invocation("audit", "--config", world, "--model", bundled, "--model", bundled, "--attribute", "pet",
                                    "--outcome", "mood", "--units", "100", "--variations", "1", "--bootstrap", "20", "--report", folder.path)
        #expect(same.status == 0, "\(same.err)")
        for row in try #require(try Self.json(folder.appendingPathComponent("audit.json"))["comparison"] as? [[String: Any]]) {
            #expect(row["difference"] as? Double == 0 && row["pValue"] as? Double == 1)
        }
    }
}

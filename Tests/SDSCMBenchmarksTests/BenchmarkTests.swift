import SDSCMBenchmarks
import Foundation
import SDSCM
import Testing
import SDSCMTestSupport

@Suite struct SHA256Tests {
    @Test func publishedVectors() {
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Data(repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

/// Benchmarks over table-only configurations, whose ground truth is computed here by hand.
@Suite struct BenchmarkTests {
    static let config = Fixtures.path("configs/confounded-tables.json")

    static func temporaryFolder(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-bench-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try? FileManager.default.removeItem(at: url)
        return url
    }

    static func runner(_ folder: URL, datasets: Int = 3, units: Int = 200, variations: Int = 1, config: String = config) throws -> BenchmarkRunner {
        let design = try BenchmarkDesign(path: config)
        let run = BenchmarkManifest.Run(
            sdscmVersion: "test", name: design.name, config: .init(path: "confounded-tables.json", sha256: try SHA256.hex(ofFile: config)),
            configFormat: "sdscm", model: nil, modelArchitecture: nil, seed: 11, datasets: datasets, units: units,
            variations: variations, scoring: "sum", semantics: "shared-noise", treatment: "T", arms: ["a", "b"], outcome: "Y")
        return BenchmarkRunner(design: design, languageModel: nil, run: run, scoring: .sum, semantics: .sharedNoise, output: folder)
    }

    static func read(_ url: URL) throws -> (header: [String], rows: [[String]]) {
        // These tables have no quoted fields except `text`, which is last and contains no commas.
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (lines[0], Array(lines.dropFirst()))
    }

    /// μ_t(u) = Σ_m P(m | t) P(Y = 1 | u, m), by hand from the configuration.
    static func expectedOutcome(t: String, u: String) -> Double {
        let pm1 = t == "a" ? 0.1 : 0.6
        let py1: [String: Double] = ["u0m0": 0.3, "u0m1": 0.6, "u1m0": 0.5, "u1m1": 0.9]
        return (1 - pm1) * py1[u + "m0"]! + pm1 * py1[u + "m1"]!
    }

    @Test func tablesCarryTheExactGroundTruth() async throws {
        let folder = Self.temporaryFolder("truth")
        defer { try? FileManager.default.removeItem(at: folder) }
        let runner = try Self.runner(folder)
        let dataset = try await runner.generate(0)
        #expect(dataset.files.keys.sorted() == ["extended", "hidden", "reference"])
        let (header, rows) = try Self.read(folder.appendingPathComponent(dataset.files["extended"]!.path))
        #expect(rows.count == 200)
        let column = { (name: String) in header.firstIndex(of: name)! }
        for row in rows {
            let u = row[column("U")]
            for t in ["a", "b"] {
                let p = Double(row[column("P(Y=1)|do(T=\(t))")])!
                #expect(abs(p - Self.expectedOutcome(t: t, u: u)) < 1e-12)
            }
            let ite = Double(row[column("ITE P(Y=1)")])!
            #expect(abs(ite - (Self.expectedOutcome(t: "b", u: u) - Self.expectedOutcome(t: "a", u: u))) < 1e-12)
            // True propensity: P(T = b | U, X).
            #expect(Double(row[column("P(T=b)")])! == (u == "u0" ? 0.3 : 0.8) || abs(Double(row[column("P(T=b)")])! - (u == "u0" ? 0.3 : 0.8)) < 1e-12)
        }
        // Reference layout: X0..X4, logP(X2=·), logP(X4=·), then per arm X_i|do(X2=k) and logP(X4=·)|do(X2=k).
        let (reference, referenceRows) = try Self.read(folder.appendingPathComponent(dataset.files["reference"]!.path))
        var expectedHeader: [String] = ["", "X0", "X1", "X2", "X3", "X4", "logP(X2=0)", "logP(X2=1)", "logP(X4=0)", "logP(X4=1)"]
        for k in 0...1 {
            expectedHeader += (0...4).map { "X\($0)|do(X2=\(k))" }
            expectedHeader += ["logP(X4=0)|do(X2=\(k))", "logP(X4=1)|do(X2=\(k))"]
        }
        #expect(reference == expectedHeader)
        for row in referenceRows {
            for k in 0...1 {
                // Pre-treatment columns equal the factual ones; the treatment is set.
                #expect(row[reference.firstIndex(of: "X0|do(X2=\(k))")!] == row[1])
                #expect(row[reference.firstIndex(of: "X1|do(X2=\(k))")!] == row[2])
                #expect(row[reference.firstIndex(of: "X2|do(X2=\(k))")!] == String(k))
            }
        }
    }

    /// The hidden view's CATE given X = x is Σ_u P(u | x)(μ_b(u) − μ_a(u)).
    @Test func hiddenViewHasTheExactCATE() async throws {
        let folder = Self.temporaryFolder("hidden")
        defer { try? FileManager.default.removeItem(at: folder) }
        let dataset = try await Self.runner(folder, datasets: 1, units: 50).generate(0)
        let (header, rows) = try Self.read(folder.appendingPathComponent(dataset.files["hidden"]!.path))
        #expect(rows.count == 50)
        #expect(header == ["unit", "X", "T", "Y", "CATE P(Y=0)", "CATE P(Y=1)", "CATE logP(Y=0)", "CATE logP(Y=1)"])
        let pu = ["u0": 0.4, "u1": 0.6], px0 = ["u0": 0.8, "u1": 0.3]
        for row in rows {
            let x = row[1]
            let weights = pu.mapValues { _ in 0.0 }.map { u, _ in (u, pu[u]! * (x == "x0" ? px0[u]! : 1 - px0[u]!)) }
            let total = weights.reduce(0) { $0 + $1.1 }
            let cate = weights.reduce(0) { $0 + $1.1 / total * (Self.expectedOutcome(t: "b", u: $1.0) - Self.expectedOutcome(t: "a", u: $1.0)) }
            #expect(abs(Double(row[5])! - cate) < 1e-12)
        }
    }

    /// An explicit `"hidden"` list replaces the exogenous default: hiding X (not exogenous) shows U, and the CATE
    /// given U = u is μ_b(u) − μ_a(u) exactly (Y reads T, U and M only). Listing the treatment's descendant M is a
    /// typed error naming `$.hidden[0]`.
    @Test func explicitHiddenListChoosesTheHiddenCovariates() async throws {
        let folder = Self.temporaryFolder("hidden-list")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.config))) as? [String: Any])
        json["hidden"] = ["X"]
        let config = folder.appendingPathComponent("hidden-x.json")
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        let schema = try BenchmarkSchema(design: BenchmarkDesign(path: config.path))
        #expect(schema.hidden == [1] && schema.visible == [0])
        let dataset = try await Self.runner(folder.appendingPathComponent("out"), datasets: 1, units: 40, config: config.path).generate(0)
        let (header, rows) = try Self.read(folder.appendingPathComponent("out").appendingPathComponent(dataset.files["hidden"]!.path))
        #expect(header == ["unit", "U", "T", "Y", "CATE P(Y=0)", "CATE P(Y=1)", "CATE logP(Y=0)", "CATE logP(Y=1)"])
        for row in rows {
            #expect(abs(Double(row[5])! - (Self.expectedOutcome(t: "b", u: row[1]) - Self.expectedOutcome(t: "a", u: row[1]))) < 1e-12)
        }
        json["hidden"] = ["M"]
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        #expect(throws: ConfigurationError.self) { try BenchmarkSchema(design: BenchmarkDesign(path: config.path)) }
        do { _ = try BenchmarkSchema(design: BenchmarkDesign(path: config.path)) } catch let error as ConfigurationError {
            #expect(error.path == "$.hidden[0]")
        }
        json["hidden"] = ["Q"]
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        #expect(throws: ConfigurationError.self) { try BenchmarkDesign(path: config.path) }
        // The list survives encoding.
        var configuration = try CausalModelConfiguration(path: Self.config)
        configuration.hidden = ["X"]
        #expect(try CausalModelConfiguration(json: JSONEncoder().encode(configuration)).hidden == ["X"])
    }

    /// Tables stream to disk block by block with the bytes of a whole-table write (the generator's tables without
    /// a sink), and a stale temporary file of a killed attempt is removed when the dataset is generated again.
    @Test func streamedTablesEqualWholeTables() async throws {
        let folder = Self.temporaryFolder("stream")
        defer { try? FileManager.default.removeItem(at: folder) }
        let runner = try Self.runner(folder, datasets: 1, units: 150)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("reference"), withIntermediateDirectories: true)
        let stale = folder.appendingPathComponent("reference/.confounded-tables_0.csv.sdscm-1-dead")
        try Data("partial".utf8).write(to: stale)
        let dataset = try await runner.generate(0)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        let design = try BenchmarkDesign(path: Self.config)
        let model = try design.model(variation: 0, languageModel: nil, scoring: .sum)
        let whole = try await DatasetGenerator(design: design, model: model, noiseSeed: BenchmarkRunner.noiseSeed(runSeed: 11, dataset: 0),
                                               semantics: .sharedNoise, hiddenLimit: 32).generate(units: 150)
        #expect(try Data(contentsOf: folder.appendingPathComponent(dataset.files["reference"]!.path)) == Data(whole.reference.csv.utf8))
        #expect(try Data(contentsOf: folder.appendingPathComponent(dataset.files["extended"]!.path)) == Data(whole.extended.csv.utf8))
        #expect(try Data(contentsOf: folder.appendingPathComponent(dataset.files["hidden"]!.path)) == Data(whole.hidden.get().csv.utf8))
    }

    /// Aggregates (the paper's 10k sets): datasets of one variation concatenated in dataset order, the index column
    /// continuing, every other field unchanged; only complete groups; group m in variation m mod V.
    @Test func aggregatesConcatenateSameVariationDatasets() async throws {
        let folder = Self.temporaryFolder("aggregate")
        defer { try? FileManager.default.removeItem(at: folder) }
        let runner = try Self.runner(folder, datasets: 7, units: 30, variations: 2)
        for index in 0..<7 { _ = try await runner.generate(index) }
        #expect(runner.aggregateGroups(size: 3, completed: Array(0..<7)).map(\.datasets) == [[0, 2, 4], [1, 3, 5]])
        #expect(runner.aggregateGroups(size: 3, completed: [0, 1, 2, 3, 4]).map(\.datasets) == [[0, 2, 4]])
        let aggregates = try runner.writeAggregates(size: 3)
        #expect(aggregates.map(\.index) == [0, 1] && aggregates.map(\.variation) == [0, 1])
        for aggregate in aggregates {
            #expect(aggregate.files.keys.sorted() == ["extended", "hidden", "reference"])
            for (layout, file) in aggregate.files {
                let (header, rows) = try Self.read(runner.aggregateFolder(size: 3).appendingPathComponent(file.path))
                var expected: [[String]] = []
                for dataset in aggregate.datasets {
                    let (partHeader, partRows) = try Self.read(folder.appendingPathComponent("\(layout)/confounded-tables_\(dataset).csv"))
                    #expect(partHeader == header)
                    expected += partRows
                }
                #expect(rows.count == 90)
                #expect(rows.map { Array($0.dropFirst()) } == expected.map { Array($0.dropFirst()) }, "\(layout)")
                #expect(rows.map { $0[0] } == (0..<90).map(String.init))
            }
        }
        #expect(try runner.writeAggregates(size: 8).isEmpty)  // no variation has eight datasets
    }

    /// Killing a run and re-running redoes only what is missing or corrupt, with identical bytes; shards of a
    /// run produce the same files as the whole run.
    @Test func resumesAndShards() async throws {
        let whole = Self.temporaryFolder("whole"), resumed = Self.temporaryFolder("resumed"), sharded = Self.temporaryFolder("sharded")
        defer { for url in [whole, resumed, sharded] { try? FileManager.default.removeItem(at: url) } }
        let full = try Self.runner(whole)
        for index in 0..<3 { _ = try await full.generate(index) }
        let reference = try full.writeCombinedManifest()
        #expect(reference.datasets.count == 3)

        let first = try Self.runner(resumed)
        for index in 0..<3 { _ = try await first.generate(index) }
        // Lose one file, corrupt another: neither dataset counts as complete any more.
        try FileManager.default.removeItem(at: resumed.appendingPathComponent("extended/confounded-tables_1.csv"))
        try Data("garbage".utf8).write(to: resumed.appendingPathComponent("reference/confounded-tables_2.csv"))
        #expect(first.completed(0) != nil && first.completed(1) == nil && first.completed(2) == nil)
        let again = try Self.runner(resumed)
        for index in 0..<3 { _ = try await again.generate(index) }
        for index in 0..<3 { #expect(again.completed(index) != nil) }

        for shard in 0..<2 {
            let runner = try Self.runner(sharded)
            for index in BenchmarkRunner.datasets(3, shard: shard, of: 2) { _ = try await runner.generate(index) }
            try runner.writeCombinedManifest()
        }
        #expect(BenchmarkRunner.datasets(5, shard: 1, of: 2) == [1, 3])
        for kind in ["reference", "extended", "hidden"] {
            for index in 0..<3 {
                let name = "\(kind)/confounded-tables_\(index).csv"
                let expected = try Data(contentsOf: whole.appendingPathComponent(name))
                #expect(try Data(contentsOf: resumed.appendingPathComponent(name)) == expected, "\(name)")
                #expect(try Data(contentsOf: sharded.appendingPathComponent(name)) == expected, "\(name)")
            }
        }
        let combined = try JSONDecoder().decode(BenchmarkManifest.self, from: Data(contentsOf: sharded.appendingPathComponent("manifest.json")))
        #expect(combined.datasets.map(\.index) == [0, 1, 2])
    }

    /// A reference configuration whose treatment and outcome are `"uniform"`: the reference writes their score
    /// columns as the one-hot log-probabilities of the value drawn (0 / −inf), in the factual columns and in each
    /// arm, not the uniform equation's raw zeros.
    @Test func uniformReferenceVariablesWriteOneHotScores() async throws {
        let folder = Self.temporaryFolder("uniform")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = Fixtures.path("configs/reference-uniform.json")
        let design = try BenchmarkDesign(path: path)
        let run = BenchmarkManifest.Run(
            sdscmVersion: "test", name: design.name, config: .init(path: "reference-uniform.json", sha256: try SHA256.hex(ofFile: path)),
            configFormat: "reference", model: nil, modelArchitecture: nil, seed: 3, datasets: 1, units: 60,
            variations: 1, scoring: "reference", semantics: "paper", treatment: "arm", arms: ["control", "treated"], outcome: "result")
        let runner = BenchmarkRunner(design: design, languageModel: nil, run: run, scoring: .reference, semantics: .paper, output: folder)
        let dataset = try await runner.generate(0)
        let (header, rows) = try Self.read(folder.appendingPathComponent(dataset.files["reference"]!.path))
        #expect(rows.count == 60)
        let column = { (name: String) in header.firstIndex(of: name)! }
        var drawn = Set<String>()
        for row in rows {
            #expect(row[column("X0")] == "1")
            for (variable, count) in [("X1", 2), ("X2", 3)] {
                let value = Int(row[column(variable)])!
                drawn.insert("\(variable)=\(value)")
                #expect((0..<count).map { row[column("logP(\(variable)=\($0))")] } == (0..<count).map { $0 == value ? "0.0" : "-inf" })
            }
            for k in 0...1 {
                let value = Int(row[column("X2|do(X1=\(k))")])!
                #expect((0..<3).map { row[column("logP(X2=\($0))|do(X1=\(k))")] } == (0..<3).map { $0 == value ? "0.0" : "-inf" })
            }
        }
        #expect(drawn.count == 5)  // both arms and all three outcomes were drawn
    }

    /// The automatic hidden limit keeps 32 assignments per unit on average: 32 × N / min(N, joint visible values).
    /// One two-valued visible X: N = 1 or 2 → 32, N = 3 → 48, N = 100 → 1,600. The oncology design's visible
    /// covariates take 4·3·4·4·3·2·2·2 = 4,608 joint values, so 1,000 units keep 32 and 10,000 units get 69.
    @Test func automaticHiddenLimitFollowsTheVisibleAssignments() throws {
        let schema = try BenchmarkSchema(design: BenchmarkDesign(path: Self.config))
        #expect([1, 2, 3, 100].map(schema.automaticHiddenLimit(units:)) == [32, 32, 48, 1600])
        let oncology = try BenchmarkSchema(design: BenchmarkDesign(path: Fixtures.packageRoot.appendingPathComponent("Examples/configs/oncology.json").path))
        #expect(oncology.visible.reduce(1) { $0 * oncology.domains[$1]!.count } == 4608)
        #expect(oncology.automaticHiddenLimit(units: 1000) == 32 && oncology.automaticHiddenLimit(units: 10_000) == 69)
    }

    /// Datasets never share noise, and variations change phrasings as the reference's rule says.
    @Test func seedsAndVariations() throws {
        let seeds = (0..<100).map { BenchmarkRunner.noiseSeed(runSeed: 5, dataset: $0) }
        #expect(Set(seeds).count == 100)
        let design = try BenchmarkDesign(path: Fixtures.packageRoot.appendingPathComponent("Examples/configs/oncology.json").path)
        #expect(design.configuration.variables.count == 14)
        #expect(design.configuration.variables.allSatisfy { $0.phrasings.count >= 5 })
        #expect(design.configuration.variables.filter(\.exogenous).count == 4)
        // NumPy: np.random.seed(k); [np.random.randint(0, 5) for _ in range(14)].
        #expect(design.phrasingIndices(variation: 0) == [4, 0, 3, 3, 3, 1, 3, 2, 4, 0, 0, 4, 2, 1])
        #expect(design.phrasingIndices(variation: 1) == [3, 4, 0, 1, 3, 0, 0, 1, 4, 4, 1, 2, 4, 2])
        #expect(design.phrasingIndices(variation: 7) == [4, 1, 3, 3, 4, 1, 0, 1, 2, 2, 0, 4, 0, 4])
    }
}

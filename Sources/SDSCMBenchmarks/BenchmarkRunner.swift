import Foundation
import SDSCMRandomness
import SDSCM

/// Generates a benchmark's datasets into a folder: `reference/`, `extended/` and `hidden/` CSVs,
/// `manifests/<name>_<j>.json` per dataset and a combined `manifest.json`.
///
/// Every file is written atomically, and a dataset counts as done only when its manifest exists and every file
/// it lists has the recorded SHA-256; re-running skips done datasets and redoes the rest, so a killed run
/// resumes. `shard` (i of n) takes the datasets j ≡ i (mod n), so independent processes (a job array) split a
/// large run without talking to each other; each rewrites `manifest.json` from the per-dataset manifests it
/// finds when it finishes.
public struct BenchmarkRunner {
    /// The benchmark: its configuration, treatment, arms and outcome.
    public let design: BenchmarkDesign
    /// The language model behind the mechanisms (nil when no variable needs one).
    public let languageModel: (any LanguageModel)?
    /// The run's settings, recorded in every manifest; datasets of another run are never reused.
    public let run: BenchmarkManifest.Run
    /// How candidates are scored by the language model.
    public let scoring: ScoringMode
    /// Semantics of the reference table's counterfactual columns.
    public let semantics: CounterfactualSemantics
    /// The folder the datasets and manifests are written into.
    public let output: URL
    /// The run's limit on the hidden assignments enumerated per distinct visible assignment.
    public var hiddenLimit: Int { run.hiddenLimit }

    /// A runner writing `run`'s datasets into `output`.
    public init(design: BenchmarkDesign, languageModel: (any LanguageModel)?, run: BenchmarkManifest.Run,
                scoring: ScoringMode, semantics: CounterfactualSemantics, output: URL) {
        self.design = design
        self.languageModel = languageModel
        self.run = run
        self.scoring = scoring
        self.semantics = semantics
        self.output = output
    }

    /// The noise seed of dataset `index`: a Philox word keyed by the run's seed, so datasets never share noise.
    public static func noiseSeed(runSeed: UInt64, dataset index: Int) -> UInt64 {
        Philox(seed: runSeed, stream: 0x6461_7461_7365_7473).block(UInt64(index), 0, 0, 0).0  // "datasets"
    }

    /// The datasets a shard owns.
    public static func datasets(_ count: Int, shard: Int, of shards: Int) -> [Int] {
        Array(stride(from: shard, to: count, by: shards))
    }

    func relative(_ kind: String, _ index: Int) -> String { "\(kind)/\(design.name)_\(index).csv" }
    func manifestURL(_ index: Int) -> URL { output.appendingPathComponent("manifests/\(design.name)_\(index).json") }

    /// The dataset's manifest if it is complete and its files verify.
    public func completed(_ index: Int) -> BenchmarkManifest.Dataset? {
        guard let data = try? Data(contentsOf: manifestURL(index)),
              let record = try? JSONDecoder().decode(DatasetRecord.self, from: data),
              record.run == run else { return nil }
        for file in record.dataset.files.values {
            let url = output.appendingPathComponent(file.path)
            guard let digest = try? SHA256.hex(ofFile: url.path), digest == file.sha256 else { return nil }
        }
        return record.dataset
    }

    /// A per-dataset manifest: the run's settings (to refuse mixing runs) and the dataset.
    struct DatasetRecord: Codable {
        var run: BenchmarkManifest.Run
        var dataset: BenchmarkManifest.Dataset
    }

    /// Generates dataset `index` (unless complete) and returns its manifest entry.
    public func generate(_ index: Int, progress: (Int) -> Void = { _ in }) async throws -> BenchmarkManifest.Dataset {
        if let done = completed(index) { return done }
        let start = DispatchTime.now().uptimeNanoseconds
        let variation = index % max(1, run.variations)
        let model = try design.model(variation: variation, languageModel: languageModel, scoring: scoring)
        let seed = Self.noiseSeed(runSeed: run.seed, dataset: index)
        let generator = DatasetGenerator(design: design, model: model, noiseSeed: seed, semantics: semantics,
                                         hiddenLimit: hiddenLimit)
        // A killed earlier attempt at this dataset may have left its temporary files; only this dataset's own.
        for kind in ["reference", "extended", "hidden"] {
            let folder = output.appendingPathComponent(kind)
            let prefix = ".\(design.name)_\(index).csv.sdscm-"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(prefix) {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
        // Rows stream into each table's temporary file a block at a time; the files appear only once complete.
        var writers: [String: SafeFile.Writer] = [:]
        defer { for writer in writers.values { writer.abandon() } }
        let tables = try await generator.generate(units: run.units, progress: progress) { kind, header, rows in
            if writers[kind] == nil {
                let url = output.appendingPathComponent(relative(kind, index))
                try SafeFile.createFolder(url.deletingLastPathComponent())
                let writer = try SafeFile.Writer(path: url.path)
                writers[kind] = writer
                try writer.append(Data(DataTable.csvLine(header).utf8))
            }
            var block = DataTable(header: header)
            for row in rows { try block.append(row) }
            try writers[kind]!.append(Data(block.csvRows.utf8))
        }
        var files: [String: BenchmarkManifest.FileRecord] = [:]
        func finish(_ kind: String) throws {
            let path = relative(kind, index)
            try writers[kind]!.commit()
            files[kind] = .init(path: path, sha256: try SHA256.hex(ofFile: output.appendingPathComponent(path).path))
        }
        try finish("reference")
        try finish("extended")
        var skipped: String?
        switch tables.hidden {
        case .success: try finish("hidden")
        case .failure(let error): skipped = error.description
        }
        let counters = model.counters
        let dataset = BenchmarkManifest.Dataset(
            index: index, variation: variation, phrasingIndices: design.phrasingIndices(variation: variation),
            noiseSeed: seed, units: run.units, files: files, hiddenSkipped: skipped,
            contextsScored: counters.contextsScored, tokensEvaluated: counters.tokensEvaluated,
            cacheHits: counters.cacheHits, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try Self.writeAtomically(try encoder.encode(DatasetRecord(run: run, dataset: dataset)), to: manifestURL(index))
        return dataset
    }

    /// Copies the configuration file the design was read from into the folder as `config.json`, so the folder
    /// describes itself: `sdscm evaluate` reads its tables' columns from it.
    public func writeConfiguration(copying path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(path: "$", message: "cannot read '\(path)'")
        }
        try Self.writeAtomically(data, to: output.appendingPathComponent("config.json"))
    }

    /// Rewrites `manifest.json` from every per-dataset manifest of this run in the folder.
    @discardableResult
    public func writeCombinedManifest() throws -> BenchmarkManifest {
        var datasets: [BenchmarkManifest.Dataset] = []
        for index in 0..<run.datasets {
            if let data = try? Data(contentsOf: manifestURL(index)),
               let record = try? JSONDecoder().decode(DatasetRecord.self, from: data), record.run == run {
                datasets.append(record.dataset)
            }
        }
        let manifest = BenchmarkManifest(run: run, datasets: datasets, seconds: datasets.reduce(0) { $0 + $1.seconds })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try Self.writeAtomically(try encoder.encode(manifest), to: output.appendingPathComponent("manifest.json"))
        return manifest
    }

    /// Writes to a temporary file in the same folder, then renames it over the destination.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        try SafeFile.createFolder(url.deletingLastPathComponent())
        try SafeFile.write(data, to: url.path)
    }
}

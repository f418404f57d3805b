// A small run of the oncology benchmark (Examples/configs/oncology.json: the paper's breast-cancer design with
// SDSCM's own phrasings): three datasets into a folder, then a look at the ground truth they carry.
//
//   swift run -c release OncologyBenchmark [--model path/to/model.gguf] [--units N] [--out DIR]
//
// Without --model it uses SmolLM2 from the package's .models folder (Tests/Scripts/fetch-models.sh). The tiny
// bundled model cannot run it: its 128-token context is shorter than these 14-variable documents.
import SDSCMBenchmarks
import Foundation
import SDSCM
import SDSCMEngine

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
let units = Int(option("--units") ?? "") ?? 50
let folder = URL(fileURLWithPath: option("--out") ?? "oncology-benchmark")
let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let config = examples.appendingPathComponent("configs/oncology.json").path
let modelPath = option("--model")
    ?? examples.deletingLastPathComponent().appendingPathComponent(".models/SmolLM2-135M-Instruct.Q4_1.gguf").path
guard FileManager.default.fileExists(atPath: modelPath) else {
    print("usage: OncologyBenchmark [--model model.gguf] [--units N] [--out DIR]   (no model at \(modelPath))")
    exit(2)
}

do {
    let languageModel = try TransformerLanguageModel(path: modelPath)
    let design = try BenchmarkDesign(path: config)
    let treatment = design.configuration.variables[design.treatmentIndex]
    let run = BenchmarkManifest.Run(
        sdscmVersion: "example", name: design.name, config: .init(path: "oncology.json", sha256: try SHA256.hex(ofFile: config)),
        configFormat: "sdscm", model: .init(path: URL(fileURLWithPath: modelPath).lastPathComponent, sha256: try SHA256.hex(ofFile: modelPath)),
        modelArchitecture: languageModel.model.configuration.architecture.name, seed: 2024, datasets: 3, units: units,
        variations: 3, scoring: "sum", semantics: "shared-noise", treatment: treatment.name,
        arms: design.arms.map { treatment.values![$0] }, outcome: design.configuration.variables[design.outcomeIndex].name)
    let runner = BenchmarkRunner(design: design, languageModel: languageModel, run: run, scoring: .sum,
                                 semantics: .sharedNoise, output: folder)
    try runner.writeConfiguration(copying: config)
    for index in 0..<3 {
        let dataset = try await runner.generate(index)
        print(String(format: "dataset %d (variation %d): %d units in %.1f s, %d contexts scored, %d tokens; ",
                     index, dataset.variation, dataset.units, dataset.seconds, dataset.contextsScored, dataset.tokensEvaluated)
              + "hidden view: \(dataset.hiddenSkipped ?? "written")")
    }
    try runner.writeCombinedManifest()
    print("files and manifest.json in \(folder.path)")
} catch {
    print("error: \(error)")
    exit(1)
}

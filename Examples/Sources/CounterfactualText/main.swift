// Free text under shared noise: each unit's note is generated token by token with noise keyed by (unit,
// position, token). Intervening on the treatment changes the note only through its parents (recovery here), and
// where recovery does not change, the note is reproduced word for word.
//
//   swift run -c release CounterfactualText [--model path/to/model.gguf] [--units N]
//
// Without --model it uses the tiny model bundled with SDSCM and its world.
import SDSCMBundledModels
import Foundation
import SDSCM
import SDSCMEngine

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
let units = Int(option("--units") ?? "") ?? 8

do {
    let languageModel = try option("--model").map { try TransformerLanguageModel(path: $0) } ?? BundledModels.tinyWorld()
    let model = try BundledModels.tinyWorldConfiguration().makeModel(languageModel: languageModel)
    let sampler = Sampler(model: model, seed: 7)
    for unit in try await sampler.sample(units: 0..<units) {
        let other = unit["treatment"] == "drug" ? "rest" : "drug"
        let counterfactual = try await sampler.counterfactual(of: unit, interventions: ["treatment": .value(other)])
        print("unit \(unit.index): \(unit["treatment"]!) → \(unit["recovery"]!); note: \"\(unit["note"]!)\"")
        print("   had it been \(other) → \(counterfactual["recovery"]!); note: \"\(counterfactual["note"]!)\""
              + (counterfactual["note"] == unit["note"] ? "   (same words: same parents, same noise)" : ""))
    }
} catch {
    print("error: \(error)")
    exit(1)
}

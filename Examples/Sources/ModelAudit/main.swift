// An audit of a language model: does changing one attribute of an otherwise identical case change what the
// model recommends? Every sampled case is replayed with the other attribute value under its own noise, so the
// comparison holds everything else fixed.
//
//   swift run -c release ModelAudit [--model path/to/model.gguf] [--units N]
//
// With --model it audits the model's triage recommendations for the patient's sex (Examples/configs/
// triage-audit.json); without, it audits the bundled tiny model: does the patient's age change the treatment
// its world prescribes (it does, through severity and directly)?
import SDSCMAudit
import SDSCMBundledModels
import Foundation
import SDSCM
import SDSCMEngine

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
let units = Int(option("--units") ?? "") ?? 500

do {
    let audit: CausalAudit
    if let path = option("--model") {
        let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("configs/triage-audit.json").path
        let model = try CausalModelConfiguration(path: config).makeModel(languageModel: try TransformerLanguageModel(path: path))
        audit = try CausalAudit(model: model, attribute: "sex", outcome: "triage", seed: 1)
    } else {
        let model = try BundledModels.tinyWorldConfiguration().makeModel(languageModel: try BundledModels.tinyWorld())
        audit = try CausalAudit(model: model, attribute: "age", outcome: "treatment", seed: 1)
    }
    let (result, _) = try await audit.run(units: units)
    print("Audit of \(result.attribute) → \(result.outcome) over \(result.units) counterfactual pairs (baseline \(result.attribute) = \(result.baseline)):")
    for effect in result.effects {
        print("  do(\(result.attribute) = \(effect.attributeValue)): change in P(\(result.outcome) = \(effect.outcomeValue)) "
              + String(format: "%+.4g, 95%% CI [%+.4g, %+.4g]", effect.estimate, effect.lower, effect.upper))
    }
    for entry in result.breakdown where entry.attributeValue != result.baseline {
        print(String(format: "  %.1f%%", 100 * entry.flipRate)
              + " of cases get a different \(result.outcome) when \(result.attribute) is \(entry.attributeValue) instead of \(result.baseline)")
    }
} catch {
    print("error: \(error)")
    exit(1)
}

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
            .appendingPathComponent("configs/triage-audit.json").path
        let model = try CausalModelConfiguration(path: config).makeModel(languageModel: try TransformerLanguageModel(path: path))
        audit = try CausalAudit(model: model, attribute: "sex", outcome: "triage", seed: 1)
    } else {
        let model = try BundledModels.tinyWorldConfiguration().makeModel(languageModel: try BundledModels.tinyWorld())
        audit = try CausalAudit(model: model, attribute: "age", outcome: "treatment", seed: 1)
    }
    let (result, _) = try audit.run(units: units)
    print("Audit of \(result.attribute) → \(result.outcome) over \(result.units) counterfactual pairs (baseline \(result.attribute) = \(result.baseline)):")
    for effect in result.effects {
        print(String(format: "  do(%@ = %@): change in P(%@ = %@) %+.4g, 95%% CI [%+.4g, %+.4g]", result.attribute,
                     effect.attributeValue, result.outcome, effect.outcomeValue, effect.estimate, effect.lower, effect.upper))
    }
    for entry in result.breakdown where entry.attributeValue != result.baseline {
        print(String(format: "  %.1f%% of cases get a different %@ when %@ is %@ instead of %@", 100 * entry.flipRate,
                     result.outcome, result.attribute, entry.attributeValue, result.baseline))
    }
} catch {
    print("error: \(error)")
    exit(1)
}

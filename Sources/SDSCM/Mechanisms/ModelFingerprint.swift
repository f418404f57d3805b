import SDSCMRandomness

/// `CausalModel.fingerprint`: a 64-bit FNV-1a hash (hex) over a canonical rendering of everything that determines
/// the model's numbers, stable across processes and platforms (Swift's `Hasher` is not).
enum ModelFingerprint {
    static func of(graph: Graph, equations: [any StructuralEquation], phrasingChoice: [Int], scoring: ScoringMode,
                   scoresSuffix: Bool, languageModel: (any LanguageModel)?) -> String {
        var hash = FNV1a.offsetBasis
        func add(_ text: String) {
            hash = FNV1a.hash(text, from: hash)
            hash = FNV1a.combine(hash, 0xFF)  // a separator no UTF-8 byte equals
        }
        add("sdscm-model-1")
        for (index, variable) in graph.variables.enumerated() {
            add(variable.name)
            switch variable.domain {
            case .categorical(let values):
                add("categorical")
                values.forEach(add)
            case .text(let options):
                add("text \(options.maxTokens) \(options.temperature) \(options.topK) \(options.topP)")
                options.stop.forEach(add)
            }
            add("phrasing \(phrasingChoice[index])")
            let phrasing = variable.phrasings[phrasingChoice[index]]
            add(phrasing.prefix)
            add(phrasing.suffix)
            add("parents")
            graph.parentIndices[index].forEach { add(graph.variables[$0].name) }
            add(variable.exogenous ? "exogenous" : "endogenous")
            add(equations[index].fingerprint)
        }
        add("scoring \(scoring.rawValue) suffix \(scoresSuffix)")
        add(languageModel?.identifier ?? "no language model")
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

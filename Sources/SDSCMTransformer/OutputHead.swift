import Foundation
import SDSCMTensors

/// Turns final hidden states into the requested logits or log-probabilities.
///
/// Only rows with a requested output go through the final norm and the output matrix. Outputs that need the
/// whole vocabulary (full logits, or any log-probability, whose normalizer spans the vocabulary) share one matmul
/// over all output rows; outputs that ask for a few vocabulary rows' logits compute just those rows, grouped by
/// identical row sets.
struct OutputHead {
    let model: TransformerModel

    /// `hidden` holds one final hidden state per row that has an output, each once (what `ForwardPass` returns);
    /// `wanted.row` indexes those rows.
    func compute(
        hidden: [Float], wanted: [(request: Int, output: Int, row: Int)], requests: [EvaluationRequest],
        into results: inout [[[Float]]]
    ) throws {
        let c = model.configuration
        let w = model.weights
        let e = c.embeddingLength
        guard !wanted.isEmpty else { return }

        // Final norm of each row.
        var normed = [Float](repeating: 0, count: hidden.count)
        hidden.withUnsafeBufferPointer { h in
            normed.withUnsafeMutableBufferPointer { y in
                for row in 0..<(hidden.count / e) {
                    c.normalize(h.baseAddress! + row * e, rows: 1, width: e, weight: w.outputNorm, bias: w.outputNormBias,
                                numerics: model.numerics, into: y.baseAddress! + row * e)
                }
            }
        }
        func hiddenRows(_ slots: [Int]) -> [Float] {
            var rows = [Float]()
            rows.reserveCapacity(slots.count * e)
            for slot in slots { rows += normed[(slot * e)..<((slot + 1) * e)] }
            return rows
        }

        // Outputs that need every vocabulary row.
        let full = wanted.filter { item in
            let output = requests[item.request].outputs[item.output]
            return output.kind == .logProbabilities || output.vocabulary == nil
        }
        let fullSlots = Array(Set(full.map(\.row))).sorted()
        if !fullSlots.isEmpty {
            let logits = softcapped(try w.output.multiply(hiddenRows(fullSlots), rows: fullSlots.count,
                                                          numerics: model.numerics, pool: model.pool))
            let vocabulary = w.output.rows
            let indexOfSlot = Dictionary(uniqueKeysWithValues: fullSlots.enumerated().map { ($1, $0) })
            var normalizers: [Int: Double] = [:]
            for item in full {
                let output = requests[item.request].outputs[item.output]
                let index = indexOfSlot[item.row]!
                let row = Array(logits[(index * vocabulary)..<((index + 1) * vocabulary)])
                switch output.kind {
                case .logits:
                    results[item.request][item.output] = output.vocabulary.map { ids in ids.map { row[$0] } } ?? row
                case .logProbabilities:
                    let normalizer = normalizers[index] ?? LogSoftmax.logNormalizer(row)
                    normalizers[index] = normalizer
                    let ids = output.vocabulary ?? Array(0..<vocabulary)
                    results[item.request][item.output] = ids.map { Float(Double(row[$0]) - normalizer) }
                }
            }
        }

        // Logits of selected vocabulary rows only, grouped by identical selections.
        let partial = wanted.filter { item in
            let output = requests[item.request].outputs[item.output]
            return output.kind == .logits && output.vocabulary != nil
        }
        var groups: [[Int]: [(request: Int, output: Int, row: Int)]] = [:]
        for item in partial { groups[requests[item.request].outputs[item.output].vocabulary!, default: []].append(item) }
        for (ids, items) in groups.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let slots = Array(Set(items.map(\.row))).sorted()
            let logits = softcapped(try w.output.multiply(hiddenRows(slots), rows: slots.count, selecting: ids,
                                                          numerics: model.numerics, pool: model.pool))
            let indexOfSlot = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1, $0) })
            for item in items {
                let index = indexOfSlot[item.row]!
                results[item.request][item.output] = Array(logits[(index * ids.count)..<((index + 1) * ids.count)])
            }
        }
    }

    /// `cap · tanh(logit / cap)` when the model sets `final_logit_softcapping`, else the logits unchanged.
    private func softcapped(_ logits: [Float]) -> [Float] {
        guard let cap = model.configuration.logitSoftcap else { return logits }
        // llama.cpp multiplies by the rounded reciprocal (`ggml_scale` by 1/cap) where exact math divides.
        if model.numerics == .llamaCpp {
            let inverse = 1 / cap
            return logits.map { cap * Foundation.tanh($0 * inverse) }
        }
        return logits.map { cap * Foundation.tanh($0 / cap) }
    }
}

import Foundation
import Testing
import SDSCMTestSupport
import SDSCMTensors
import SDSCMTransformer

/// `NumericsMode.llamaCpp`'s arithmetic outside the matrix products, fed llama.cpp's own inputs and compared bit for
/// bit with llama.cpp's own outputs: layer-0 tensors of two tiny models read through llama.cpp's evaluation callback
/// (Tests/Tools/kernel-fixtures/make_llama_intermediates.py; 25 positions, so attention rows cross a 16-cell group).
@Suite struct LlamaCppIntermediatesTests {
    static func section(_ name: String) throws -> [String: Any] {
        let document = try Fixtures.json("llama-cpp-intermediates.json") as? [String: Any]
        return try #require(document?[name] as? [String: Any], "Tests/Fixtures/llama-cpp-intermediates.json: \(name)")
    }

    static func floats(_ section: [String: Any], _ key: String) throws -> [Float] {
        let values = TinyModelTests.floats(section[key])
        try #require(!values.isEmpty, "missing \(key)")
        return values
    }

    static func configuration(_ section: [String: Any]) throws -> ModelConfiguration {
        let file = try #require(section["file"] as? String)
        return try TransformerModel(path: Fixtures.path("tiny-models/" + file), threads: 1).configuration
    }

    /// ggml's rotary table and rotation, for adjacent pairs (llama) and the two halves of each head (qwen2).
    @Test(arguments: ["llama", "qwen2"])
    func rotaryEmbedding(_ name: String) throws {
        let s = try Self.section(name)
        let c = try Self.configuration(s)
        let input = try Self.floats(s, "rope_in"), expected = try Self.floats(s, "rope_out")
        let heads = c.headCount, dimension = c.headDimension, pairs = c.ropeDimensions / 2
        var output = input, cosines = [Float](repeating: 0, count: pairs), sines = cosines
        for position in 0..<(input.count / (heads * dimension)) {
            LlamaCppRotary.table(position: position, pairs: pairs, dimensions: c.ropeDimensions, base: c.ropeBase,
                                 frequencyScale: c.ropePositionScale, cosines: &cosines, sines: &sines)
            for head in 0..<heads {
                let base = (position * heads + head) * dimension
                for i in 0..<pairs {
                    let (a, b) = c.architecture.rotary == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + pairs)
                    (output[base + a], output[base + b]) = LlamaCppRotary.rotate(
                        input[base + a], input[base + b], cosine: cosines[i], sine: sines[i])
                }
            }
        }
        #expect(c.architecture.rotary == (name == "llama" ? .adjacentPairs : .halves))
        #expect(output.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// Scores, softmax and weighted values of every query head at every position (causal rows of 1–25 cells).
    @Test func attention() throws {
        let s = try Self.section("llama")
        let c = try Self.configuration(s)
        let queries = try Self.floats(s, "rope_out"), keys = try Self.floats(s, "keys"), values = try Self.floats(s, "values")
        let softmax = try Self.floats(s, "soft_max"), expected = try Self.floats(s, "attention")
        let heads = c.headCount, kvHeads = c.keyValueHeadCount, dimension = c.headDimension, group = heads / kvHeads
        let positions = queries.count / (heads * dimension)
        let scratch = LlamaCppAttention.Scratch(cells: positions, dimension: dimension)
        var output = [Float](repeating: .nan, count: heads * positions * dimension)
        var weights = [Float](repeating: .nan, count: heads * positions * positions)
        queries.withUnsafeBufferPointer { q in keys.withUnsafeBufferPointer { k in values.withUnsafeBufferPointer { v in
            var row = [Float](repeating: 0, count: group * dimension)
            for position in 0..<positions {
                for kvHead in 0..<kvHeads {
                    let key = { (cell: Int) in k.baseAddress! + (cell * kvHeads + kvHead) * dimension }
                    let value = { (cell: Int) in v.baseAddress! + (cell * kvHeads + kvHead) * dimension }
                    let firstHead = kvHead * group
                    scratch.gather(first: 0, last: position) { cell in (key(cell), value(cell)) }
                    row.withUnsafeMutableBufferPointer { out in
                        LlamaCppAttention.attend(
                            queries: q.baseAddress! + (position * heads + firstHead) * dimension, heads: group,
                            dimension: dimension, first: 0, last: position, scale: c.attentionScale, queryScale: nil,
                            scratch: scratch, into: out.baseAddress!)
                    }
                    for h in 0..<group {
                        for d in 0..<dimension {
                            output[((firstHead + h) * positions + position) * dimension + d] = row[h * dimension + d]
                        }
                        // The softmax alone, on a row padded to whole 16-cell groups as `attend` pads it.
                        let padded = (position + 16) & ~15
                        var scores = (0..<padded).map { cell in
                            cell <= position ? LlamaCppAttention.score(q.baseAddress! + (position * heads + firstHead + h) * dimension,
                                                                       key(cell), count: dimension) : -Float.infinity
                        }
                        LlamaCppAttention.softmax(&scores, count: padded, scale: c.attentionScale)
                        for cell in 0..<positions {
                            weights[((firstHead + h) * positions + position) * positions + cell] = cell <= position ? scores[cell] : 0
                        }
                    }
                }
            }
        } } }
        #expect(weights.map(\.bitPattern) == softmax.map(\.bitPattern))
        #expect(output.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// RMSNorm and its weight: each square rounded to Float, summed in Double (in Double, row 3 would differ).
    @Test func rmsNorm() throws {
        let s = try Self.section("llama")
        let c = try Self.configuration(s)
        let input = try Self.floats(s, "norm_in"), expected = try Self.floats(s, "norm_out")
        let weight = try Self.floats(s, "norm_weight")
        let width = c.embeddingLength
        var output = [Float](repeating: .nan, count: input.count)
        for row in 0..<(input.count / width) {
            input.withUnsafeBufferPointer { x in output.withUnsafeMutableBufferPointer { y in weight.withUnsafeBufferPointer { w in
                VectorMath.rmsNorm(x.baseAddress! + row * width, weight: w.baseAddress!, count: width, epsilon: c.normEpsilon,
                                   numerics: .llamaCpp, into: y.baseAddress! + row * width)
            } } }
        }
        #expect(output.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// SwiGLU with ggml's vector exponential.
    @Test func swiglu() throws {
        let s = try Self.section("llama")
        let c = try Self.configuration(s)
        var gate = try Self.floats(s, "gate")
        let up = try Self.floats(s, "up"), expected = try Self.floats(s, "swiglu")
        let width = c.feedForwardLength
        for row in 0..<(gate.count / width) {
            gate.withUnsafeMutableBufferPointer { g in up.withUnsafeBufferPointer { u in
                LlamaCppVectorMath.swiglu(g.baseAddress! + row * width, times: u.baseAddress! + row * width, count: width)
            } }
        }
        #expect(gate.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}

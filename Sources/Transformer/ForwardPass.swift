import Foundation
import Tensors

/// One evaluation through all transformer blocks, for a batch of rows that may belong to different sequences.
///
/// Row r is token `tokens[r]` at absolute position `positions[r]` of the sequence stored in cache `cacheOfRow[r]`.
/// The caller has already appended the tokens to the caches (so their blocks are allocated and unshared); this
/// pass writes each layer's keys and values there and returns the final hidden states (before the output norm).
struct ForwardPass {
    let model: TransformerModel
    let tokens: [Int]
    let positions: [Int]
    let cacheOfRow: [Int]

    init(model: TransformerModel, tokens: [Int], positions: [Int], cacheOfRow: [Int]) {
        self.model = model
        self.tokens = tokens
        self.positions = positions
        self.cacheOfRow = cacheOfRow
    }

    /// Runs the blocks and returns R × embedding hidden states.
    mutating func run(caches: [KVCache]) throws -> [Float] {
        let c = model.configuration
        let w = model.weights
        let pool = model.pool
        let rowCount = tokens.count
        let e = c.embeddingLength, qw = c.queryWidth, kw = c.keyValueWidth, f = c.feedForwardLength

        var residual = [Float](repeating: 0, count: rowCount * e)
        var normed = [Float](repeating: 0, count: rowCount * e)
        var queries = [Float](repeating: 0, count: rowCount * qw)
        var keys = [Float](repeating: 0, count: rowCount * kw)
        var values = [Float](repeating: 0, count: rowCount * kw)
        var fused = [Float](repeating: 0, count: c.architecture.fusedQKV ? rowCount * (qw + 2 * kw) : 0)
        var attention = [Float](repeating: 0, count: rowCount * qw)
        var projected = [Float](repeating: 0, count: rowCount * e)
        var hidden1 = [Float](repeating: 0, count: rowCount * f)
        var hidden2 = [Float](repeating: 0, count: c.architecture.feedForward == .gatedSiLU ? rowCount * f : 0)
        let rope = RotaryTable(configuration: c, positions: positions)

        // Embeddings (plus learned positions).
        for row in 0..<rowCount {
            let embedding = try w.tokenEmbedding.dequantizedRow(tokens[row])
            residual.withUnsafeMutableBufferPointer { buffer in
                (buffer.baseAddress! + row * e).update(from: embedding, count: e)
            }
            if let positionEmbedding = w.positionEmbedding {
                let positionRow = try positionEmbedding.dequantizedRow(positions[row])
                residual.withUnsafeMutableBufferPointer { buffer in
                    positionRow.withUnsafeBufferPointer { VectorMath.add(buffer.baseAddress! + row * e, $0.baseAddress!, count: e) }
                }
            }
        }

        for (layerIndex, layer) in w.layers.enumerated() {
            // Attention block.
            normalize(residual, into: &normed, rows: rowCount, width: e, weight: layer.attentionNorm,
                      bias: layer.attentionNormBias, configuration: c)
            if let qkv = layer.fusedQKV {
                matmul(qkv, normed, rowCount, into: &fused, bias: layer.fusedQKVBias, pool: pool)
                splitFused(fused, rows: rowCount, queryWidth: qw, keyValueWidth: kw, &queries, &keys, &values)
            } else {
                matmul(layer.query!, normed, rowCount, into: &queries, bias: layer.queryBias, pool: pool)
                matmul(layer.key!, normed, rowCount, into: &keys, bias: layer.keyBias, pool: pool)
                matmul(layer.value!, normed, rowCount, into: &values, bias: layer.valueBias, pool: pool)
            }
            if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm {
                normalizeHeads(&queries, rows: rowCount, heads: c.headCount, dimension: c.headDimension,
                               weight: queryNorm, epsilon: c.normEpsilon)
                normalizeHeads(&keys, rows: rowCount, heads: c.keyValueHeadCount, dimension: c.headDimension,
                               weight: keyNorm, epsilon: c.normEpsilon)
            }
            rope.apply(to: &queries, rows: rowCount, heads: c.headCount)
            rope.apply(to: &keys, rows: rowCount, heads: c.keyValueHeadCount)
            storeKeysAndValues(keys, values, layer: layerIndex, caches: caches, width: kw)
            attend(queries: queries, layer: layerIndex, caches: caches, into: &attention)
            matmul(layer.attentionOutput, attention, rowCount, into: &projected, bias: layer.attentionOutputBias, pool: pool)
            add(&residual, projected)

            // Feed-forward block.
            normalize(residual, into: &normed, rows: rowCount, width: e, weight: layer.feedForwardNorm,
                      bias: layer.feedForwardNormBias, configuration: c)
            switch c.architecture.feedForward {
            case .gatedSiLU:
                matmul(layer.gate!, normed, rowCount, into: &hidden1, bias: nil, pool: pool)
                matmul(layer.up, normed, rowCount, into: &hidden2, bias: layer.upBias, pool: pool)
                hidden1.withUnsafeMutableBufferPointer { gate in
                    hidden2.withUnsafeBufferPointer { up in
                        VectorMath.silu(gate.baseAddress!, count: gate.count)
                        VectorMath.multiply(gate.baseAddress!, by: up.baseAddress!, count: gate.count)
                    }
                }
            case .gelu:
                matmul(layer.up, normed, rowCount, into: &hidden1, bias: layer.upBias, pool: pool)
                hidden1.withUnsafeMutableBufferPointer { VectorMath.gelu($0.baseAddress!, count: $0.count) }
            }
            matmul(layer.down, hidden1, rowCount, into: &projected, bias: layer.downBias, pool: pool)
            add(&residual, projected)
        }
        return residual
    }

    // MARK: Steps

    private func normalize(
        _ input: [Float], into output: inout [Float], rows: Int, width: Int, weight: [Float], bias: [Float]?,
        configuration c: ModelConfiguration
    ) {
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                weight.withUnsafeBufferPointer { w in
                    for row in 0..<rows {
                        switch c.architecture.normalization {
                        case .rms:
                            VectorMath.rmsNorm(x.baseAddress! + row * width, weight: w.baseAddress!, count: width,
                                               epsilon: c.normEpsilon, into: y.baseAddress! + row * width)
                        case .layer:
                            if let bias {
                                bias.withUnsafeBufferPointer { b in
                                    VectorMath.layerNorm(x.baseAddress! + row * width, weight: w.baseAddress!,
                                                         bias: b.baseAddress!, count: width, epsilon: c.normEpsilon,
                                                         into: y.baseAddress! + row * width)
                                }
                            } else {
                                VectorMath.layerNorm(x.baseAddress! + row * width, weight: w.baseAddress!, bias: nil,
                                                     count: width, epsilon: c.normEpsilon,
                                                     into: y.baseAddress! + row * width)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Per-head RMSNorm (Qwen 3's query/key norm).
    private func normalizeHeads(
        _ x: inout [Float], rows: Int, heads: Int, dimension: Int, weight: [Float], epsilon: Float
    ) {
        x.withUnsafeMutableBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: dimension)
                defer { scratch.deallocate() }
                for index in 0..<(rows * heads) {
                    let head = x.baseAddress! + index * dimension
                    VectorMath.rmsNorm(head, weight: w.baseAddress!, count: dimension, epsilon: epsilon, into: scratch)
                    head.update(from: scratch, count: dimension)
                }
            }
        }
    }

    private func matmul(
        _ weights: WeightMatrix, _ input: [Float], _ rows: Int, into output: inout [Float], bias: [Float]?,
        pool: ComputePool
    ) {
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                weights.multiply(x.baseAddress!, rows: rows, into: y.baseAddress!, outputStride: weights.rows,
                                 numerics: model.numerics, pool: pool)
                if let bias {
                    bias.withUnsafeBufferPointer { b in
                        for row in 0..<rows {
                            VectorMath.add(y.baseAddress! + row * weights.rows, b.baseAddress!, count: weights.rows)
                        }
                    }
                }
            }
        }
    }

    /// Splits fused [Q | K | V] rows (GPT-2's `attn_qkv`).
    private func splitFused(
        _ fused: [Float], rows: Int, queryWidth: Int, keyValueWidth: Int,
        _ queries: inout [Float], _ keys: inout [Float], _ values: inout [Float]
    ) {
        let total = queryWidth + 2 * keyValueWidth
        for row in 0..<rows {
            let base = row * total
            for i in 0..<queryWidth { queries[row * queryWidth + i] = fused[base + i] }
            for i in 0..<keyValueWidth {
                keys[row * keyValueWidth + i] = fused[base + queryWidth + i]
                values[row * keyValueWidth + i] = fused[base + queryWidth + keyValueWidth + i]
            }
        }
    }

    private func add(_ x: inout [Float], _ y: [Float]) {
        x.withUnsafeMutableBufferPointer { x in
            y.withUnsafeBufferPointer { y in VectorMath.add(x.baseAddress!, y.baseAddress!, count: x.count) }
        }
    }

    private func storeKeysAndValues(_ keys: [Float], _ values: [Float], layer: Int, caches: [KVCache], width: Int) {
        keys.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                for row in 0..<tokens.count {
                    let cache = caches[cacheOfRow[row]]
                    cache.pointer(layer: layer, value: false, position: positions[row])
                        .update(from: k.baseAddress! + row * width, count: width)
                    cache.pointer(layer: layer, value: true, position: positions[row])
                        .update(from: v.baseAddress! + row * width, count: width)
                }
            }
        }
    }

    /// Causal attention of every row over its own cache, one (row, head) pair per task.
    private func attend(queries: [Float], layer: Int, caches: [KVCache], into output: inout [Float]) {
        let c = model.configuration
        let heads = c.headCount, dimension = c.headDimension
        let group = c.headCount / c.keyValueHeadCount
        let scale = 1 / Float(dimension).squareRoot()
        let tasks = tokens.count * heads
        let ranges = model.pool.ranges(tasks)
        let maxPosition = positions.max() ?? 0
        let positions = self.positions, cacheOfRow = self.cacheOfRow
        queries.withUnsafeBufferPointer { q in
            output.withUnsafeMutableBufferPointer { out in
                let qBox = UncheckedSendable(q.baseAddress!), outBox = UncheckedSendable(out.baseAddress!)
                model.pool.run(parts: ranges.count) { part in
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: maxPosition + 1)
                    defer { scores.deallocate() }
                    for task in ranges[part] {
                        let row = task / heads, head = task % heads
                        let kvHead = head / group
                        let cache = caches[cacheOfRow[row]]
                        let position = positions[row]
                        let query = qBox.value + row * heads * dimension + head * dimension
                        for j in 0...position {
                            let key = cache.pointer(layer: layer, value: false, position: j) + kvHead * dimension
                            scores[j] = VectorMath.dot(query, key, count: dimension) * scale
                        }
                        VectorMath.softmax(scores, count: position + 1)
                        let result = outBox.value + row * heads * dimension + head * dimension
                        result.initialize(repeating: 0, count: dimension)
                        for j in 0...position {
                            let value = cache.pointer(layer: layer, value: true, position: j) + kvHead * dimension
                            VectorMath.addScaled(result, value, scores[j], count: dimension)
                        }
                    }
                }
            }
        }
    }
}

/// cos/sin of every rotated pair for every row's position, computed in Double.
struct RotaryTable {
    let style: Architecture.RotaryStyle
    let dimensions: Int
    let headDimension: Int
    let cosines: [Float]
    let sines: [Float]

    init(configuration c: ModelConfiguration, positions: [Int]) {
        style = c.architecture.rotary
        dimensions = c.ropeDimensions
        headDimension = c.headDimension
        let pairs = c.ropeDimensions / 2
        var cosines = [Float](repeating: 1, count: positions.count * pairs)
        var sines = [Float](repeating: 0, count: positions.count * pairs)
        if style != .none {
            for (row, position) in positions.enumerated() {
                for i in 0..<pairs {
                    let theta = Double(position) * Foundation.pow(Double(c.ropeBase), -2 * Double(i) / Double(c.ropeDimensions))
                    cosines[row * pairs + i] = Float(Foundation.cos(theta))
                    sines[row * pairs + i] = Float(Foundation.sin(theta))
                }
            }
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// Rotates the first `dimensions` channels of each head of each row.
    func apply(to x: inout [Float], rows: Int, heads: Int) {
        guard style != .none else { return }
        let pairs = dimensions / 2
        for row in 0..<rows {
            for head in 0..<heads {
                let base = (row * heads + head) * headDimension
                for i in 0..<pairs {
                    let cosine = cosines[row * pairs + i], sine = sines[row * pairs + i]
                    let (a, b) = style == .adjacentPairs ? (base + 2 * i, base + 2 * i + 1) : (base + i, base + i + pairs)
                    let x0 = x[a], x1 = x[b]
                    x[a] = x0 * cosine - x1 * sine
                    x[b] = x0 * sine + x1 * cosine
                }
            }
        }
    }
}

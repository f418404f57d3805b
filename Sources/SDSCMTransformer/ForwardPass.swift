import Foundation
import SDSCMTensors

/// A float buffer owned by one forward pass (activations are handed to kernels by pointer).
final class Buffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    /// Start of row `row` of a row-major matrix with `width` columns.
    @inline(__always) func row(_ row: Int, width: Int) -> UnsafeMutablePointer<Float> { pointer + row * width }

    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// One evaluation through all transformer blocks, for a batch of rows that may belong to different sequences.
///
/// Row r is token `tokens[r]` at absolute position `positions[r]` of the sequence stored in cache `cacheOfRow[r]`.
/// The caller has already appended the tokens to the caches (so their blocks are allocated and unshared); this
/// pass writes each layer's keys and values there and returns the final hidden states (before the output norm)
/// of the rows that have outputs.
///
/// Rows without an output still need every layer's keys and values (later tokens attend to them), but nothing
/// else of the last layer: there only they get their key and value projections, which saves about one layer's
/// products for each of them (llama.cpp's graph drops them before the last feed-forward network). Each row's
/// arithmetic is the same either way.
struct ForwardPass {
    let model: TransformerModel
    let tokens: [Int]
    let positions: [Int]
    let cacheOfRow: [Int]
    /// Ascending, distinct rows whose final hidden states are returned; nil for every row.
    let outputRows: [Int]?

    init(model: TransformerModel, tokens: [Int], positions: [Int], cacheOfRow: [Int], outputRows: [Int]? = nil) {
        self.model = model
        self.tokens = tokens
        self.positions = positions
        self.cacheOfRow = cacheOfRow
        self.outputRows = outputRows
    }

    /// Runs the blocks and returns the hidden states of `outputRows` (every row when nil), in that order.
    func run(caches: [KVCache]) throws -> [Float] {
        let c = model.configuration
        let w = model.weights
        let pool = model.pool
        let rowCount = tokens.count
        let e = c.embeddingLength, qw = c.queryWidth, kw = c.keyValueWidth, f = c.feedForwardLength

        let residual = Buffer(rowCount * e), normed = Buffer(rowCount * e)
        let queries = Buffer(rowCount * qw), keys = Buffer(rowCount * kw), values = Buffer(rowCount * kw)
        let fused = Buffer(c.architecture.fusedQKV ? rowCount * (qw + 2 * kw) : 0)
        let attention = Buffer(rowCount * qw), projected = Buffer(rowCount * e)
        let hidden1 = Buffer(rowCount * f)
        let hidden2 = Buffer(c.architecture.feedForward == .gelu ? 0 : rowCount * f)
        let globalRope = RotaryTable(configuration: c, base: c.ropeBase, positionScale: c.ropePositionScale,
                                     positions: positions, numerics: model.numerics)
        // Sliding-window layers rotate with their own base (Gemma 3: 10 000 against 1 000 000).
        let localRope = c.slidingLayers.contains(true)
            ? RotaryTable(configuration: c, base: c.localRopeBase, positionScale: 1, positions: positions,
                          numerics: model.numerics) : globalRope

        // Embeddings (plus learned positions).
        for row in 0..<rowCount {
            try w.tokenEmbedding.dequantizedRow(tokens[row]).withUnsafeBufferPointer {
                residual.row(row, width: e).update(from: $0.baseAddress!, count: e)
            }
            if let positionEmbedding = w.positionEmbedding {
                try positionEmbedding.dequantizedRow(positions[row]).withUnsafeBufferPointer {
                    VectorMath.add(residual.row(row, width: e), $0.baseAddress!, count: e)
                }
            }
        }
        if c.architecture.scalesEmbeddings {
            // √embedding rounded to float first, as llama.cpp's `sqrtf(n_embd)`.
            let scale = Float(e).squareRoot()
            for i in 0..<residual.count { residual.pointer[i] *= scale }
        }

        // Rows that go through the whole of the current layer: all of them, then only `outputRows` in the last
        // layer (moved to the front of each buffer, in order).
        var active = rowCount
        var activeRows = Array(0..<rowCount)
        for (layerIndex, layer) in w.layers.enumerated() {
            let last = layerIndex == w.layers.count - 1
            let subset = last ? outputRows.flatMap { $0.count < rowCount ? $0 : nil } : nil
            // Attention block.
            normalize(residual, into: normed, rows: rowCount, width: e, weight: layer.attentionNorm,
                      bias: layer.attentionNormBias)
            if let qkv = layer.fusedQKV {
                multiply([(qkv, layer.fusedQKVBias, fused)], normed, rowCount, pool: pool)
                splitFused(fused, rows: rowCount, queryWidth: qw, keyValueWidth: kw, queries, keys, values)
                if let subset { compact(queries, rows: subset, width: qw) }
            } else if let subset {
                multiply([(layer.key!, layer.keyBias, keys), (layer.value!, layer.valueBias, values)], normed, rowCount,
                         pool: pool)
                if !subset.isEmpty {
                    compact(normed, rows: subset, width: e)
                    multiply([(layer.query!, layer.queryBias, queries)], normed, subset.count, pool: pool)
                }
            } else {
                multiply([(layer.query!, layer.queryBias, queries), (layer.key!, layer.keyBias, keys),
                          (layer.value!, layer.valueBias, values)], normed, rowCount, pool: pool)
            }
            if let subset {
                active = subset.count
                activeRows = subset
                compact(residual, rows: subset, width: e)
            }
            if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm {
                normalizeHeads(queries, count: active * c.headCount, dimension: c.headDimension, weight: queryNorm)
                normalizeHeads(keys, count: rowCount * c.keyValueHeadCount, dimension: c.headDimension, weight: keyNorm)
            }
            let sliding = c.slidingLayers[layerIndex]
            let rope = sliding ? localRope : globalRope
            (subset.map { rope.selecting(rows: $0) } ?? rope).apply(to: queries.pointer, rows: active, heads: c.headCount)
            rope.apply(to: keys.pointer, rows: rowCount, heads: c.keyValueHeadCount)
            storeKeysAndValues(keys, values, layer: layerIndex, caches: caches, width: kw)
            if active == 0 { break }
            attend(queries: queries, rows: activeRows, layer: layerIndex, window: sliding ? c.slidingWindow : nil,
                   caches: caches, into: attention)
            multiply([(layer.attentionOutput, layer.attentionOutputBias, projected)], attention, active, pool: pool)
            if let postNorm = layer.postAttentionNorm {
                normalizeInPlace(projected, rows: active, width: e, weight: postNorm)
            }
            VectorMath.add(residual.pointer, projected.pointer, count: active * e)

            // Feed-forward block.
            normalize(residual, into: normed, rows: active, width: e, weight: layer.feedForwardNorm,
                      bias: layer.feedForwardNormBias)
            switch c.architecture.feedForward {
            case .gatedSiLU:
                multiply([(layer.gate!, nil, hidden1), (layer.up, layer.upBias, hidden2)], normed, active, pool: pool)
                if model.numerics == .llamaCpp {
                    for row in 0..<active {
                        LlamaCppVectorMath.swiglu(hidden1.row(row, width: f), times: hidden2.row(row, width: f), count: f)
                    }
                } else {
                    VectorMath.silu(hidden1.pointer, count: active * f)
                    VectorMath.multiply(hidden1.pointer, by: hidden2.pointer, count: active * f)
                }
            case .gatedGELU:
                multiply([(layer.gate!, nil, hidden1), (layer.up, layer.upBias, hidden2)], normed, active, pool: pool)
                if model.numerics == .llamaCpp {
                    LlamaCppVectorMath.geglu(hidden1.pointer, times: hidden2.pointer, count: active * f)
                } else {
                    VectorMath.gelu(hidden1.pointer, count: active * f)
                    VectorMath.multiply(hidden1.pointer, by: hidden2.pointer, count: active * f)
                }
            case .gelu:
                multiply([(layer.up, layer.upBias, hidden1)], normed, active, pool: pool)
                if model.numerics == .llamaCpp {
                    LlamaCppVectorMath.gelu(hidden1.pointer, count: active * f)
                } else {
                    VectorMath.gelu(hidden1.pointer, count: active * f)
                }
            }
            multiply([(layer.down, layer.downBias, projected)], hidden1, active, pool: pool)
            if let postNorm = layer.postFeedForwardNorm {
                normalizeInPlace(projected, rows: active, width: e, weight: postNorm)
            }
            VectorMath.add(residual.pointer, projected.pointer, count: active * e)
        }
        return Array(UnsafeBufferPointer(start: residual.pointer, count: active * e))
    }

    // MARK: Steps

    /// Moves rows `rows` (ascending) of a row-major buffer to its first rows, in order.
    private func compact(_ buffer: Buffer, rows: [Int], width: Int) {
        for (slot, row) in rows.enumerated() where slot != row {
            buffer.row(slot, width: width).update(from: buffer.row(row, width: width), count: width)
        }
    }

    private func normalize(
        _ input: Buffer, into output: Buffer, rows: Int, width: Int, weight: [Float], bias: [Float]?
    ) {
        model.configuration.normalize(input.pointer, rows: rows, width: width, weight: weight, bias: bias,
                                      numerics: model.numerics, into: output.pointer)
    }

    /// RMSNorm of each row of `x` in place (Gemma's post-attention and post-feed-forward norms).
    private func normalizeInPlace(_ x: Buffer, rows: Int, width: Int, weight: [Float]) {
        normalizeHeads(x, count: rows, dimension: width, weight: weight)
    }

    /// Per-head RMSNorm (Qwen 3's and Gemma 3's query/key norm).
    private func normalizeHeads(_ x: Buffer, count: Int, dimension: Int, weight: [Float]) {
        let scratch = Buffer(dimension)
        weight.withUnsafeBufferPointer { w in
            for index in 0..<count {
                let head = x.row(index, width: dimension)
                VectorMath.rmsNorm(head, weight: w.baseAddress!, count: dimension,
                                   epsilon: model.configuration.normEpsilon, numerics: model.numerics,
                                   into: scratch.pointer)
                head.update(from: scratch.pointer, count: dimension)
            }
        }
    }

    /// Products of one input with one or more matrices, in a single thread dispatch, then their biases.
    private func multiply(_ targets: [(WeightMatrix, [Float]?, Buffer)], _ input: Buffer, _ rows: Int, pool: ComputePool) {
        WeightMatrix.multiply(targets.map { ($0.0, $0.2.pointer) }, input: input.pointer, rows: rows,
                              numerics: model.numerics, pool: pool)
        for (weights, bias, output) in targets {
            guard let bias else { continue }
            bias.withUnsafeBufferPointer { b in
                for row in 0..<rows { VectorMath.add(output.row(row, width: weights.rows), b.baseAddress!, count: weights.rows) }
            }
        }
    }

    /// Splits fused [Q | K | V] rows (GPT-2's `attn_qkv`).
    private func splitFused(
        _ fused: Buffer, rows: Int, queryWidth: Int, keyValueWidth: Int, _ queries: Buffer, _ keys: Buffer, _ values: Buffer
    ) {
        let total = queryWidth + 2 * keyValueWidth
        for row in 0..<rows {
            let source = fused.row(row, width: total)
            queries.row(row, width: queryWidth).update(from: source, count: queryWidth)
            keys.row(row, width: keyValueWidth).update(from: source + queryWidth, count: keyValueWidth)
            values.row(row, width: keyValueWidth).update(from: source + queryWidth + keyValueWidth, count: keyValueWidth)
        }
    }

    private func storeKeysAndValues(_ keys: Buffer, _ values: Buffer, layer: Int, caches: [KVCache], width: Int) {
        for row in 0..<tokens.count {
            let cache = caches[cacheOfRow[row]]
            cache.pointer(layer: layer, value: false, position: positions[row]).update(from: keys.row(row, width: width), count: width)
            cache.pointer(layer: layer, value: true, position: positions[row]).update(from: values.row(row, width: width), count: width)
        }
    }

    /// Causal attention of every row over its own cache, one (row, key/value head) pair per task: the query heads
    /// that share a key/value head read each block of keys while it is in L1. With a `window`, a row at position p
    /// sees only positions p − window + 1 … p (older keys stay in the cache but are masked, as llama.cpp's
    /// sliding-window layers do).
    ///
    /// Query and output row i belong to batch row `rows[i]`.
    private func attend(queries: Buffer, rows: [Int], layer: Int, window: Int?, caches: [KVCache], into output: Buffer) {
        let c = model.configuration
        let heads = c.headCount, dimension = c.headDimension
        let kvHeads = c.keyValueHeadCount
        let group = heads / kvHeads
        let scale = c.attentionScale
        let tasks = rows.count * kvHeads
        // Tasks are dealt round-robin: later rows attend over longer prefixes, so contiguous ranges would leave
        // the last thread with most of the work.
        let maxPosition = rows.lazy.map { self.positions[$0] }.max() ?? 0
        // Attention over a few short prefixes is cheaper than waking the workers.
        let work = rows.count * heads * (maxPosition + 1) * dimension
        let parts = work < 1 << 15 ? 1 : min(model.pool.threads, tasks)
        let positions = self.positions, cacheOfRow = self.cacheOfRow
        let box = UncheckedSendable((queries.pointer, output.pointer))
        // llama.cpp's order (`LlamaCppAttention`) in that numerics mode; its Gemma graph scales the queries.
        let llamaCpp = model.numerics == .llamaCpp
        let queryScale = c.architecture.scalesQueries ? scale : nil
        model.pool.run(parts: parts) { part in
            let (q, out) = box.value
            // Each order has its own buffers; the other's stay empty.
            let cells = llamaCpp ? 0 : maxPosition + 1
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: group * cells)
            let keys = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: cells)
            let values = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: cells)
            let scratch = llamaCpp ? LlamaCppAttention.Scratch(cells: maxPosition + 1, dimension: dimension) : nil
            defer { scores.deallocate(); keys.deallocate(); values.deallocate() }
            for task in stride(from: part, to: tasks, by: parts) {
                let row = task / kvHeads, kvHead = task % kvHeads
                let cache = caches[cacheOfRow[rows[row]]]
                let position = positions[rows[row]]
                let first = window.map { max(0, position - $0 + 1) } ?? 0
                let count = position - first + 1
                let firstHead = kvHead * group
                if let scratch {
                    scratch.gather(first: first, last: position) { cell in
                        (UnsafePointer(cache.pointer(layer: layer, value: false, position: cell) + kvHead * dimension),
                         UnsafePointer(cache.pointer(layer: layer, value: true, position: cell) + kvHead * dimension))
                    }
                    LlamaCppAttention.attend(
                        queries: q + (row * heads + firstHead) * dimension, heads: group, dimension: dimension,
                        first: first, last: position, scale: scale, queryScale: queryScale, scratch: scratch,
                        into: out + (row * heads + firstHead) * dimension)
                    continue
                }
                for j in 0..<count {
                    keys[j] = UnsafePointer(cache.pointer(layer: layer, value: false, position: first + j) + kvHead * dimension)
                    values[j] = UnsafePointer(cache.pointer(layer: layer, value: true, position: first + j) + kvHead * dimension)
                }
                // Every score and every output element is summed in the same order as one key at a time would
                // (VectorMath.dot; one multiply-add per key for each output element), so results do not depend on
                // batching; the grouping only hides latency and reuses loaded keys.
                var j = 0
                while j + 8 <= count {
                    for h in 0..<group {
                        let query = q + row * heads * dimension + (firstHead + h) * dimension
                        VectorMath.dot8(query, keys + j, count: dimension, into: scores + h * count + j)
                    }
                    j += 8
                }
                for h in 0..<group {
                    let query = q + row * heads * dimension + (firstHead + h) * dimension
                    let headScores = scores + h * count
                    for k in j..<count { headScores[k] = VectorMath.dot(query, keys[k], count: dimension) }
                    for k in 0..<count { headScores[k] *= scale }
                    VectorMath.softmax(headScores, count: count)
                    VectorMath.weightedSum(values, weights: headScores, count: count, dimension: dimension,
                                           into: out + row * heads * dimension + (firstHead + h) * dimension)
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
    /// llama.cpp's table and rotation (`LlamaCppRotary`) instead of the Double-precision table.
    let followsLlamaCpp: Bool

    init(configuration c: ModelConfiguration, base: Float, positionScale: Float, positions: [Int], numerics: NumericsMode) {
        style = c.architecture.rotary
        followsLlamaCpp = numerics == .llamaCpp
        dimensions = c.ropeDimensions
        headDimension = c.headDimension
        let pairs = c.ropeDimensions / 2
        var cosines = [Float](repeating: 1, count: positions.count * pairs)
        var sines = [Float](repeating: 0, count: positions.count * pairs)
        if style != .none && followsLlamaCpp {
            cosines.withUnsafeMutableBufferPointer { cosines in
                sines.withUnsafeMutableBufferPointer { sines in
                    for (row, position) in positions.enumerated() {
                        LlamaCppRotary.table(position: position, pairs: pairs, dimensions: c.ropeDimensions, base: base,
                                             frequencyScale: positionScale, cosines: cosines.baseAddress! + row * pairs,
                                             sines: sines.baseAddress! + row * pairs)
                    }
                }
            }
        } else if style != .none {
            for (row, position) in positions.enumerated() {
                for i in 0..<pairs {
                    let angle = Double(Float(position) * positionScale)
                    let theta = angle * Foundation.pow(Double(base), -2 * Double(i) / Double(c.ropeDimensions))
                    cosines[row * pairs + i] = Float(Foundation.cos(theta))
                    sines[row * pairs + i] = Float(Foundation.sin(theta))
                }
            }
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// The table of rows `rows` of this one's batch, in that order.
    func selecting(rows: [Int]) -> RotaryTable {
        let pairs = dimensions / 2
        return RotaryTable(style: style, dimensions: dimensions, headDimension: headDimension,
                           cosines: rows.flatMap { cosines[($0 * pairs)..<(($0 + 1) * pairs)] },
                           sines: rows.flatMap { sines[($0 * pairs)..<(($0 + 1) * pairs)] },
                           followsLlamaCpp: followsLlamaCpp)
    }

    private init(style: Architecture.RotaryStyle, dimensions: Int, headDimension: Int, cosines: [Float], sines: [Float],
                 followsLlamaCpp: Bool) {
        self.style = style
        self.dimensions = dimensions
        self.headDimension = headDimension
        self.cosines = cosines
        self.sines = sines
        self.followsLlamaCpp = followsLlamaCpp
    }

    /// Rotates the first `dimensions` channels of each head of each row.
    func apply(to x: UnsafeMutablePointer<Float>, rows: Int, heads: Int) {
        guard style != .none else { return }
        let pairs = dimensions / 2
        for row in 0..<rows {
            for head in 0..<heads {
                let base = x + (row * heads + head) * headDimension
                for i in 0..<pairs {
                    let cosine = cosines[row * pairs + i], sine = sines[row * pairs + i]
                    let (a, b) = style == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + pairs)
                    let x0 = base[a], x1 = base[b]
                    if followsLlamaCpp {
                        (base[a], base[b]) = LlamaCppRotary.rotate(x0, x1, cosine: cosine, sine: sine)
                    } else {
                        base[a] = x0 * cosine - x1 * sine
                        base[b] = x0 * sine + x1 * cosine
                    }
                }
            }
        }
    }
}

import Foundation
import SDSCMRandomness

/// The dense ELU networks behind TNet and TARNet (`NeuralLearners`), in Float32 because that is what catenets'
/// jax code trains in, so rounding and step sizes behave alike.
///
/// Parameters live in one flat buffer whose rows and columns are padded to multiples of 8 with zeros, so that the
/// matrix kernels run whole SIMD8 lanes without tails; padded weights get zero gradients and stay zero under Adam,
/// so they never change a result. `parameters` hides the padding.
public struct NeuralNetwork: Sendable {
    /// Which nets catenets builds: each hidden layer is Dense + ELU, each output a linear Dense(1).
    public enum Architecture: Sendable, Equatable {
        /// One stack of hidden layers and one output: catenets' per-arm network in TNet.
        case single(hidden: [Int])
        /// A shared representation (hidden layers only) feeding two heads (hidden layers and an output each); a
        /// unit's treatment picks the head its outcome trains: TARNet (catenets' SNet1).
        case twoHeads(representation: [Int], head: [Int])
    }

    /// One dense layer's place in the flat parameter buffer.
    struct Layer: Sendable {
        var inputs: Int, outputs: Int
        /// Padded widths: the row strides of the layer's input and output activations.
        var inputStride: Int, outputStride: Int
        /// Offsets of the weights (inputStride × outputStride, input-major like jax's `x · W`) and the biases.
        var weights: Int, biases: Int
        var activated: Bool
    }

    /// The number of covariates each row must have.
    public let inputCount: Int
    /// The layer widths and wiring.
    public let architecture: Architecture
    /// Stacks in evaluation order: `[net]` for `.single`, `[representation, head0, head1]` for `.twoHeads`.
    let stacks: [[Layer]]
    /// All parameters, padded (see the type's comment).
    var values: [Float]

    /// A freshly initialized network as jax's stax builds one: weights Glorot-normal truncated at two standard
    /// deviations (jax's `glorot_normal`, standard deviation √(2 / (fan_in + fan_out))), biases N(0, 0.01²).
    /// Every draw is keyed by (stack, layer, element), so it does not depend on the order of initialization.
    public init(inputCount: Int, architecture: Architecture, seed: UInt64, stream: UInt64 = 0) {
        precondition(inputCount > 0, "a network needs at least one input")
        self.inputCount = inputCount
        self.architecture = architecture
        var plans: [[(width: Int, activated: Bool)]]
        switch architecture {
        case .single(let hidden):
            plans = [hidden.map { ($0, true) } + [(1, false)]]
        case .twoHeads(let representation, let head):
            let headPlan = head.map { ($0, true) } + [(1, false)]
            plans = [representation.map { ($0, true) }, headPlan, headPlan]
        }
        precondition(plans.allSatisfy { plan in plan.allSatisfy { $0.width > 0 } }, "layer widths must be positive")
        var stacks: [[Layer]] = []
        var offset = 0
        for (index, plan) in plans.enumerated() {
            // Heads read the representation's output; everything else reads the covariates.
            var inputs = index > 0 ? (stacks[0].last?.outputs ?? inputCount) : inputCount
            var layers: [Layer] = []
            for step in plan {
                let layer = Layer(inputs: inputs, outputs: step.width, inputStride: Self.padded(inputs),
                                  outputStride: Self.padded(step.width), weights: offset,
                                  biases: offset + Self.padded(inputs) * Self.padded(step.width), activated: step.activated)
                offset = layer.biases + layer.outputStride
                layers.append(layer)
                inputs = step.width
            }
            stacks.append(layers)
        }
        self.stacks = stacks
        var values = [Float](repeating: 0, count: offset)
        let random = Philox(seed: seed, stream: stream)
        for (s, layers) in stacks.enumerated() {
            for (l, layer) in layers.enumerated() {
                let scale = (2 / Double(layer.inputs + layer.outputs)).squareRoot() / Self.truncatedNormalDeviation
                for r in 0..<layer.inputs {
                    for c in 0..<layer.outputs {
                        let z = Self.truncatedNormal(random, UInt64(s), UInt64(2 * l), UInt64(r * layer.outputs + c))
                        values[layer.weights + r * layer.outputStride + c] = Float(z * scale)
                    }
                }
                for c in 0..<layer.outputs {
                    values[layer.biases + c] = Float(0.01 * Self.normal(random, UInt64(s), UInt64(2 * l + 1), UInt64(c), attempt: 0))
                }
            }
        }
        self.values = values
    }

    /// The standard deviation of a standard normal truncated to (−2, 2), which jax divides out so that the
    /// truncated draws keep the Glorot variance.
    static let truncatedNormalDeviation = 0.87962566103423978

    static func padded(_ width: Int) -> Int { (width + 7) / 8 * 8 }

    /// A standard normal (Box–Muller on two words of one Philox block).
    static func normal(_ random: Philox, _ c0: UInt64, _ c1: UInt64, _ c2: UInt64, attempt: UInt64) -> Double {
        Philox.normal(Philox.openUnitInterval(random.word(c0, c1, c2, 4 * attempt)),
                      Philox.openUnitInterval(random.word(c0, c1, c2, 4 * attempt + 1)))
    }

    /// A standard normal conditioned on (−2, 2), by rejection with fresh counters.
    static func truncatedNormal(_ random: Philox, _ c0: UInt64, _ c1: UInt64, _ c2: UInt64) -> Double {
        var attempt: UInt64 = 0
        while true {
            let z = normal(random, c0, c1, c2, attempt: attempt)
            if abs(z) < 2 { return z }
            attempt += 1
        }
    }

    /// How many parameters the network has (weights and biases, no padding).
    public var parameterCount: Int {
        stacks.joined().reduce(0) { $0 + $1.inputs * $1.outputs + $1.outputs }
    }

    /// Every parameter, stack by stack and layer by layer: the weights (input-major: all outputs of input 0, then
    /// input 1, …) and then the biases. Setting it requires `parameterCount` values.
    public var parameters: [Float] {
        get {
            var out: [Float] = []
            out.reserveCapacity(parameterCount)
            for layer in stacks.joined() {
                for r in 0..<layer.inputs {
                    out.append(contentsOf: values[(layer.weights + r * layer.outputStride)..<(layer.weights + r * layer.outputStride + layer.outputs)])
                }
                out.append(contentsOf: values[layer.biases..<(layer.biases + layer.outputs)])
            }
            return out
        }
        set {
            precondition(newValue.count == parameterCount, "expected \(parameterCount) parameters, got \(newValue.count)")
            values = unpaddedToPadded(newValue)
        }
    }

    /// Scatters an unpadded parameter-shaped vector into the padded layout (zeros in the padding).
    func unpaddedToPadded(_ flat: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        var next = 0
        for layer in stacks.joined() {
            for r in 0..<layer.inputs {
                for c in 0..<layer.outputs { out[layer.weights + r * layer.outputStride + c] = flat[next]; next += 1 }
            }
            for c in 0..<layer.outputs { out[layer.biases + c] = flat[next]; next += 1 }
        }
        return out
    }

    /// Gathers the unpadded entries of a padded parameter-shaped vector (the inverse of `unpaddedToPadded`).
    func paddedToUnpadded(_ padded: [Float]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(parameterCount)
        for layer in stacks.joined() {
            for r in 0..<layer.inputs {
                for c in 0..<layer.outputs { out.append(padded[layer.weights + r * layer.outputStride + c]) }
            }
            for c in 0..<layer.outputs { out.append(padded[layer.biases + c]) }
        }
        return out
    }

    /// The outputs for every row: one value (`.single`) or the two heads' values μ0, μ1 (`.twoHeads`).
    public func predict(_ covariates: [[Double]]) -> [[Double]] {
        precondition(covariates.allSatisfy { $0.count == inputCount }, "every row needs \(inputCount) covariates")
        let x = covariates.flatMap { $0.map(Float.init) }
        var trainer = NetworkTrainer(self, rowCapacity: min(max(covariates.count, 1), NetworkTrainer.chunk))
        return trainer.predict(x, rows: Array(covariates.indices))
    }

    /// catenets' training objective on one batch and its gradient with respect to `parameters`: the mean over the
    /// rows of (output − y)², where a `.twoHeads` net scores each row on the head its treatment picks (a `.single`
    /// net ignores `treatment`), plus ½ · penalty · Σ W² over the weights (biases are not penalized).
    public func objective(_ covariates: [[Double]], _ outcome: [Double], treatment: [Int], penalty: Double)
        -> (loss: Double, gradient: [Float])
    {
        precondition(covariates.count == outcome.count && outcome.count == treatment.count && !outcome.isEmpty,
                     "one outcome and one treatment per row")
        precondition(covariates.allSatisfy { $0.count == inputCount }, "every row needs \(inputCount) covariates")
        let x = covariates.flatMap { $0.map(Float.init) }
        var trainer = NetworkTrainer(self, rowCapacity: covariates.count)
        let loss = trainer.lossAndGradient(x, outcome.map(Float.init), treatment, rows: Array(covariates.indices)[...],
                                           penalty: Float(penalty))
        return (loss, paddedToUnpadded(trainer.gradient))
    }
}

/// Adam exactly as `jax.example_libraries.optimizers.adam` writes it, in Float32: m ← (1−β1)g + β1 m,
/// v ← (1−β2)g² + β2 v, x ← x − η · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε), t counting updates from 1.
/// (The ε sits outside the square root, which matters only when gradients vanish.)
public struct AdamOptimizer: Sendable {
    /// The step size η (catenets: 1e-4).
    public var stepSize: Float
    /// Decay rates of the first and second moment estimates, and the denominator's guard.
    public var beta1: Float, beta2: Float, epsilon: Float
    /// The moment estimates, one per parameter.
    public private(set) var firstMoment: [Float], secondMoment: [Float]
    /// Updates applied so far (t − 1 for the next one).
    public private(set) var steps = 0

    /// Zero moments for `parameterCount` parameters.
    public init(parameterCount: Int, stepSize: Float = 1e-4, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.stepSize = stepSize; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        firstMoment = [Float](repeating: 0, count: parameterCount)
        secondMoment = firstMoment
    }

    /// One update of `parameters` against `gradient` (both `parameterCount` long).
    public mutating func update(_ parameters: inout [Float], gradient: [Float]) {
        precondition(parameters.count == firstMoment.count && gradient.count == firstMoment.count, "one gradient per parameter")
        let count = parameters.count
        steps += 1
        let corrections = biasCorrections(steps)
        let (b1, b2, eta, eps) = (beta1, beta2, stepSize, epsilon)
        parameters.withUnsafeMutableBufferPointer { x in
            gradient.withUnsafeBufferPointer { g in
                firstMoment.withUnsafeMutableBufferPointer { m in
                    secondMoment.withUnsafeMutableBufferPointer { v in
                        Self.apply(count: count, x: x.baseAddress!, g: g.baseAddress!, m: m.baseAddress!, v: v.baseAddress!,
                                   beta1: b1, beta2: b2, stepSize: eta, epsilon: eps, corrections: corrections)
                    }
                }
            }
        }
    }

    /// 1 − β1^t and 1 − β2^t.
    func biasCorrections(_ t: Int) -> (Float, Float) {
        (1 - Float(Foundation.pow(Double(beta1), Double(t))), 1 - Float(Foundation.pow(Double(beta2), Double(t))))
    }

    /// The update over raw buffers, eight lanes at a time and a scalar tail.
    static func apply(count: Int, x: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                      v: UnsafeMutablePointer<Float>, beta1: Float, beta2: Float, stepSize: Float, epsilon: Float,
                      corrections: (Float, Float)) {
        // Reciprocals of the corrections, so that each element costs one division and one square root.
        let (c1, c2) = (1 / corrections.0, 1 / corrections.1)
        var i = 0
        while i + 8 <= count {
            let gi = DenseKernels.load(g + i)
            let mi = (1 - beta1) * gi + beta1 * DenseKernels.load(m + i)
            let vi = (1 - beta2) * (gi * gi) + beta2 * DenseKernels.load(v + i)
            DenseKernels.store(mi, m + i); DenseKernels.store(vi, v + i)
            let update = stepSize * (mi * c1) / (DenseKernels.squareRoot(vi * c2) + epsilon)
            DenseKernels.store(DenseKernels.load(x + i) - update, x + i)
            i += 8
        }
        while i < count {
            let gi = g[i]
            let mi = (1 - beta1) * gi + beta1 * m[i]
            let vi = (1 - beta2) * (gi * gi) + beta2 * v[i]
            m[i] = mi; v[i] = vi
            x[i] -= stepSize * (mi * c1) / ((vi * c2).squareRoot() + epsilon)
            i += 1
        }
    }
}

/// A network with what training needs beside it: the gradient, Adam's moments and a scratch arena sized for a
/// number of rows. All work of one step runs over raw pointers into these buffers, taken once per step.
struct NetworkTrainer {
    /// Rows per forward pass when predicting or scoring many rows.
    static let chunk = 256

    var network: NeuralNetwork
    var gradient: [Float]
    var optimizer: AdamOptimizer
    var arena: [Float]
    let layout: ArenaLayout
    /// Row positions within a batch that each head scores.
    var headRows: [[Int]] = [[], []]

    init(_ network: NeuralNetwork, rowCapacity: Int, stepSize: Float = 1e-4) {
        self.network = network
        gradient = [Float](repeating: 0, count: network.values.count)
        optimizer = AdamOptimizer(parameterCount: network.values.count, stepSize: stepSize)
        layout = ArenaLayout(network, rowCapacity: rowCapacity)
        arena = [Float](repeating: 0, count: layout.size)
    }

    var twoHeads: Bool { layout.twoHeads }

    /// Splits batch positions by head (all on head 0 for a single net).
    mutating func assignHeads(_ treatment: [Int], _ rows: ArraySlice<Int>) {
        headRows[0].removeAll(keepingCapacity: true); headRows[1].removeAll(keepingCapacity: true)
        for (position, row) in rows.enumerated() {
            headRows[twoHeads ? treatment[row] : 0].append(position)
        }
    }

    /// The objective (see `NeuralNetwork.objective`) on `rows` of the row-major covariates `x`, its padded
    /// gradient left in `gradient`; the loss is only summed when `wantLoss` (training does not need it).
    @discardableResult
    mutating func lossAndGradient(_ x: [Float], _ y: [Float], _ treatment: [Int], rows: ArraySlice<Int>, penalty: Float,
                                  wantLoss: Bool = true) -> Double {
        precondition(rows.count <= layout.rowCapacity && !rows.isEmpty)
        assignHeads(treatment, rows)
        let layout = self.layout, headRows = self.headRows
        let batch = rows.count
        let scale = 2 / Float(batch)
        var squares = 0.0
        network.values.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                arena.withUnsafeMutableBufferPointer { w in
                    let p = p.baseAddress!, g = g.baseAddress!, w = w.baseAddress!
                    let stacks = layout.stacks
                    // Forward: the covariates of the batch into the first stack's input.
                    x.withUnsafeBufferPointer { xs in
                        DenseKernels.gather(xs.baseAddress!, stride: layout.inputCount, rows: rows, into: w + layout.inputs[0],
                                       stride: stacks[0][0].inputStride)
                    }
                    layout.forward(0, rows: batch, p, w)
                    let heads = layout.twoHeads ? [1, 2] : [0]
                    let trunkStride = stacks[0].last!.outputStride
                    if layout.twoHeads { DenseBuffers.zero(w + layout.trunkGradient, batch * trunkStride) }
                    for (h, s) in heads.enumerated() {
                        let positions = headRows[h]
                        let count = positions.count
                        if layout.twoHeads {
                            DenseKernels.gather(UnsafePointer(w + layout.a[0].last!), stride: trunkStride, rows: positions[...],
                                           into: w + layout.inputs[s], stride: stacks[s][0].inputStride)
                            layout.forward(s, rows: count, p, w)
                        }
                        // The output's gradient: 2(f − y)/batch in column 0, zeros in the padding.
                        let outStride = stacks[s].last!.outputStride
                        let out = w + layout.a[s].last!, dOut = w + layout.scratch0
                        DenseBuffers.zero(dOut, count * outStride)
                        for (k, position) in positions.enumerated() {
                            let residual = out[k * outStride] - y[rows[rows.startIndex + position]]
                            squares += Double(residual) * Double(residual)
                            dOut[k * outStride] = scale * residual
                        }
                        if let dInput = layout.backward(s, rows: count, p, g, w, wantInput: layout.twoHeads) {
                            DenseKernels.scatterAdd(UnsafePointer(dInput), stride: stacks[s][0].inputStride, rows: positions,
                                               into: w + layout.trunkGradient, stride: trunkStride)
                        }
                    }
                    if layout.twoHeads {
                        DenseBuffers.copy(UnsafePointer(w + layout.trunkGradient), to: w + layout.scratch0, batch * trunkStride)
                        _ = layout.backward(0, rows: batch, p, g, w, wantInput: false)
                    }
                    for layer in stacks.joined() {
                        DenseKernels.addScaled(p + layer.weights, penalty, into: g + layer.weights, layer.inputStride * layer.outputStride)
                    }
                }
            }
        }
        return wantLoss ? squares / Double(batch) + 0.5 * Double(penalty) * weightSquares() : .nan
    }

    /// Σ W² over every weight (the padding is zero), summed in Double.
    func weightSquares() -> Double {
        var total = 0.0
        network.values.withUnsafeBufferPointer { p in
            for layer in layout.stacks.joined() {
                for i in layer.weights..<layer.biases { total += Double(p[i] * p[i]) }
            }
        }
        return total
    }

    /// One Adam update from the current gradient.
    mutating func step() {
        optimizer.update(&network.values, gradient: gradient)
    }

    /// The objective without a gradient, over any number of rows (in chunks): catenets' validation loss.
    mutating func loss(_ x: [Float], _ y: [Float], _ treatment: [Int], rows: [Int], penalty: Float) -> Double {
        let outputs = predict(x, rows: rows)
        var squares = 0.0
        for (k, row) in rows.enumerated() {
            let residual = Float(outputs[k][twoHeads ? treatment[row] : 0]) - y[row]
            squares += Double(residual) * Double(residual)
        }
        return squares / Double(rows.count) + 0.5 * Double(penalty) * weightSquares()
    }

    /// Every head's output for `rows` of `x`, in chunks of the arena's capacity.
    mutating func predict(_ x: [Float], rows: [Int]) -> [[Double]] {
        var outputs: [[Double]] = []
        outputs.reserveCapacity(rows.count)
        let layout = self.layout
        let heads = layout.twoHeads ? [1, 2] : [0]
        network.values.withUnsafeBufferPointer { p in
            arena.withUnsafeMutableBufferPointer { w in
                x.withUnsafeBufferPointer { xs in
                    let p = p.baseAddress!, w = w.baseAddress!, stacks = layout.stacks
                    var start = 0
                    while start < rows.count {
                        let end = min(rows.count, start + layout.rowCapacity), count = end - start
                        DenseKernels.gather(xs.baseAddress!, stride: layout.inputCount, rows: rows[start..<end],
                                       into: w + layout.inputs[0], stride: stacks[0][0].inputStride)
                        layout.forward(0, rows: count, p, w)
                        var columns: [[Float]] = []
                        for s in heads {
                            if layout.twoHeads {
                                DenseBuffers.copy(UnsafePointer(w + layout.a[0].last!), to: w + layout.inputs[s], count * stacks[s][0].inputStride)
                                layout.forward(s, rows: count, p, w)
                            }
                            let out = w + layout.a[s].last!, outStride = stacks[s].last!.outputStride
                            columns.append((0..<count).map { out[$0 * outStride] })
                        }
                        for k in 0..<count { outputs.append(columns.map { Double($0[k]) }) }
                        start = end
                    }
                }
            }
        }
        return outputs
    }
}

/// Where each activation and scratch buffer sits in a trainer's arena, and the passes over them.
struct ArenaLayout: Sendable {
    let stacks: [[NeuralNetwork.Layer]]
    let inputCount: Int
    let rowCapacity: Int
    /// Per stack: the gathered input, then per layer the pre-activations z and activations a (the output layer's
    /// a is its z).
    let inputs: [Int], z: [[Int]], a: [[Int]]
    /// Shared scratch: two gradient buffers, the representation's gradient and a transposed weight matrix.
    let scratch0: Int, scratch1: Int, trunkGradient: Int, transposed: Int
    let size: Int

    init(_ network: NeuralNetwork, rowCapacity: Int) {
        stacks = network.stacks
        inputCount = network.inputCount
        self.rowCapacity = rowCapacity
        var offset = 0
        var inputs: [Int] = [], z: [[Int]] = [], a: [[Int]] = []
        var widest = 0
        for layers in network.stacks {
            inputs.append(offset); offset += rowCapacity * layers[0].inputStride
            var zs: [Int] = [], activations: [Int] = []
            for layer in layers {
                widest = max(widest, layer.inputStride, layer.outputStride)
                zs.append(offset); offset += rowCapacity * layer.outputStride
                if layer.activated { activations.append(offset); offset += rowCapacity * layer.outputStride } else { activations.append(zs.last!) }
            }
            z.append(zs); a.append(activations)
        }
        self.inputs = inputs; self.z = z; self.a = a
        scratch0 = offset; offset += rowCapacity * widest
        scratch1 = offset; offset += rowCapacity * widest
        trunkGradient = offset; offset += rowCapacity * (network.stacks[0].last?.outputStride ?? 0)
        transposed = offset; offset += widest * widest
        size = offset
    }

    var twoHeads: Bool { stacks.count == 3 }

    /// Forward through stack `s` for `rows` rows already in its input buffer.
    func forward(_ s: Int, rows: Int, _ p: UnsafePointer<Float>, _ w: UnsafeMutablePointer<Float>) {
        var input = UnsafePointer(w + inputs[s])
        for (l, layer) in stacks[s].enumerated() {
            let zl = w + z[s][l]
            DenseKernels.multiply(m: rows, n: layer.outputStride, k: layer.inputStride, a: input, rowStride: layer.inputStride,
                             columnStride: 1, b: p + layer.weights, bStride: layer.outputStride, c: zl, cStride: layer.outputStride,
                             bias: p + layer.biases)
            if layer.activated { DenseKernels.elu(UnsafePointer(zl), into: w + a[s][l], rows * layer.outputStride) }
            input = UnsafePointer(w + a[s][l])
        }
    }

    /// Backward through stack `s`: the gradient with respect to its output is in `scratch0`; writes the layers'
    /// gradients into `g` and returns where the gradient with respect to the stack's input is, if wanted.
    func backward(_ s: Int, rows: Int, _ p: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                  _ w: UnsafeMutablePointer<Float>, wantInput: Bool) -> UnsafeMutablePointer<Float>? {
        let layers = stacks[s]
        var current = w + scratch0, other = w + scratch1
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            // dA → dZ in place.
            if layer.activated {
                DenseKernels.eluBackward(UnsafePointer(w + z[s][l]), UnsafePointer(w + a[s][l]), current, rows * layer.outputStride)
            }
            let input = UnsafePointer(l == 0 ? w + inputs[s] : w + a[s][l - 1])
            // dW = inputᵀ · dZ: the input read transposed through its strides.
            DenseKernels.multiply(m: layer.inputStride, n: layer.outputStride, k: rows, a: input, rowStride: 1,
                             columnStride: layer.inputStride, b: UnsafePointer(current), bStride: layer.outputStride,
                             c: g + layer.weights, cStride: layer.outputStride, bias: nil)
            DenseKernels.columnSums(UnsafePointer(current), rows: rows, stride: layer.outputStride, into: g + layer.biases)
            if l > 0 || wantInput {
                // dInput = dZ · Wᵀ, with Wᵀ materialized so the kernel reads contiguous rows.
                let t = w + transposed
                DenseKernels.transpose(p + layer.weights, rows: layer.inputStride, columns: layer.outputStride, into: t)
                DenseKernels.multiply(m: rows, n: layer.inputStride, k: layer.outputStride, a: UnsafePointer(current),
                                 rowStride: layer.outputStride, columnStride: 1, b: UnsafePointer(t), bStride: layer.inputStride,
                                 c: other, cStride: layer.inputStride, bias: nil)
                swap(&current, &other)
            }
        }
        return wantInput ? current : nil
    }
}

/// Buffer fills and copies on raw pointers.
enum DenseBuffers {
    @inline(__always) static func zero(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count > 0 { p.update(repeating: 0, count: count) }
    }
    @inline(__always) static func copy(_ from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, _ count: Int) {
        if count > 0 { to.update(from: from, count: count) }
    }
}

/// The hot loops: a register-tiled matrix product, ELU and its derivative, and row movement. Widths passed here
/// are padded to multiples of 8.
enum DenseKernels {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { load(UnsafePointer(p)) }
    @inline(__always) static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// `accumulator + a · b`, fused where the build targets FMA hardware (a libm call per lane otherwise).
    @inline(__always) static func fma(_ accumulator: SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        #if SDSCM_FMA
        return accumulator.addingProduct(a, b)
        #else
        return accumulator + a * b
        #endif
    }

    /// √a for a ≥ 0, eight lanes at once, within about an ulp: two Newton steps for 1/√a from the bit-trick
    /// seed, then one for √a itself. (Swift lowers `squareRoot` to a checked libm call per lane on Linux, which
    /// made Adam a quarter of the training time.) Inputs below 1e-30 count as 1e-30, whose root 1e-15 is far
    /// below Adam's ε.
    @inline(__always) static func squareRoot(_ a: SIMD8<Float>) -> SIMD8<Float> {
        let a = a.replacing(with: 1e-30, where: a .< 1e-30)
        var y = unsafeBitCast(SIMD8<UInt32>(repeating: 0x5F37_5A86) &- (unsafeBitCast(a, to: SIMD8<UInt32>.self) &>> 1),
                              to: SIMD8<Float>.self)
        let half = 0.5 * a
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        let root = a * y
        return fma(root, 0.5 * y, fma(a, root, -root))
    }

    /// The scalar `fma`, with the same rounding rule.
    @inline(__always) static func fma(_ accumulator: Float, _ a: Float, _ b: Float) -> Float {
        #if SDSCM_FMA
        return accumulator.addingProduct(a, b)
        #else
        return accumulator + a * b
        #endif
    }

    /// C[m × n] = A[m × k] · B[k × n] (+ the bias row), n a multiple of 8. A is read through its strides (so a
    /// transposed operand costs nothing); B and C are row-major. Tiles of 4 rows × 16 columns keep eight
    /// accumulators in registers while one row of B streams past.
    static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, rowStride: Int, columnStride: Int,
                         b: UnsafePointer<Float>, bStride: Int, c: UnsafeMutablePointer<Float>, cStride: Int,
                         bias: UnsafePointer<Float>?) {
        var i = 0
        while i + 4 <= m {
            let a0 = a + i * rowStride, a1 = a0 + rowStride, a2 = a1 + rowStride, a3 = a2 + rowStride
            var j = 0
            while j + 16 <= n {
                let start0 = bias.map { load($0 + j) } ?? .zero, start1 = bias.map { load($0 + j + 8) } ?? .zero
                var c00 = start0, c01 = start1, c10 = start0, c11 = start1
                var c20 = start0, c21 = start1, c30 = start0, c31 = start1
                var bp = b + j, offset = 0
                for _ in 0..<k {
                    let b0 = load(bp), b1 = load(bp + 8)
                    let x0 = SIMD8(repeating: a0[offset]), x1 = SIMD8(repeating: a1[offset])
                    c00 = fma(c00, x0, b0); c01 = fma(c01, x0, b1)
                    c10 = fma(c10, x1, b0); c11 = fma(c11, x1, b1)
                    let x2 = SIMD8(repeating: a2[offset]), x3 = SIMD8(repeating: a3[offset])
                    c20 = fma(c20, x2, b0); c21 = fma(c21, x2, b1)
                    c30 = fma(c30, x3, b0); c31 = fma(c31, x3, b1)
                    bp += bStride; offset += columnStride
                }
                let r = c + i * cStride + j
                store(c00, r); store(c01, r + 8)
                store(c10, r + cStride); store(c11, r + cStride + 8)
                store(c20, r + 2 * cStride); store(c21, r + 2 * cStride + 8)
                store(c30, r + 3 * cStride); store(c31, r + 3 * cStride + 8)
                j += 16
            }
            if j < n {
                let start = bias.map { load($0 + j) } ?? .zero
                var c0 = start, c1 = start, c2 = start, c3 = start
                var bp = b + j, offset = 0
                for _ in 0..<k {
                    let b0 = load(bp)
                    c0 = fma(c0, SIMD8(repeating: a0[offset]), b0); c1 = fma(c1, SIMD8(repeating: a1[offset]), b0)
                    c2 = fma(c2, SIMD8(repeating: a2[offset]), b0); c3 = fma(c3, SIMD8(repeating: a3[offset]), b0)
                    bp += bStride; offset += columnStride
                }
                let r = c + i * cStride + j
                store(c0, r); store(c1, r + cStride); store(c2, r + 2 * cStride); store(c3, r + 3 * cStride)
            }
            i += 4
        }
        while i < m {
            let a0 = a + i * rowStride
            var j = 0
            while j < n {
                var c0 = bias.map { load($0 + j) } ?? .zero
                var bp = b + j, offset = 0
                for _ in 0..<k {
                    c0 = fma(c0, SIMD8(repeating: a0[offset]), load(bp))
                    bp += bStride; offset += columnStride
                }
                store(c0, c + i * cStride + j)
                j += 8
            }
            i += 1
        }
    }

    /// ELU (α = 1): x for x > 0, eˣ − 1 otherwise (jax computes the latter with expm1, as `expm1` here does).
    /// A branch-free plain loop that LLVM vectorizes (a libm call per element took a third of the training time).
    static func elu(_ z: UnsafePointer<Float>, into a: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count {
            let v = z[i]
            let e = expm1(v)
            a[i] = v > 0 ? v : e
        }
    }

    /// eˣ − 1 for x ≤ 0 (positive x give garbage, which `elu` discards), accurate to a few Float ulps.
    /// x = n·ln 2 + r with |r| ≤ ln 2 / 2; eʳ − 1 by its Taylor series to r⁷ (truncation below 2e-8 relative);
    /// then eˣ − 1 = 2ⁿ(eʳ − 1) + (2ⁿ − 1), whose last step is exact for the n that occur.
    @inline(__always) static func expm1(_ x: Float) -> Float {
        let x = Swift.max(x, -87)
        // n = round(x / ln 2) by the 1.5 · 2²³ trick: adding it leaves n in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = fma(magic, x, 1.44269504088896341)
        let n = shifted - magic
        // ln 2 in two parts so that n · ln2High is exact.
        let r = fma(fma(x, n, -0.693145751953125), n, -1.428606765330187e-06)
        var p: Float = 1 / 5040
        p = fma(1 / 720, p, r)
        p = fma(1 / 120, p, r)
        p = fma(1 / 24, p, r)
        p = fma(1 / 6, p, r)
        p = fma(0.5, p, r)
        p = fma(1, p, r)
        p *= r
        let integer = Int32(bitPattern: shifted.bitPattern) &- Int32(bitPattern: magic.bitPattern)
        let scale = Float(bitPattern: UInt32(bitPattern: (integer &+ 127) &<< 23))
        return fma(scale - 1, scale, p)
    }

    /// dZ = dA · ELU′(z) in place, where ELU′ is 1 for z > 0 and eᶻ = a + 1 otherwise.
    static func eluBackward(_ z: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ gradient: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        let one = SIMD8<Float>(repeating: 1)
        while i + 8 <= count {
            let slope = one.replacing(with: load(a + i) + one, where: load(z + i) .<= 0)
            store(load(gradient + i) * slope, gradient + i)
            i += 8
        }
        while i < count {
            if z[i] <= 0 { gradient[i] *= a[i] + 1 }
            i += 1
        }
    }

    /// The column sums of a rows × stride block (the bias gradient).
    static func columnSums(_ p: UnsafePointer<Float>, rows: Int, stride: Int, into out: UnsafeMutablePointer<Float>) {
        var j = 0
        while j < stride {
            var sum = SIMD8<Float>.zero
            for r in 0..<rows { sum += load(p + r * stride + j) }
            store(sum, out + j)
            j += 8
        }
    }

    /// out += scale · p.
    static func addScaled(_ p: UnsafePointer<Float>, _ scale: Float, into out: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i + 8 <= count { store(fma(load(out + i), SIMD8(repeating: scale), load(p + i)), out + i); i += 8 }
        while i < count { out[i] += scale * p[i]; i += 1 }
    }

    /// The rows × columns matrix transposed into columns × rows.
    static func transpose(_ p: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            for c in 0..<columns { out[c * rows + r] = p[r * columns + c] }
        }
    }

    /// The listed rows of a matrix with `stride` columns copied into consecutive rows of `out` (wider: zero padded).
    static func gather(_ p: UnsafePointer<Float>, stride: Int, rows: ArraySlice<Int>, into out: UnsafeMutablePointer<Float>, stride outStride: Int) {
        for (k, row) in rows.enumerated() {
            let target = out + k * outStride
            target.update(from: p + row * stride, count: stride)
            if outStride > stride { (target + stride).update(repeating: 0, count: outStride - stride) }
        }
    }

    /// Row k of `p` added to row `rows[k]` of `out` (both `stride` wide).
    static func scatterAdd(_ p: UnsafePointer<Float>, stride: Int, rows: [Int], into out: UnsafeMutablePointer<Float>, stride outStride: Int) {
        for (k, row) in rows.enumerated() {
            let source = p + k * stride, target = out + row * outStride
            var j = 0
            while j < outStride { store(load(target + j) + load(source + j), target + j); j += 8 }
        }
    }
}

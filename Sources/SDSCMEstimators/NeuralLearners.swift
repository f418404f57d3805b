import Foundation
import SDSCMRandomness

/// The paper's neural T-learners, TNet and TARNet, as catenets 0.2.4's jax `TNet()` and `SNet1()` train them with
/// their defaults (Documentation/EstimatorReferences.md §6): ELU nets, Adam at 1e-4, minibatches of 100, an L2
/// penalty of 1e-4 on the weights, and early stopping on a 30% validation split.
///
/// Like catenets, nothing is standardized: the nets see the raw covariates and outcomes. Its quirks are kept
/// because they change the fits: each epoch's last minibatch ends one row early, TNet's patience only starts
/// counting after 200 updates and both of its arm nets start from the same initial weights, TARNet's validation
/// split is stratified on the treatment, and both return the parameters they have when patience runs out (not
/// the best ones). The splits, shuffles and initial weights draw from Philox rather than NumPy and jax, so the
/// estimates equal catenets' in distribution over seeds, not run for run.
public enum NeuralLearners {
    /// catenets' defaults for `TNet()` and `SNet1()`, and the seed of every random draw.
    public struct Settings: Sendable, Equatable {
        /// Widths of the representation layers: TNet's first hidden layers, TARNet's shared representation.
        public var representationWidths = [200, 200, 200]
        /// Widths of the hidden layers of each outcome head, before its linear output.
        public var headWidths = [100, 100]
        /// Adam's step size.
        public var stepSize = 1e-4
        /// Rows per minibatch.
        public var batchSize = 100
        /// The most epochs (passes over the training rows) before training stops without early stopping.
        public var maxEpochs = 10_000
        /// The L2 penalty λ in ½ · λ · Σ W² (weights only).
        public var penalty = 1e-4
        /// The share of rows held out to decide when to stop.
        public var validationFraction = 0.3
        /// Epochs without a better validation loss tolerated before stopping.
        public var patience = 10
        /// Minibatch updates before early stopping may stop training.
        public var minimumUpdates = 200
        /// Keys the validation split, the minibatch shuffles and the initial weights.
        public var seed: UInt64 = 0

        /// catenets' defaults with the given seed.
        public init(seed: UInt64 = 0) { self.seed = seed }
    }

    /// TNet: one network per arm (3 × 200 and 2 × 100 ELU layers, then a linear output), each trained on its
    /// arm's rows alone; τ̂(x) = μ̂1(x) − μ̂0(x) for every row and the ATE their mean, without an interval (the
    /// paper reports none).
    public static func tnet(_ data: EstimationData, seed: UInt64 = 0) throws -> EffectEstimate {
        try tnet(data, settings: Settings(seed: seed))
    }

    /// TNet with explicit settings (see `tnet(_:seed:)`).
    public static func tnet(_ data: EstimationData, settings: Settings) throws -> EffectEstimate {
        let problem = try Problem(data, settings)
        var mu: [[Double]] = []
        for arm in 0...1 {
            let rows = data.treatment.indices.filter { data.treatment[$0] == arm }
            // catenets trains both arms with the same seed: the same initial weights, split and shuffle draws.
            let split = problem.split(rows, stratified: false)
            guard split.training.count >= 2, !split.validation.isEmpty else { throw EstimationError.emptyArm(treated: arm == 1) }
            let network = NeuralNetwork(inputCount: problem.columns,
                                        architecture: .single(hidden: settings.representationWidths + settings.headWidths),
                                        seed: settings.seed, stream: Streams.initialization)
            var trainer = problem.train(network, split, rule: .tnet)
            mu.append(trainer.predict(problem.x, rows: Array(data.outcome.indices)).map { $0[0] })
        }
        return try estimate(zip(mu[1], mu[0]).map { $0 - $1 })
    }

    /// TARNet (catenets' SNet1): a shared representation of 3 × 200 ELU layers and two heads of 2 × 100 ELU
    /// layers and a linear output, each row's outcome training the head of its arm; τ̂(x) = μ̂1(x) − μ̂0(x) for every
    /// row and the ATE their mean, without an interval.
    public static func tarnet(_ data: EstimationData, seed: UInt64 = 0) throws -> EffectEstimate {
        try tarnet(data, settings: Settings(seed: seed))
    }

    /// TARNet with explicit settings (see `tarnet(_:seed:)`).
    public static func tarnet(_ data: EstimationData, settings: Settings) throws -> EffectEstimate {
        let problem = try Problem(data, settings)
        let split = problem.split(Array(data.outcome.indices), stratified: true)
        guard split.training.count >= 2, !split.validation.isEmpty else {
            throw EstimationError.invalidData("\(split.training.count) training and \(split.validation.count) validation rows")
        }
        let network = NeuralNetwork(inputCount: problem.columns,
                                    architecture: .twoHeads(representation: settings.representationWidths, head: settings.headWidths),
                                    seed: settings.seed, stream: Streams.initialization)
        var trainer = problem.train(network, split, rule: .tarnet)
        return try estimate(trainer.predict(problem.x, rows: Array(data.outcome.indices)).map { $0[1] - $0[0] })
    }

    /// The estimate from per-row effects; a net that diverged is an error, not a NaN estimate.
    static func estimate(_ cate: [Double]) throws -> EffectEstimate {
        guard cate.allSatisfy({ $0.isFinite }) else {
            throw EstimationError.invalidData("the network diverged (non-finite predictions)")
        }
        return EffectEstimate(ate: Statistics.mean(cate), cate: cate, standardError: nil)
    }

    /// Philox streams, one per purpose, so that the draws of one purpose never shift another's.
    enum Streams {
        static let initialization: UInt64 = 0x4E4E_0000
        static let split: UInt64 = 0x4E4E_0001
        static let shuffle: UInt64 = 0x4E4E_0002
    }

    /// catenets' two stopping rules.
    enum StoppingRule {
        /// train_output_net_only: patience counts only once the minimum number of updates has passed.
        case tnet
        /// train_snet1: patience counts from the first epoch; the minimum only gates the stop, and a NaN
        /// validation loss returns the best parameters so far.
        case tarnet
    }

    /// Training rows and validation rows.
    struct Split { var training: [Int], validation: [Int] }

    /// The data in Float32 (as jax holds it), checked, with the settings.
    struct Problem {
        let x: [Float], y: [Float], treatment: [Int]
        let columns: Int
        let settings: Settings

        init(_ data: EstimationData, _ settings: Settings) throws {
            let columns = data.covariates.first?.count ?? 0
            guard columns > 0 else { throw EstimationError.invalidData("no covariates") }
            if let bad = data.covariates.firstIndex(where: { $0.count != columns }) {
                throw EstimationError.invalidData("row \(bad) has \(data.covariates[bad].count) covariates, row 0 has \(columns)")
            }
            if let bad = data.covariates.firstIndex(where: { $0.contains { !$0.isFinite || abs($0) > Double(Float.greatestFiniteMagnitude) } }) {
                throw EstimationError.invalidData("row \(bad) has a covariate that is not a finite Float")
            }
            if let bad = data.outcome.firstIndex(where: { !$0.isFinite || abs($0) > Double(Float.greatestFiniteMagnitude) }) {
                throw EstimationError.invalidData("outcome of row \(bad) is not a finite Float")
            }
            // Each arm needs a validation row and two training rows (the last minibatch drops one); the split
            // checks again for the settings' fraction.
            let treated = data.treatment.reduce(0, +)
            guard treated >= 3 else { throw EstimationError.emptyArm(treated: true) }
            guard data.treatment.count - treated >= 3 else { throw EstimationError.emptyArm(treated: false) }
            guard settings.batchSize > 0, settings.maxEpochs > 0, settings.patience >= 0, settings.stepSize > 0,
                  settings.penalty >= 0, settings.validationFraction > 0, settings.validationFraction < 1,
                  !settings.representationWidths.isEmpty, (settings.representationWidths + settings.headWidths).allSatisfy({ $0 > 0 })
            else { throw EstimationError.invalidData("neural network settings out of range: \(settings)") }
            self.columns = columns
            self.settings = settings
            x = data.covariates.flatMap { $0.map(Float.init) }
            y = data.outcome.map(Float.init)
            treatment = data.treatment
        }

        /// scikit-learn's `train_test_split(test_size: fraction, shuffle: True)` (stratified on the treatment for
        /// TARNet, as catenets asks): ⌈fraction · n⌉ validation rows, drawn by a Fisher–Yates shuffle per stratum.
        func split(_ rows: [Int], stratified: Bool) -> Split {
            let random = Philox(seed: settings.seed, stream: Streams.split)
            let n = rows.count
            let validationCount = Int((settings.validationFraction * Double(n)).rounded(.up))
            func shuffled(_ rows: [Int], _ stratum: UInt64) -> [Int] {
                var rows = rows
                Philox.shuffle(&rows) { random.word(stratum, UInt64($0), 0, 0) }
                return rows
            }
            guard stratified else {
                let order = shuffled(rows, 0)
                return Split(training: Array(order[validationCount...]), validation: Array(order[..<validationCount]))
            }
            let strata = [rows.filter { treatment[$0] == 0 }, rows.filter { treatment[$0] == 1 }]
            let counts = strata.map(\.count)
            // scikit-learn's allocation: training rows first, then validation rows from what is left.
            let trainingCounts = Self.apportion(counts, n - validationCount)
            let validationCounts = Self.apportion(zip(counts, trainingCounts).map { $0 - $1 }, validationCount)
            var split = Split(training: [], validation: [])
            for (stratum, rows) in strata.enumerated() {
                let order = shuffled(rows, UInt64(stratum + 1))
                split.training += order[..<trainingCounts[stratum]]
                split.validation += order[trainingCounts[stratum]..<(trainingCounts[stratum] + validationCounts[stratum])]
            }
            return split
        }

        /// `draws` shared out in proportion to `counts`: the floors, then one more to the largest remainders
        /// (scikit-learn's `_approximate_mode`, whose random tie-break becomes the lower stratum first).
        static func apportion(_ counts: [Int], _ draws: Int) -> [Int] {
            let total = Double(counts.reduce(0, +))
            let exact = counts.map { Double($0) * Double(draws) / total }
            var out = exact.map { Int($0.rounded(.down)) }
            let order = exact.indices.sorted { (exact[$0] - exact[$0].rounded(.down), -$0) > (exact[$1] - exact[$1].rounded(.down), -$1) }
            var missing = draws - out.reduce(0, +)
            for index in order where missing > 0 && out[index] < counts[index] { out[index] += 1; missing -= 1 }
            return out
        }

        /// catenets' training loop: shuffled minibatches each epoch (the last ending one row early), an Adam
        /// update per minibatch, the validation loss (with the penalty) after each epoch, early stopping by `rule`.
        /// `shuffle` replaces the Philox shuffle of the training rows before each epoch (given the rows and the
        /// epoch), so that a test can replay catenets' own minibatch orders.
        func train(_ network: NeuralNetwork, _ split: Split, rule: StoppingRule,
                   shuffle replay: ((inout [Int], Int) -> Void)? = nil) -> NetworkTrainer {
            let n = split.training.count
            let batchSize = settings.batchSize < n ? settings.batchSize : n
            let batches = settings.batchSize < n ? Int((Double(n) / Double(batchSize)).rounded(.toNearestOrEven)) : 1
            var trainer = NetworkTrainer(network, rowCapacity: max(batchSize, NetworkTrainer.chunk), stepSize: Float(settings.stepSize))
            let shuffle = Philox(seed: settings.seed, stream: Streams.shuffle)
            let penalty = Float(settings.penalty)
            var order = split.training
            var best = Double(Int32.max), bestValues: [Float]? = nil
            var waited = 0
            for epoch in 0..<settings.maxEpochs {
                if let replay { replay(&order, epoch) } else { Philox.shuffle(&order) { shuffle.word(UInt64(epoch), UInt64($0), 0, 0) } }
                for b in 0..<batches {
                    let rows = order[(b * batchSize)..<min((b + 1) * batchSize, n - 1)]
                    trainer.lossAndGradient(x, y, treatment, rows: rows, penalty: penalty, wantLoss: false)
                    trainer.step()
                }
                let current = trainer.loss(x, y, treatment, rows: split.validation, penalty: penalty)
                let pastMinimum = (epoch + 1) * batches > settings.minimumUpdates
                switch rule {
                case .tnet:
                    guard pastMinimum else { continue }
                    if current < best { best = current; waited = 0 } else { waited += 1 }
                    if waited > settings.patience { return trainer }
                case .tarnet:
                    if current < best {
                        best = current; waited = 0; bestValues = trainer.network.values
                    } else {
                        if current.isNaN, let bestValues {
                            trainer.network.values = bestValues
                            return trainer
                        }
                        waited += 1
                    }
                    if waited > settings.patience && pastMinimum { return trainer }
                }
            }
            return trainer
        }
    }
}

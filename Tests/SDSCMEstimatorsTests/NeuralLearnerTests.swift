@testable import SDSCMEstimators
import SDSCMRandomness
import Foundation
import Testing
import SDSCMTestSupport

/// TNet and TARNet (`NeuralLearners`) and the network under them: gradients against finite differences, Adam
/// against a hand calculation, determinism, a simulation with a known effect, and catenets 0.2.4 on the released
/// CSVs (`Tests/Tools/estimator-fixtures/make_catenets_expected.py`).
@Suite struct NeuralLearnerTests {
    #if DEBUG
    static let releaseOnly = false
    #else
    static let releaseOnly = true
    #endif

    /// Uniforms in (0, 1) keyed by (row, column), for test data that does not depend on draw order.
    static func uniform(_ random: Philox, _ row: Int, _ column: Int) -> Double {
        Philox.openUnitInterval(random.word(UInt64(row), UInt64(column), 0, 0))
    }

    static func normal(_ random: Philox, _ row: Int, _ column: Int) -> Double {
        (-2 * log(uniform(random, row, 2 * column))).squareRoot() * cos(2 * Double.pi * uniform(random, row, 2 * column + 1))
    }

    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (u, v) in zip(a, b) { ab += (u - ma) * (v - mb); aa += (u - ma) * (u - ma); bb += (v - mb) * (v - mb) }
        return ab / (aa * bb).squareRoot()
    }

    /// The backward pass equals central finite differences of the objective (squared error on the treatment's
    /// head plus the L2 penalty) for every parameter of a small single net and a small two-headed net. The
    /// network is Float32, so the step is 3e-3 and the rule |Δ| ≤ 2e-3 + 2% of |gradient|.
    @Test func gradientMatchesFiniteDifferences() throws {
        let random = Philox(seed: 5, stream: 1)
        let x = (0..<9).map { i in (0..<3).map { Self.normal(random, i, $0) } }
        let y = (0..<9).map { Self.normal(random, $0, 7) }
        let w = [0, 1, 1, 0, 1, 0, 0, 1, 1]
        for architecture in [NeuralNetwork.Architecture.single(hidden: [6, 5]), .twoHeads(representation: [6, 5], head: [4])] {
            var network = NeuralNetwork(inputCount: 3, architecture: architecture, seed: 3)
            // Larger weights than Glorot's so that the ELUs work on both sides of zero.
            network.parameters = network.parameters.map { $0 * 2.5 }
            let (loss, gradient) = network.objective(x, y, treatment: w, penalty: 0.05)
            #expect(loss.isFinite && gradient.count == network.parameterCount)
            let base = network.parameters
            let h: Float = 3e-3
            var worst = 0.0
            for k in base.indices {
                var plus = base, minus = base
                plus[k] += h; minus[k] -= h
                network.parameters = plus
                let up = network.objective(x, y, treatment: w, penalty: 0.05).loss
                network.parameters = minus
                let down = network.objective(x, y, treatment: w, penalty: 0.05).loss
                let numeric = (up - down) / Double(plus[k] - minus[k])
                let error = abs(numeric - Double(gradient[k]))
                worst = max(worst, error / (2e-3 + 0.02 * abs(Double(gradient[k]))))
                #expect(error <= 2e-3 + 0.02 * abs(Double(gradient[k])), "\(architecture) parameter \(k): \(gradient[k]) vs \(numeric)")
            }
            #expect(worst <= 1, "\(architecture): worst error / tolerance \(worst)")
            print("\(architecture): worst finite-difference error / tolerance \(worst)")
        }
    }

    /// The penalty counts weights only: with every weight zero, the gradient of the biases is that of the squared
    /// error alone and the penalty adds nothing to the loss.
    @Test func penaltySkipsBiases() throws {
        var network = NeuralNetwork(inputCount: 2, architecture: .single(hidden: [3]), seed: 1)
        // Layout: W1 (2 × 3), b1 (3), W2 (3 × 1), b2 (1).
        network.parameters = [0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.3, 0, 0, 0, 0.5]
        let (loss, gradient) = network.objective([[1, 2], [3, 4]], [1, 2], treatment: [0, 0], penalty: 10)
        // Output is b2 = 0.5 for both rows: loss = ((0.5 − 1)² + (0.5 − 2)²)/2 = 1.25, d/db2 = (−1 − 3)/2 = −2.
        #expect(abs(loss - 1.25) < 1e-6)
        #expect(abs(gradient[12] + 2) < 1e-6)
        // W2's gradient is the hidden activation ELU(b1) times the mean residual gradient: no penalty term at 0.
        for (k, b) in [(9, 0.1), (10, 0.2), (11, 0.3)] { #expect(abs(Double(gradient[k]) - (-2 * b)) < 1e-6) }
    }

    /// The ELU, which runs eight lanes at a time with its own eˣ − 1, equals the C library's `expm1f` within 4
    /// Float ulps from −100 to 5 (a 1-1-1 net with unit weights and zero biases outputs ELU(x)).
    @Test func eluMatchesExpm1() throws {
        var network = NeuralNetwork(inputCount: 1, architecture: .single(hidden: [1]), seed: 0)
        network.parameters = [1, 0, 1, 0]
        let xs = (0..<2100).map { -100 + Double($0) * 0.05 } + [-1e-3, -1e-6, -1e-20, 0, 1e-7]
        let outputs = network.predict(xs.map { [$0] }).map { $0[0] }
        var worst: Float = 0
        for (x, f) in zip(xs, outputs) {
            let want = x > 0 ? Float(x) : Foundation.expm1(Float(x))
            let ulps = abs(Float(f) - want) / max(want.magnitude.ulp, Float.leastNormalMagnitude)
            worst = max(worst, ulps)
            #expect(ulps <= 4, "ELU(\(x)) = \(f), expm1f \(want)")
        }
        #expect(worst <= 4, "worst \(worst) ulps")
        print("ELU: worst \(worst) ulps from expm1f")
    }

    /// Two Adam updates equal the formula of `jax.example_libraries.optimizers.adam` evaluated by hand in Double,
    /// over 11 parameters (the eight-lane loop and the scalar tail).
    @Test func adamMatchesHandCalculation() throws {
        var parameters: [Float] = (0..<11).map { Float($0) * 0.25 - 1 }
        let g1: [Float] = (0..<11).map { Float(($0 * 7) % 5) - 2 }
        let g2: [Float] = (0..<11).map { Float($0 % 3) * 0.5 - 0.4 }
        var adam = AdamOptimizer(parameterCount: 11, stepSize: 0.1)
        adam.update(&parameters, gradient: g1)
        adam.update(&parameters, gradient: g2)
        #expect(adam.steps == 2)
        for k in 0..<11 {
            let a = Double(g1[k]), b = Double(g2[k])
            var x = Double(k) * 0.25 - 1
            var m = 0.1 * a, v = 0.001 * a * a
            x -= 0.1 * (m / 0.1) / ((v / 0.001).squareRoot() + 1e-8)
            m = 0.9 * m + 0.1 * b; v = 0.999 * v + 0.001 * b * b
            x -= 0.1 * (m / (1 - 0.81)) / ((v / (1 - 0.999 * 0.999)).squareRoot() + 1e-8)
            #expect(abs(Double(parameters[k]) - x) < 2e-6, "parameter \(k): \(parameters[k]) vs \(x)")
            #expect(abs(Double(adam.firstMoment[k]) - m) < 1e-6 && abs(Double(adam.secondMoment[k]) - v) < 1e-6)
        }
    }

    /// Small nets (debug builds run this quickly) so the determinism and error tests stay cheap.
    static func smallSettings(_ seed: UInt64) -> NeuralLearners.Settings {
        var settings = NeuralLearners.Settings(seed: seed)
        settings.representationWidths = [16, 16]
        settings.headWidths = [8]
        settings.maxEpochs = 40
        settings.minimumUpdates = 20
        settings.stepSize = 1e-2
        return settings
    }

    /// A simulation with a known CATE: covariates N(0, 1), randomized treatment, τ(x) = 1 + x₂, y = μ0(x) + z τ(x) + ε.
    static func simulation(_ n: Int, columns: Int = 5, seed: UInt64 = 11) throws -> (EstimationData, [Double]) {
        let random = Philox(seed: seed, stream: 3)
        var x: [[Double]] = [], z: [Int] = [], y: [Double] = [], tau: [Double] = []
        for i in 0..<n {
            let row = (0..<columns).map { normal(random, i, $0) }
            let treated = uniform(random, i, 100) < 0.5 ? 1 : 0
            let effect = 1 + row[2]
            y.append(0.5 * row[0] + sin(row[1]) + Double(treated) * effect + normal(random, i, 60))
            x.append(row); z.append(treated); tau.append(effect)
        }
        return (try EstimationData(covariates: x, treatment: z, outcome: y), tau)
    }

    /// Same seed, same estimate (bit for bit); another seed, another estimate.
    @Test func deterministicForASeed() throws {
        let (data, _) = try Self.simulation(150, columns: 3)
        for fit in [NeuralLearners.tnet(_:settings:), NeuralLearners.tarnet(_:settings:)] {
            let a = try fit(data, Self.smallSettings(4)), b = try fit(data, Self.smallSettings(4)), c = try fit(data, Self.smallSettings(5))
            #expect(a.cate == b.cate && a.ate == b.ate)
            #expect(a.cate != c.cate)
            #expect(a.cate.count == 150 && a.standardError == nil && a.cateLower == nil)
        }
    }

    /// Bad input is a typed error: an arm with fewer than three rows, non-finite values, ragged rows.
    @Test func badInputThrows() throws {
        let x = (0..<10).map { [Double($0)] }
        let small = try EstimationData(covariates: x, treatment: [1, 1] + [Int](repeating: 0, count: 8), outcome: x.map { $0[0] })
        #expect(throws: EstimationError.emptyArm(treated: true)) { try NeuralLearners.tnet(small) }
        #expect(throws: EstimationError.emptyArm(treated: true)) { try NeuralLearners.tarnet(small) }
        let z = (0..<10).map { $0 % 2 }
        let infinite = try EstimationData(covariates: x, treatment: z, outcome: x.indices.map { $0 == 3 ? .infinity : Double($0) })
        #expect(throws: EstimationError.self) { try NeuralLearners.tnet(infinite) }
        let ragged = try EstimationData(covariates: x.enumerated().map { $0.offset == 4 ? [1, 2] : $0.element }, treatment: z, outcome: x.map { $0[0] })
        #expect(throws: EstimationError.self) { try NeuralLearners.tarnet(ragged) }
        var settings = NeuralLearners.Settings()
        settings.batchSize = 0
        let fine = try EstimationData(covariates: x, treatment: z, outcome: x.map { $0[0] })
        #expect(throws: EstimationError.self) { try NeuralLearners.tnet(fine, settings: settings) }
    }

    /// The known-effect simulation (n = 1,000, five N(0, 1) covariates, τ(x) = 1 + x₂, noise sd 1, randomized
    /// treatment) with catenets' default nets: the ATE lies within 0.2 of the sample's mean τ (about two of its
    /// standard errors) and the CATE correlates with τ above 0.8. Release builds only (two full fits).
    @Test(.enabled(if: releaseOnly, "runs in release builds only (swift test -c release)"))
    func recoversKnownEffect() throws {
        let (data, tau) = try Self.simulation(1000)
        let sate = tau.reduce(0, +) / Double(tau.count)
        for (name, fit) in [("tnet", NeuralLearners.tnet(_:seed:)), ("tarnet", NeuralLearners.tarnet(_:seed:))] {
            let estimate = try fit(data, 0)
            let correlation = Self.pearson(estimate.cate, tau)
            print("\(name): ATE \(estimate.ate) vs \(sate), CATE correlation \(correlation)")
            #expect(abs(estimate.ate - sate) < 0.2, "\(name): ATE \(estimate.ate) vs \(sate)")
            #expect(correlation > 0.8, "\(name): CATE correlation \(correlation)")
        }
    }

    /// A quick version for debug builds: small nets (16, 16 | 8) at a larger step size learn the same simulation
    /// (n = 400) well enough that the ATE is within 0.35 of the truth.
    @Test func smallNetsLearnTheEffect() throws {
        let (data, tau) = try Self.simulation(400)
        let sate = tau.reduce(0, +) / Double(tau.count)
        var settings = Self.smallSettings(1)
        settings.maxEpochs = 150
        for fit in [NeuralLearners.tnet(_:settings:), NeuralLearners.tarnet(_:settings:)] {
            let estimate = try fit(data, settings)
            #expect(abs(estimate.ate - sate) < 0.35, "ATE \(estimate.ate) vs \(sate)")
            print("small nets: ATE \(estimate.ate) vs \(sate)")
        }
    }

    /// Initial parameters have the law of jax's stax defaults that catenets builds on: weights Glorot-normal as jax
    /// draws them (a standard normal truncated to ±2, divided by that truncation's sd 0.87963, times
    /// √(2 / (fan_in + fan_out))), biases N(0, 0.01²). Pooled over TARNet's default layers and four seeds: the
    /// weights' sd is √(2 / (fan_in + fan_out)) within 1%, none exceeds 2 / 0.87963 of it, the largest come within
    /// 1% of that edge, and the standardized fourth moment is the truncated normal's 2.3655 (jax's own draws, 20
    /// keys of a 12 → 200 → 100 stack, give 0.999, 2.273 and 2.381). The replay test above fixes everything else.
    @Test func initializationHasJaxsLaw() {
        let widths = [12, 200, 200, 200]
        var standardized: [Double] = [], biases: [Double] = []
        for seed in 0..<4 {
            let network = NeuralNetwork(inputCount: 12, architecture: .twoHeads(representation: [200, 200, 200], head: [100, 100]),
                                        seed: UInt64(seed))
            let values = network.parameters.map(Double.init)
            var offset = 0
            let layers = zip(widths, widths.dropFirst()).map { ($0, $1) } + Array(repeating: [(200, 100), (100, 100), (100, 1)], count: 2).flatMap { $0 }
            for (fanIn, fanOut) in layers {
                let sigma = (2 / Double(fanIn + fanOut)).squareRoot()
                standardized += values[offset..<(offset + fanIn * fanOut)].map { $0 / sigma }
                biases += values[(offset + fanIn * fanOut)..<(offset + fanIn * fanOut + fanOut)]
                offset += fanIn * fanOut + fanOut
            }
            #expect(offset == values.count)
        }
        let n = Double(standardized.count)
        let sd = (standardized.map { $0 * $0 }.reduce(0, +) / n).squareRoot()
        let kurtosis = standardized.map { pow($0 / sd, 4) }.reduce(0, +) / n
        let edge = 2 / 0.87962566103423978, largest = standardized.map(abs).max()!
        let biasSD = (biases.map { $0 * $0 }.reduce(0, +) / Double(biases.count)).squareRoot()
        print("initialization: sd ratio \(sd), largest \(largest) of \(edge), kurtosis \(kurtosis), bias sd \(biasSD)")
        #expect(abs(sd - 1) < 0.01 && largest <= edge && largest > 0.99 * edge && abs(kurtosis - 2.3655) < 0.02)
        #expect(abs(biasSD - 0.01) < 0.0005)
    }

    /// catenets' own training runs replayed step for step (`make_catenets_trajectory.py`: small nets, step size
    /// 1e-2, a few hundred Adam updates, early stopping): from catenets' initial parameters, validation split and
    /// per-epoch minibatch orders, our TNet arm network and our TARNet train for as many epochs as catenets' did
    /// and end with its parameters and predictions up to Float32 rounding. This pins everything but the random
    /// draws: the minibatches (and the row each epoch's last one drops), the loss and its normalization, the
    /// penalty, Adam and its step count, and each stopping rule.
    @Test(arguments: ["tnet", "tarnet"])
    func replaysCatenetsTrainingRun(net: String) throws {
        let fixture = try Fixtures.json("estimators/catenets-trajectory.json") as! [String: Any]
        let given = fixture["settings"] as! [String: Double]
        let run = (fixture["runs"] as! [String: [String: Any]])[net]!
        var settings = NeuralLearners.Settings()
        settings.representationWidths = Array(repeating: Int(given["n_units_r"]!), count: Int(given["n_layers_r"]!))
        settings.headWidths = Array(repeating: Int(given["n_units_out"]!), count: Int(given["n_layers_out"]!))
        settings.stepSize = given["step_size"]!
        settings.penalty = given["penalty_l2"]!
        settings.maxEpochs = Int(given["n_iter"]!)
        settings.batchSize = Int(given["batch_size"]!)
        settings.validationFraction = given["val_split_prop"]!
        settings.patience = Int(given["patience"]!)
        settings.minimumUpdates = Int(given["n_iter_min"]!)
        let x = fixture["x"] as! [[Double]]
        let data = try EstimationData(covariates: x, treatment: fixture["w"] as! [Int], outcome: fixture["y"] as! [Double])
        let problem = try NeuralLearners.Problem(data, settings)
        let split = NeuralLearners.Split(training: run["training"] as! [Int], validation: run["validation"] as! [Int])
        let architecture: NeuralNetwork.Architecture = net == "tnet"
            ? .single(hidden: settings.representationWidths + settings.headWidths)
            : .twoHeads(representation: settings.representationWidths, head: settings.headWidths)
        var network = NeuralNetwork(inputCount: x[0].count, architecture: architecture, seed: 0)
        network.parameters = (run["initial"] as! [Double]).map(Float.init)
        let orders = run["orders"] as! [[Int]]
        var epochs = 0
        var trainer = problem.train(network, split, rule: net == "tnet" ? .tnet : .tarnet) { order, epoch in
            epochs = epoch + 1
            guard epoch < orders.count else { return }
            order = orders[epoch].map { split.training[$0] }
        }
        #expect(epochs == orders.count, "\(net): trained \(epochs) epochs, catenets \(orders.count)")
        let theirs = run["final"] as! [Double], ours = trainer.network.parameters
        let parameterError = zip(ours, theirs).map { abs(Double($0) - $1) / max(1, abs($1)) }.max()!
        let predicted = trainer.predict(problem.x, rows: Array(x.indices)).flatMap { $0 }
        let expected = net == "tnet" ? run["predictions"] as! [Double] : (run["predictions"] as! [[Double]]).flatMap { $0 }
        let predictionError = zip(predicted, expected).map { abs($0 - $1) }.max()!
        print("\(net): \(epochs) epochs; worst parameter difference \(parameterError), worst prediction difference \(predictionError)")
        #expect(parameterError < 1e-4 && predictionError < 1e-4, "\(net): parameters \(parameterError), predictions \(predictionError)")
    }

    /// The CATE-shape rule one fit is held to: its CATE's standard deviation lies between half the smallest and
    /// twice the largest of the reference seeds', and where those seeds agree with each other (median leave-one-out
    /// correlation ≥ 0.6) it correlates with their mean CATE at least as well as the least consistent of them, less
    /// 0.15. Nil when it passes, else why not.
    static func shapeFailure(sd: Double, correlation: Double, referenceSDs: [Double], referenceLOO: [Double]) -> String? {
        if sd < 0.5 * referenceSDs.min()! || sd > 2 * referenceSDs.max()! {
            return String(format: "CATE sd %.3f outside [%.3f, %.3f]", sd, 0.5 * referenceSDs.min()!, 2 * referenceSDs.max()!)
        }
        let loo = referenceLOO.sorted()
        if loo[loo.count / 2] >= 0.6 && correlation < loo[0] - 0.15 {
            return String(format: "CATE correlation %.2f below %.2f", correlation, loo[0] - 0.15)
        }
        return nil
    }

    /// The fewest failures k that `trials` tries of a rule failing with probability `rate` stay within (≤ k) at
    /// least 95% of the time: the binomial's 95% quantile.
    static func binomialQuantile95(trials: Int, rate: Double) -> Int {
        guard rate > 0 else { return 0 }
        guard rate < 1 else { return trials }
        var pmf = pow(1 - rate, Double(trials)), cumulative = pmf
        for k in 0..<trials {
            if cumulative >= 0.95 { return k }
            pmf *= Double(trials - k) / Double(k + 1) * rate / (1 - rate)
            cumulative += pmf
        }
        return trials
    }

    /// The binomial 95% quantile against exact sums of binomial probabilities (Python's `math.comb`).
    @Test func binomialQuantileMatchesExactSums() {
        // The rate `withinCatenetsSpread` uses (catenets' held-out seeds: 8 of 160).
        #expect(Self.binomialQuantile95(trials: 80, rate: 8.0 / 160) == 7)
        #expect(Self.binomialQuantile95(trials: 40, rate: 0.05) == 4)
        #expect(Self.binomialQuantile95(trials: 100, rate: 0.5) == 58)
        #expect(Self.binomialQuantile95(trials: 10, rate: 0.3) == 5)
        #expect(Self.binomialQuantile95(trials: 80, rate: 0) == 0 && Self.binomialQuantile95(trials: 80, rate: 1) == 80)
    }

    /// TNet and TARNet on the released CSVs in both covariate views land within catenets 0.2.4's own
    /// seed-to-seed spread (six seeds, `make_catenets_expected.py`). Every fit's ATE: |ours − their mean| ≤ 4 sd +
    /// 0.005. The CATE's shape (`shapeFailure`) is a per-fit rule that a fresh catenets seed fails now and then
    /// too: the fixture's two held-out seeds per fit fail it 8 times in 160 (TNet 5 of 80, TARNet 3 of 80). So our
    /// seed-0 fits may fail it as often as that rate allows over the 80 fits (its binomial 95% quantile: 7), not
    /// never; they fail it 4 times. With our seeds 0–5 on all 80 fits (Documentation/EstimatorReferences.md §6)
    /// ours fail it 5.0% (TNet) and 6.7% (TARNet) of the time, 3 to 6 fits per seed, and agree with each other as
    /// closely as catenets' seeds do (median leave-one-out correlation TNet 0.842 vs 0.846, TARNet 0.657 vs 0.673).
    /// Release builds only.
    @Test(.enabled(if: releaseOnly && ReferenceDataTests.folder != nil,
                   "release builds with ../shared/reference/gpt2 only (swift test -c release)"))
    func withinCatenetsSpread() throws {
        let fixture = try Fixtures.json("estimators/catenets-expected.json") as! [String: Any]
        let datasets = fixture["datasets"] as! [String: [String: Any]]
        #expect(datasets.count >= 2)
        // Every (dataset, view, net) fit first, on all cores; the checks after, on this thread.
        let learners: [(String, @Sendable (EstimationData, UInt64) throws -> EffectEstimate)] =
            [("tnet", NeuralLearners.tnet(_:seed:)), ("tarnet", NeuralLearners.tarnet(_:seed:))]
        typealias Job = (name: String, view: String, key: String, data: EstimationData, fit: @Sendable (EstimationData, UInt64) throws -> EffectEstimate)
        var jobs: [Job] = []
        for name in datasets.keys.sorted() {
            for (view, data) in try ReferenceDataTests.views(of: name).views {
                for (key, fit) in learners { jobs.append((name, view, key, data, fit)) }
            }
        }
        let all = jobs
        let estimates = Parallel.map(all.count) { index in Result { try all[index].fit(all[index].data, 0) } }
        var shapeFailures: [String] = [], referenceFailures = 0, referenceTrials = 0
        for (index, job) in jobs.enumerated() {
            let (name, view, key) = (job.name, job.view, job.key)
            let theirs = (datasets[name]![view] as! [String: [String: Any]])[key]!
            let seeds = theirs["seeds"] as! [[String: Double]]
            let ates = seeds.map { $0["ate"]! }, deviations = seeds.map { $0["cate_sd"]! }
            let mean = ates.reduce(0, +) / Double(ates.count)
            let sd = (ates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(ates.count - 1)).squareRoot()
            let estimate = try estimates[index].get()
            let label = "\(name) \(view) \(key)"
            let bound = 4 * sd + 0.005
            #expect(abs(estimate.ate - mean) <= bound, "\(label): ATE \(estimate.ate) vs catenets \(ates)")
            let ours = Metrics.standardDeviation(estimate.cate)
            let theirLOO = theirs["loo_correlation"] as! [Double], loo = theirLOO.sorted()
            let correlation = Self.pearson(estimate.cate, theirs["mean_cate"] as! [Double])
            let meaningful = loo[loo.count / 2] >= 0.6
            if let failure = Self.shapeFailure(sd: ours, correlation: correlation, referenceSDs: deviations, referenceLOO: theirLOO) {
                shapeFailures.append("\(label): \(failure)")
            }
            // catenets' held-out seeds against its six, by the same rule: how often the rule fails a fit that follows
            // catenets' own law.
            for fresh in theirs["holdout"] as! [[String: Double]] {
                referenceTrials += 1
                if Self.shapeFailure(sd: fresh["cate_sd"]!, correlation: fresh["correlation"]!, referenceSDs: deviations,
                                     referenceLOO: theirLOO) != nil { referenceFailures += 1 }
            }
            print(String(format: "%@: ATE %.4f, catenets %.4f ± %.4f (|Δ|/bound %.2f); CATE sd %.3f (catenets %.3f–%.3f); r %.2f (catenets LOO %.2f–%.2f%@)",
                         label, estimate.ate, mean, sd, abs(estimate.ate - mean) / bound, ours, deviations.min()!,
                         deviations.max()!, correlation, loo[0], loo.last!, meaningful ? "" : ", not checked"))
        }
        let allowed = Self.binomialQuantile95(trials: jobs.count, rate: Double(referenceFailures) / Double(referenceTrials))
        let summary = "\(shapeFailures.count) of \(jobs.count) fits outside catenets' CATE spread, \(allowed) allowed (catenets' held-out seeds: \(referenceFailures) of \(referenceTrials))"
        #expect(shapeFailures.count <= allowed, "\(summary): \(shapeFailures)")
        print("\(summary): \(shapeFailures)")
    }
}


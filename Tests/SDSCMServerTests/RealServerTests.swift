import Foundation
import SDSCM
import SDSCMEngine
import SDSCMServer
import SDSCMTestSupport
import Testing

/// A real llama-cpp-python 0.3.36 server on loopback, serving SmolLM2 twice: the copy whose tokenizer adds BOS
/// (`SDSCM_TEST_SERVER`, whose echoed log-probabilities are right) and the original (`SDSCM_TEST_SERVER_NO_BOS`,
/// whose echo is one position off). Tests/Scripts/server-tests.sh starts both and runs these in release.
@Suite(.enabled(if: RealServer.url != nil, "needs SDSCM_TEST_SERVER and SDSCM_TEST_SERVER_GGUF (run Tests/Scripts/server-tests.sh)"))
struct RealServerTests {
    static let server = RealServer.url
    static let unshifted = ProcessInfo.processInfo.environment["SDSCM_TEST_SERVER_NO_BOS"].flatMap(ServerConfiguration.url)
    static let gguf = ProcessInfo.processInfo.environment["SDSCM_TEST_SERVER_GGUF"] ?? ""
    static let clinic = Fixtures.packageRoot.appendingPathComponent("Examples/configs/clinic.json").path

    static func connect(_ url: URL) async throws -> ServerLanguageModel {
        var configuration = ServerConfiguration(baseURL: url)
        configuration.cacheDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-real-server-cache")
        return try await ServerLanguageModel.connect(configuration)
    }

    static func totalVariation(_ a: [Double], _ b: [Double]) -> Double { 0.5 * zip(a, b).map { abs($0 - $1) }.reduce(0, +) }

    /// Every mechanism of the clinic configuration, for every parent assignment, and the exact marginals: the
    /// server and the local engine on the same file agree within total variation 0.05.
    @Test func mechanismsAgreeWithTheLocalEngine() async throws {
        let configuration = try CausalModelConfiguration(path: Self.clinic)
        let remote = try configuration.makeModel(languageModel: try await Self.connect(Self.server!))
        let local = try configuration.makeModel(languageModel: try TransformerLanguageModel(path: Self.gguf))
        let graph = remote.graph
        var compared = 0, worst = 0.0
        for variable in graph.variables {
            var assignments: [[String: String]] = [[:]]
            for parent in variable.parents {
                let values = try graph.variable(named: parent).values!
                assignments = assignments.flatMap { assignment in values.map { assignment.merging([parent: $0]) { $1 } } }
            }
            for assignment in assignments {
                let a = try await remote.distribution(of: variable.name, given: assignment)
                let b = try await local.distribution(of: variable.name, given: assignment)
                let distance = Self.totalVariation(a.probabilities, b.probabilities)
                worst = max(worst, distance)
                #expect(distance <= 0.05, "\(variable.name) | \(assignment): server \(a), local \(b)")
                compared += 1
            }
        }
        #expect(compared == 1 + 3 + 6 + 6 + 4)
        let remoteMarginals = try await ExactInference(model: remote).marginals()
        let localMarginals = try await ExactInference(model: local).marginals()
        for distribution in remoteMarginals.distributions {
            #expect(Self.totalVariation(distribution.probabilities, localMarginals[distribution.variable]!.probabilities) <= 0.05)
        }
        print("real server: \(compared) mechanisms, worst total variation vs the local engine \(worst)")
    }

    /// 500 units sampled through the server pass a chi-square test (p = 0.001) against exact marginals computed
    /// through the same server.
    @Test func samplesMatchExactThroughTheServer() async throws {
        let model = try CausalModelConfiguration(path: Self.clinic).makeModel(languageModel: try await Self.connect(Self.server!))
        let exact = try await ExactInference(model: model).marginals()
        let units = try await Sampler(model: model, seed: 11).sample(units: 0..<500)
        var checked = 0
        for distribution in exact.distributions {
            let counts = distribution.values.map { value in units.filter { $0[distribution.variable] == value }.count }
            var statistic = 0.0, degrees = -1
            for (count, p) in zip(counts, distribution.probabilities) where p * 500 >= 1 {
                statistic += (Double(count) - 500 * p) * (Double(count) - 500 * p) / (500 * p)
                degrees += 1
            }
            let critical = [0, 10.828, 13.816, 16.266, 18.467][min(max(degrees, 0), 4)]
            #expect(degrees < 1 || statistic < critical, "\(distribution.variable): counts \(counts), exact \(distribution.probabilities)")
            checked += 1
        }
        #expect(checked == 5)
    }

    /// `check-server` passes on the copy that adds BOS and fails, naming the misalignment, on the original.
    @Test func checksCatchTheShiftedEcho() async throws {
        let reference = try TransformerLanguageModel(path: Self.gguf, numerics: .llamaCpp)
        let good = try await ServerCheck.run(try await Self.connect(Self.server!), reference: reference)
        #expect(good.count == 3 && good.allSatisfy(\.passed), "\(good)")
        let unshifted = try #require(Self.unshifted)
        let bad = try await ServerCheck.run(try await Self.connect(unshifted), reference: nil)
        #expect(bad.count == 1 && !bad[0].passed && bad[0].detail.contains("misaligned") && bad[0].detail.contains("' Paris'"), "\(bad)")
    }
}

/// Where the real test server is, if the environment names one.
enum RealServer {
    static let url = ProcessInfo.processInfo.environment["SDSCM_TEST_SERVER"].flatMap(ServerConfiguration.url)
}

import Foundation
@testable import SDSCMCommandLine
import Testing

/// `sdscm` commands with `--model http://…/v1`, against the stub server.
@Suite(.enabled(if: StubServer.available, "needs python3 to run Tests/Tools/server/stub_server.py"))
struct ServerCommandTests {
    static let config = """
        {"variables": [
          {"name": "pet", "values": ["cat", "dog"], "phrasings": [["The pet is ", "."]]},
          {"name": "mood", "values": ["happy", "sad", "calm"], "phrasings": [["It looks ", "."]], "parents": ["pet"]},
          {"name": "note", "text": {"max_tokens": 3, "stop": ["."]}, "phrasings": [["Note:", ""]], "parents": ["mood"]}
        ], "treatment": "pet", "outcome": "mood"}
        """

    static func run(_ arguments: [String]) async -> (status: Int32, out: String, err: String) {
        nonisolated(unsafe) var out = "", err = ""
        let status = await SDSCMCommandLine.run(arguments, io: CommandIO(out: { out += $0 }, error: { err += $0 }))
        return (status, out, err)
    }

    /// A server that dies mid-run: a clear error, exit 1, no output file. Restarted, the rerun completes from the
    /// answers cached before the failure, and writes the same bytes as an uninterrupted run.
    @Test func killedServerThenResume() async throws {
        let folder = ServerLanguageModelTests.temporaryFolder("resume")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config.json")
        try Data(Self.config.utf8).write(to: config)
        let port = try StubServer.freePort()
        func sample(cache: String, out: String) async -> (status: Int32, out: String, err: String) {
            await Self.run(["sample", "--config", config.path, "--model", "http://127.0.0.1:\(port)/v1", "--units", "40", "--seed", "2",
                            "--counterfactual", "pet=dog", "--server-cache", folder.appendingPathComponent(cache).path,
                            "--server-retries", "1", "--out", folder.appendingPathComponent(out).path])
        }
        // The model list, the probe, then five completions requests, and the server is gone.
        let dying = try StubServer(["--die-after", "7"], port: port)
        let failed = await sample(cache: "cache", out: "resumed.csv")
        dying.stop()
        #expect(failed.status == 1)
        #expect(failed.err.contains("sdscm: error: server http://127.0.0.1:\(port)/v1 unreachable after 2 attempts"), "\(failed.err)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("resumed.csv").path))
        let healthy = try StubServer([], port: port)
        defer { healthy.stop() }
        let resumed = await sample(cache: "cache", out: "resumed.csv")
        #expect(resumed.status == 0, "\(resumed.err)")
        let uninterrupted = await sample(cache: "fresh", out: "uninterrupted.csv")
        #expect(uninterrupted.status == 0)
        let a = try Data(contentsOf: folder.appendingPathComponent("resumed.csv"))
        let b = try Data(contentsOf: folder.appendingPathComponent("uninterrupted.csv"))
        #expect(a == b && a.count > 1000)
    }

    /// A benchmark through a server records the server's URL and model id, never a key, and evaluates.
    @Test func benchmarkRecordsTheServer() async throws {
        let folder = ServerLanguageModelTests.temporaryFolder("benchmark")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config.json")
        try Data(Self.config.replacingOccurrences(of: #"{"name": "note", "text": {"max_tokens": 3, "stop": ["."]}, "phrasings": [["Note:", ""]], "parents": ["mood"]}"#, with: #"{"name": "tag", "values": ["a", "b"], "equation": {"uniform": true}}"#).utf8).write(to: config)
        let stub = try StubServer(["--require-key", "sekret-789"])
        defer { stub.stop() }
        setenv("SDSCM_API_KEY", "sekret-789", 1)
        defer { unsetenv("SDSCM_API_KEY") }
        let out = folder.appendingPathComponent("bench")
        let run = await Self.run(["benchmark", "--config", config.path, "--model", stub.url.absoluteString, "--datasets", "1", "--units", "20",
                                  "--seed", "1", "--server-cache", "none", "--out", out.path])
        #expect(run.status == 0, "\(run.err)")
        let manifest = try String(contentsOf: out.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(manifest.contains("\"model_architecture\" : \"server\"") && manifest.contains(stub.url.absoluteString + " stub"))
        #expect(!manifest.contains("sekret"))
        for file in try FileManager.default.subpathsOfDirectory(atPath: out.path) {
            let text = (try? String(contentsOf: out.appendingPathComponent(file), encoding: .utf8)) ?? ""
            #expect(!text.contains("sekret-789"), "\(file)")
        }
    }

    /// Commands that run a model take a server too.
    @Test func modelCommandsTakeServers() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        let url = stub.url.absoluteString
        let logprobs = await Self.run(["logprobs", "--model", url, "--prompt", "The note says", "--top", "2", "--json"])
        #expect(logprobs.status == 0, "\(logprobs.err)")
        let top = try #require((try JSONSerialization.jsonObject(with: Data(logprobs.out.utf8)) as? [String: Any])?["top"] as? [[String: Any]])
        #expect(top.count == 2)
        let generated = await Self.run(["generate", "--model", url, "--prompt", "Hello", "--max-tokens", "3", "--json"])
        #expect(generated.status == 0, "\(generated.err)")
        let tokenized = await Self.run(["tokenize", "--model", url, "--ids-only", "The pet is cat"])
        #expect(tokenized.status == 0 && tokenized.out.split(separator: " ").count == 4, "\(tokenized.out)\(tokenized.err)")
        let bench = await Self.run(["bench", "--model", url, "--requests", "4", "--repetitions", "1", "--json"])
        #expect(bench.status == 0, "\(bench.err)")
        let bad = await Self.run(["exact", "--config", "/nonexistent.json", "--model", "http://", "--json"])
        #expect(bad.status == 2 || bad.status == 1)
    }
}

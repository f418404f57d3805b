import Foundation
@testable import SDSCMCommandLine
import Testing
import SDSCMTestSupport
import SDSCM
#if canImport(Glibc)
import Glibc
#endif

/// Hostile and careless input (issue M): outputs never clobber what they should not, counts are bounded, and
/// bad tables are named instead of producing NaN. Each case reproduces a report against an earlier release.
@Suite struct RobustnessTests {
    static let tables = Fixtures.path("configs/tables.json")
    static let confounded = Fixtures.path("configs/confounded-tables.json")

    static func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sdscm-robust-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func kind(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    /// A symbolic link --out is written through (the link stays, its target changes); an existing file keeps
    /// mode 600; a FIFO and a directory are refused and left as they are.
    @Test func outputsAreWrittenSafely() async throws {
        let dir = try Self.folder("outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("target.csv").path, link = dir.appendingPathComponent("link.csv").path
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: target))
        chmod(target, 0o600)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let run = await Invocation("sample", "--config", Self.tables, "--units", "5", "--out", link)
        #expect(run.status == 0, "\(run.err)")
        #expect(Self.kind(link) == S_IFLNK)
        #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("unit,T,M,Y,R,text"))
        var info = stat()
        #expect(stat(target, &info) == 0 && info.st_mode & 0o777 == 0o600)

        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let toFifo = await Invocation("sample", "--config", Self.tables, "--units", "5", "--out", fifo)
        #expect(toFifo.status == 1 && toFifo.err.contains("not a regular file"), "\(toFifo.err)")
        #expect(Self.kind(fifo) == S_IFIFO)
        let toDirectory = await Invocation("sample", "--config", Self.tables, "--units", "5", "--out", dir.path)
        #expect(toDirectory.status == 1 && toDirectory.err == "sdscm: error: cannot write '\(dir.path)': it is a directory\n")
        let empty = await Invocation("sample", "--config", Self.tables, "--units", "5", "--out", "")
        #expect(empty.status == 1 && empty.err.contains("the path is empty"))
        // No temporary file is left behind by the refusals.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["fifo", "link.csv", "target.csv"])
    }

    /// An output that is an input is refused before anything is written.
    @Test func outputsThatAreInputsAreRefused() async throws {
        let dir = try Self.folder("inputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("config.json").path
        try FileManager.default.copyItem(atPath: Self.tables, toPath: config)
        let before = try Data(contentsOf: URL(fileURLWithPath: config))
        let run = await Invocation("sample", "--config", config, "--units", "5", "--out", config)
        #expect(run.status == 2 && run.err.contains("is the --config input"), "\(run.err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: config)) == before)
        let bench = dir.appendingPathComponent("bench")
        #expect(await Invocation("benchmark", "--config", Self.confounded, "--datasets", "1", "--units", "20", "--out", bench.path).status == 0)
        let report = await Invocation("evaluate", "--data", bench.path, "--report", bench.path)
        #expect(report.status == 2 && report.err.contains("is the --data input"), "\(report.err)")
        let inside = await Invocation("evaluate", "--data", bench.path, "--report", bench.appendingPathComponent("extended").path)
        #expect(inside.status == 2)
        // A report folder that is a file is named (an earlier release printed Foundation's "error 512").
        let file = dir.appendingPathComponent("a-file").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let onFile = await Invocation("evaluate", "--data", bench.path, "--report", file)
        #expect(onFile.status == 1 && onFile.err == "sdscm: error: cannot write '\(file)': it exists and is not a folder\n", "\(onFile.err)")
    }

    /// Counts beyond what a run can hold are refused with the limit named (an earlier release wrote out of bounds
    /// on `--units 9223372036854775807`).
    @Test(arguments: [
        ["sample", "--config", tables, "--units", "9223372036854775807", "--out", "/tmp/sdscm-never.csv"],
        ["benchmark", "--config", confounded, "--datasets", "10", "--units", "1000000000000000000", "--out", "/tmp/sdscm-never"],
        ["benchmark", "--config", confounded, "--datasets", "1000000000000", "--units", "10", "--out", "/tmp/sdscm-never"],
        ["audit", "--config", tables, "--attribute", "T", "--outcome", "Y", "--bootstrap", "1000000000000", "--report", "/tmp/sdscm-never"],
        ["bench", "tokenizer", "--megabytes", "1000000000", "--write-corpus", "/tmp/sdscm-never.txt"],
    ])
    func countsAreBounded(_ arguments: [String]) async {
        let run = await Invocation(arguments)
        #expect(run.status == 2, "\(run.err)")
        #expect(run.err.contains("must be an integer from"), "\(run.err)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/sdscm-never.csv") && !FileManager.default.fileExists(atPath: "/tmp/sdscm-never.txt"))
    }

    /// A benchmark folder remembers its run: rerunning with another seed is refused (naming the difference) unless
    /// --force; a --name that leaves the folder is refused.
    @Test func benchmarkFoldersAreNotMixed() async throws {
        let dir = try Self.folder("mixing")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("bench").path
        let base = ["benchmark", "--config", Self.confounded, "--datasets", "2", "--units", "20", "--out", out]
        #expect(await Invocation(base + ["--seed", "1"]).status == 0)
        let other = await Invocation(base + ["--seed", "2"])
        #expect(other.status == 1 && other.err.contains("holds another run's benchmark (seed 1 → 2)"), "\(other.err)")
        let forced = await Invocation(base + ["--seed", "2", "--force"])
        #expect(forced.status == 0 && forced.out.hasPrefix("2 datasets generated"), "\(forced.err)")
        let escape = await Invocation(base + ["--seed", "2", "--name", "../escaped"])
        #expect(escape.status == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("escaped_0.csv").path))
    }

    /// A non-finite ITE or outcome is named with its row instead of giving NaN metrics with exit 0.
    @Test func nonFiniteTablesAreNamed() async throws {
        let dir = try Self.folder("nan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = dir.appendingPathComponent("bench")
        #expect(await Invocation("benchmark", "--config", Self.confounded, "--datasets", "1", "--units", "20", "--out", bench.path).status == 0)
        let file = bench.appendingPathComponent("extended/confounded-tables_0.csv")
        var lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        var fields = lines[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[header.firstIndex(of: "ITE logP(Y=0)")!] = "nan"
        lines[3] = fields.joined(separator: ",")
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        let run = await Invocation("evaluate", "--data", bench.path, "--report", dir.appendingPathComponent("report").path)
        #expect(run.status == 1 && run.err.contains("row 3 has a non-finite true ITE (nan)"), "\(run.err)")
    }

    /// A temperature so small that every tempered weight overflows behaves as its limit, greedy decoding, in
    /// `generate` and in a configuration's text variable (an earlier release emitted end-of-text at once or
    /// found no possible token).
    @Test func vanishingTemperatureIsGreedy() async throws {
        let model = Fixtures.path("tiny-models/tiny-llama-f32.gguf")
        let tiny = await Invocation("generate", "--model", model, "--prompt", "the pet is a", "--temperature", "1e-320", "--max-tokens", "6", "--json")
        let greedy = await Invocation("generate", "--model", model, "--prompt", "the pet is a", "--temperature", "0", "--max-tokens", "6", "--json")
        #expect(tiny.status == 0 && greedy.status == 0)
        #expect(tiny.json?["ids"] as? [Int] == greedy.json?["ids"] as? [Int])
        #expect((greedy.json?["ids"] as? [Int])?.count == 6)
        let dir = try Self.folder("temperature")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("configs/tiny-world.json")))) as? [String: Any])
        var outputs: [String] = []
        for temperature in [Double("1e-320")!, 0] {  // parsed: a subnormal literal warns
            var variables = config["variables"] as! [[String: Any]]
            for index in variables.indices where variables[index]["name"] as? String == "note" {
                var text = variables[index]["text"] as? [String: Any] ?? [:]
                text["temperature"] = temperature
                variables[index]["text"] = text
            }
            config["variables"] = variables
            let path = dir.appendingPathComponent("config-\(temperature).json")
            try JSONSerialization.data(withJSONObject: config).write(to: path)
            let out = dir.appendingPathComponent("out-\(temperature).csv").path
            let run = await Invocation("sample", "--config", path.path, "--model", model, "--units", "4", "--out", out)
            #expect(run.status == 0, "\(run.err)")
            outputs.append(try String(contentsOfFile: out, encoding: .utf8))
        }
        #expect(outputs[0] == outputs[1])
    }

    /// Variable names that would duplicate or corrupt output columns are refused at their JSON path, and a
    /// repeated counterfactual arm (a duplicate column set) is a usage error.
    @Test(arguments: ["unit", "text", "logP(x=a)", "a=b", "T|do(X=1)"])
    func namesThatBreakColumnsAreRefused(_ name: String) async throws {
        let dir = try Self.folder("names-\(abs(name.hashValue))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("config.json")
        let json: [String: Any] = ["variables": [["name": name, "values": ["p", "q"], "equation": ["uniform": true]]]]
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        let run = await Invocation("sample", "--config", config.path, "--units", "2", "--out", dir.appendingPathComponent("out.csv").path)
        #expect(run.status == 1 && run.err.hasPrefix("sdscm: error: config $.variables[0]"), "\(run.err)")
    }

    @Test func repeatedArmsAreRefused() async {
        let run = await Invocation("sample", "--config", Self.tables, "--units", "2", "--counterfactual", "T=a", "--counterfactual", "T=a",
                                   "--out", "/tmp/sdscm-never.csv")
        #expect(run.status == 2 && run.err.contains("gives the arm do(T=a) twice"), "\(run.err)")
    }

    /// Endless or special inputs end in an error naming them: a configuration that never ends (/dev/zero) stops
    /// at 64 MiB; a FIFO given as the model is refused instead of waiting forever for a writer.
    @Test func endlessAndSpecialInputsAreRefused() async throws {
        let zero = await Invocation("graph", "--config", "/dev/zero")
        #expect(zero.status == 1 && zero.err == "sdscm: error: config $: '/dev/zero' is larger than 64 MiB, more than a configuration can be\n")
        let dir = try Self.folder("fifo-model")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("model.gguf").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let run = await Invocation("sample", "--config", Fixtures.path("configs/tiny-world.json"), "--model", fifo, "--units", "1",
                                   "--out", dir.appendingPathComponent("out.csv").path)
        #expect(run.status == 1 && run.err == "sdscm: error: cannot read '\(fifo)': not a regular file\n", "\(run.err)")
    }

    /// Requests that can only give an empty report are refused: no estimator, a one-valued treatment.
    @Test func emptyReportsAreRefused() async throws {
        let dir = try Self.folder("empty")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = dir.appendingPathComponent("bench")
        #expect(await Invocation("benchmark", "--config", Self.confounded, "--datasets", "1", "--units", "20", "--out", bench.path).status == 0)
        let none = await Invocation("evaluate", "--data", bench.path, "--report", dir.appendingPathComponent("r").path, "--estimators", "")
        #expect(none.status == 2 && none.err.contains("--estimators names no estimator"), "\(none.err)")
        // A design that hides every covariate has no hidden view to evaluate.
        var hiding = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.confounded))) as? [String: Any])
        hiding["hidden"] = ["U", "X"]
        let hidingPath = dir.appendingPathComponent("all-hidden.json")
        try JSONSerialization.data(withJSONObject: hiding).write(to: hidingPath)
        let hidingBench = dir.appendingPathComponent("hiding")
        #expect(await Invocation("benchmark", "--config", hidingPath.path, "--datasets", "1", "--units", "20", "--out", hidingBench.path).status == 0)
        let noView = await Invocation("evaluate", "--data", hidingBench.path, "--report", dir.appendingPathComponent("r2").path, "--view", "hidden")
        #expect(noView.status == 1 && noView.err.contains("no dataset has the view hidden"), "\(noView.err)")
        let config = dir.appendingPathComponent("one-arm.json")
        let json: [String: Any] = ["variables": [["name": "T", "values": ["only"], "equation": ["uniform": true]],
                                                 ["name": "Y", "values": ["0", "1"], "parents": ["T"], "equation": ["uniform": true]]],
                                   "treatment": "T", "outcome": "Y"]
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        let one = await Invocation("benchmark", "--config", config.path, "--datasets", "1", "--units", "5", "--out", dir.appendingPathComponent("b2").path)
        #expect(one.status == 1 && one.err == "sdscm: error: config $.treatment: the treatment needs at least two arms to have an effect, it has 1\n", "\(one.err)")
    }

    /// A text variable whose generation reaches the model's context (64 tokens in the tiny test model) ends there,
    /// as `generate` does, instead of aborting the run (an earlier release: "context overflow: 65 tokens needed");
    /// the result is deterministic.
    @Test func textEndsAtTheContextLimit() async throws {
        let dir = try Self.folder("context")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("configs/tiny-world.json")))) as? [String: Any])
        var variables = config["variables"] as! [[String: Any]]
        for index in variables.indices where variables[index]["name"] as? String == "note" { variables[index]["text"] = ["max_tokens": 500] }
        config["variables"] = variables
        let path = dir.appendingPathComponent("long.json")
        try JSONSerialization.data(withJSONObject: config).write(to: path)
        var outputs: [String] = []
        for name in ["a.csv", "b.csv"] {
            let out = dir.appendingPathComponent(name).path
            let run = await Invocation("sample", "--config", path.path, "--model", Fixtures.path("tiny-models/tiny-llama-f32.gguf"),
                                       "--units", "3", "--seed", "2", "--out", out)
            #expect(run.status == 0, "\(run.err)")
            outputs.append(try String(contentsOfFile: out, encoding: .utf8))
        }
        #expect(outputs[0] == outputs[1])
        #expect(try DataTable(csv: outputs[0]).count == 3)  // the text may hold quoted line breaks
    }

    /// Rows streamed a block at a time give the same bytes as one block; a failure midway leaves the destination
    /// as it was and no temporary file behind.
    @Test func streamedRowsAreAllOrNothing() async throws {
        let dir = try Self.folder("stream")
        defer { try? FileManager.default.removeItem(at: dir) }
        let header = ["unit", "x", "note"]
        func rows(_ range: Range<Int>) -> [[String]] { range.map { [String($0), String($0 * $0), $0 % 3 == 0 ? "a, \"b\"\nc" : ""] } }
        let small = dir.appendingPathComponent("small.csv").path, whole = dir.appendingPathComponent("whole.csv").path
        try await AtomicFile.writeCSV(header: header, units: 10, block: 3, to: small) { rows($0) }
        try await AtomicFile.writeCSV(header: header, units: 10, block: 100, to: whole) { rows($0) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: small)) == Data(contentsOf: URL(fileURLWithPath: whole)))
        var expected = DataTable(header: header)
        for row in rows(0..<10) { try expected.append(row) }
        #expect(try String(contentsOfFile: whole, encoding: .utf8) == expected.csv)
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await AtomicFile.writeCSV(header: header, units: 10, block: 3, to: whole) { range in
                if range.lowerBound >= 6 { throw Boom() }
                return rows(range)
            }
        }
        #expect(try String(contentsOfFile: whole, encoding: .utf8) == expected.csv)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["small.csv", "whole.csv"])
    }

    /// Reference-layout tables read without a design (like the released CSVs), corrupted the ways an earlier release
    /// trapped on or misread: each is refused naming the file or line (a treatment of 0.5 was counted as control).
    @Test(arguments: [
        ("ragged", "has 5 fields, the header has 24"), ("treatment-half", "treatment 0.5 outside the first two arms"),
        ("treatment-nan", "treatment nan outside the first two arms"), ("treatment-huge", "treatment 1e+300 outside the first two arms"),
        ("header", "only the reference layout can be read"), ("quote", "a quoted field is never closed"),
    ])
    func corruptReferenceTablesAreNamed(_ corruption: String, _ message: String) async throws {
        let dir = try Self.folder("reference-\(corruption)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = dir.appendingPathComponent("bench")
        #expect(await Invocation("benchmark", "--config", Self.confounded, "--datasets", "1", "--units", "20", "--out", bench.path).status == 0)
        var lines = try String(contentsOf: bench.appendingPathComponent("reference/confounded-tables_0.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        var fields = lines[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        switch corruption {
        case "ragged": lines[3] = lines[3].split(separator: ",").prefix(5).joined(separator: ",")
        case "treatment-half": fields[3] = "0.5"
        case "treatment-nan": fields[3] = "nan"
        case "treatment-huge": fields[3] = "1e300"
        case "header": lines[0] = lines[0].replacingOccurrences(of: "logP(X2=0)", with: "logP(Xabc=0)")
        default: fields[1] = "\"1"
        }
        if corruption.hasPrefix("treatment") || corruption == "quote" { lines[2] = fields.joined(separator: ",") }
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: data.appendingPathComponent("x_0.csv"))
        let run = await Invocation("evaluate", "--data", data.path, "--report", dir.appendingPathComponent("report").path, "--estimators", "dim")
        #expect(run.status == 1 && run.err.contains(message), "\(run.err)")
    }
}

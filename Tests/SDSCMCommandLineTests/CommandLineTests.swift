import Foundation
import SDSCMCommandLine
import Testing
import SDSCMTestSupport

/// Runs `sdscm` in-process and captures what it prints.
struct Invocation {
    let status: Int32
    let out: String
    let err: String

    init(_ arguments: String...) async {
        await self.init(arguments)
    }

    init(_ arguments: [String]) async {
        nonisolated(unsafe) var out = ""
        nonisolated(unsafe) var err = ""
        status = await SDSCMCommandLine.run(arguments, io: CommandIO(out: { out += $0 }, error: { err += $0 }))
        self.out = out
        self.err = err
    }

    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any]
    }
}

@Suite struct CommandLineTests {
    @Test func helpListsCommandsAndExitsZero() async {
        for arguments in [["help"], ["--help"], ["-h"]] {
            let run = await Invocation(arguments)
            #expect(run.status == 0)
            #expect(run.out.contains("inspect"))
            #expect(run.err.isEmpty)
        }
        let commandHelp = await Invocation("inspect", "--help")
        #expect(commandHelp.status == 0)
        #expect(commandHelp.out.contains("Usage: sdscm inspect <file.gguf>"))
        #expect(commandHelp.out.contains("--json"))
        #expect(await Invocation("help", "inspect").out == commandHelp.out)
    }

    @Test func usageMistakesExitTwo() async {
        for arguments in [[], ["frobnicate"], ["inspect"], ["inspect", "--bogus", "x"], ["inspect", "a", "b"],
                          ["inspect", "--json=yes", "x"], ["help", "frobnicate"]] {
            let run = await Invocation(arguments)
            #expect(run.status == 2, "\(arguments)")
            #expect(run.out.isEmpty, "\(arguments)")
            #expect(!run.err.isEmpty, "\(arguments)")
        }
        #expect(await Invocation("inspect", "--bogus", "x").err.hasPrefix("sdscm inspect: unknown option '--bogus'\n"))
    }

    @Test func runtimeErrorsExitOneWithOneLine() async {
        let missing = await Invocation("inspect", "/nonexistent/model.gguf")
        #expect(missing.status == 1)
        #expect(missing.err == "sdscm: error: cannot read '/nonexistent/model.gguf': No such file or directory\n")
        let notGGUF = await Invocation("inspect", Fixtures.path("gguf/formats.json"))
        #expect(notGGUF.status == 1)
        #expect(notGGUF.err.hasPrefix("sdscm: error: not a GGUF file"))
        #expect(notGGUF.err.filter { $0 == "\n" }.count == 1)
    }

    @Test func inspectJSON() async throws {
        let run = await Invocation("inspect", Fixtures.path("gguf/metadata.gguf"), "--json")
        #expect(run.status == 0)
        let json = try #require(run.json)
        #expect(json["version"] as? Int == 3)
        #expect(json["alignment"] as? Int == 64)
        let metadata = try #require(json["metadata"] as? [String: Any])
        #expect(metadata["general.architecture"] as? String == "fixture")
        #expect(metadata["fixture.uint8"] as? Int == 200)
        #expect(metadata["fixture.string"] as? String == "héllo, 世界 🌍 \"quoted\" \\ tab\t")
        #expect(metadata["fixture.array.string"] as? [String] == ["a", "", "ü", "<|im_start|>"])
        #expect((metadata["fixture.array.uint64"] as? [NSNumber])?.last?.uint64Value == UInt64.max)
        let tensors = try #require(json["tensors"] as? [[String: Any]])
        #expect(tensors.map { $0["name"] as? String } == ["small.f32", "small.f16", "small.q8_0"])
        #expect(tensors.map { $0["type"] as? String } == ["F32", "F16", "Q8_0"])
        #expect(tensors[0]["shape"] as? [Int] == [4, 2])
        #expect(tensors.map { $0["offset"] as? Int } == [0, 64, 128])
        #expect(json["type_counts"] as? [String: Int] == ["F32": 1, "F16": 1, "Q8_0": 1])
    }

    @Test func inspectText() async {
        let run = await Invocation("inspect", Fixtures.path("gguf/metadata.gguf"))
        #expect(run.status == 0)
        for needle in ["version:     3", "alignment:   64", "fixture.array.nested_ints", "ARRAY[ARRAY]",
                       "small.q8_0", "Q8_0", "[32, 2]", "metadata (31 keys)", "tensors (3, 80 parameters)"] {
            #expect(run.out.contains(needle), "missing \(needle)")
        }
    }

    static let smolLM2 = Fixtures.fetched(.smolLM2)
    static let gemma3 = Fixtures.fetched(.gemma3)

    @Test(.enabled(if: smolLM2 != nil, Comment(rawValue: Fixtures.missingReason(.smolLM2))))
    func inspectSmolLM2() async throws {
        let path = try #require(Self.smolLM2)
        let run = await Invocation("inspect", path, "--json")
        #expect(run.status == 0)
        let json = try #require(run.json)
        #expect((json["metadata"] as? [String: Any])?["general.architecture"] as? String == "llama")
        #expect((json["tensors"] as? [Any])?.count == 272)
        #expect(json["type_counts"] as? [String: Int] == ["Q4_1": 210, "Q8_0": 1, "F32": 61])
        // Long arrays are summarised, not dumped.
        let tokens = try #require((json["metadata"] as? [String: Any])?["tokenizer.ggml.tokens"] as? [String: Any])
        #expect(tokens["length"] as? Int == 49152)
        #expect(tokens["element_type"] as? String == "STRING")
        #expect((tokens["head"] as? [String])?.first == "<|endoftext|>")
        #expect(run.out.utf8.count < 200_000)

        let text = await Invocation("inspect", path)
        #expect(text.out.contains("(49,152 elements)"))
        #expect(text.out.contains("tensors (272, 134,515,008 parameters)"))
    }

    @Test(.enabled(if: gemma3 != nil, Comment(rawValue: Fixtures.missingReason(.gemma3))))
    func inspectGemma3() async throws {
        let path = try #require(Self.gemma3)
        let json = try #require(await Invocation("inspect", path, "--json").json)
        #expect((json["metadata"] as? [String: Any])?["general.architecture"] as? String == "gemma3")
        #expect(json["type_counts"] as? [String: Int] == ["Q8_0": 10, "Q5_0": 81, "Q4_K": 27, "Q6_K": 9, "F32": 109])
    }

    @Test func jsonRendering() {
        let value = JSONValue.object([
            ("s", .string("a\"b\\c\n\u{01}é")), ("n", .int(-3)), ("u", .uint(.max)), ("f", .float(0.1)),
            ("nan", .double(.nan)), ("inf", .float(-.infinity)), ("a", .array([.bool(true), .null])), ("o", .object([])),
        ])
        #expect(value.rendered() == #"{"s":"a\"b\\c\n\u0001é","n":-3,"u":18446744073709551615,"f":0.1,"nan":"NaN","inf":"-Infinity","a":[true,null],"o":{}}"#)
        let parsed = try? JSONSerialization.jsonObject(with: Data(value.rendered(pretty: true).utf8)) as? [String: Any]
        #expect(parsed?["s"] as? String == "a\"b\\c\n\u{01}é")
    }
}

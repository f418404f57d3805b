import Foundation
import SDSCMServer
import SDSCM
import SDSCMGGUF

/// `sdscm tokenize --model <file.gguf> [--ids-only] [--parse-special] [--no-bos] <text>`.
public enum TokenizeCommand: Command {
    /// The command's name on the command line.
    public static let name = "tokenize"
    /// One line for `sdscm help`.
    public static let summary = "Tokenize text with a GGUF model's tokenizer, exactly as llama.cpp does."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm tokenize --model <file.gguf> [--ids-only] [--parse-special] [--no-bos] [--json] <text | ->"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        By default prints one line per token: the id, a tab, and the token's text with tabs, newlines, other control \
        characters and bytes that are not UTF-8 on their own escaped (\\t, \\n, \\u{…}, \\xNN). --ids-only prints the \
        ids on one line, separated by spaces. --json prints {"ids": [...], "pieces": [...]}, each piece decoded \
        as UTF-8 with U+FFFD for a character split across tokens.
        BOS (and EOS) are added only when the file asks for them (tokenizer.ggml.add_bos_token); --no-bos never adds \
        them. Control tokens written in the text (such as <|im_start|>) are read as plain text unless \
        --parse-special is given. Pass - to read the text from standard input.
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [
        .value("model", "PATH|URL", "The GGUF file whose tokenizer to use, or a completions server (its echoed tokens; ids are hashes of their text)."),
        .flag("ids-only", "Print only the ids, space-separated, on one line."),
        .flag("parse-special", "Recognise control tokens written in the text."),
        .flag("no-bos", "Do not add BOS/EOS even if the file asks for them."),
        .flag("json", "Print {\"ids\": [...], \"pieces\": [...]}."),
    ] + ModelOptions.serverSpecs

    /// Tokenizes the argument (or standard input for `-`) and prints ids and pieces.
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        let model = try ModelOptions.modelPath(arguments)
        guard arguments.positionals.count == 1 else {
            throw UsageError(
                command: name,
                arguments.positionals.isEmpty
                    ? "missing the text to tokenize (or - for standard input)"
                    : "expected one text argument, got \(arguments.positionals.count) (quote the text)")
        }
        let text: [UInt8]
        if arguments.positionals[0] == "-" {
            text = try ModelOptions.standardInput()
        } else {
            text = Array(arguments.positionals[0].utf8)
        }
        if let url = try ModelOptions.serverURL(arguments, command: name) {
            let server = try await ModelOptions.server(url, arguments, command: name)
            let string = String(decoding: text, as: UTF8.self)
            let ids = try await server.tokens(of: string)
            let pieces = try await ids.asyncMap { try await server.text(of: [$0]) }
            if arguments.flag("json") {
                io.print(JSONValue.object([("ids", .array(ids.map(JSONValue.int))), ("pieces", .array(pieces.map(JSONValue.string)))]).rendered())
            } else if arguments.flag("ids-only") {
                io.print(ids.map(String.init).joined(separator: " "))
            } else {
                for (id, piece) in zip(ids, pieces) { io.print("\(id)\t\(escaped(Array(piece.utf8)))") }
            }
            return
        }
        let tokenizer = try GGUFFile(path: model).makeTokenizer()
        let ids = tokenizer.encode(
            bytes: text, addSpecial: !arguments.flag("no-bos"), parseSpecial: arguments.flag("parse-special"))
        if arguments.flag("json") {
            let pieces = try ids.map { JSONValue.string(String(decoding: try tokenizer.piece(for: $0, special: true), as: UTF8.self)) }
            io.print(JSONValue.object([("ids", .array(ids.map(JSONValue.int))), ("pieces", .array(pieces))]).rendered())
        } else if arguments.flag("ids-only") {
            io.print(ids.map(String.init).joined(separator: " "))
        } else {
            for id in ids {
                io.print("\(id)\t\(escaped(try tokenizer.piece(for: id, special: true)))")
            }
        }
    }

    /// A piece as one line of text: valid UTF-8 stays as is, except control characters and backslashes, which
    /// are escaped; stray bytes become `\xNN`.
    static func escaped(_ bytes: [UInt8]) -> String {
        var output = ""
        var index = 0
        while index < bytes.count {
            let length = UTF8Codec.validSequenceLength(bytes, at: index)
            guard length > 0 else {
                output += "\\x" + (bytes[index] < 16 ? "0" : "") + String(bytes[index], radix: 16, uppercase: true)
                index += 1
                continue
            }
            for scalar in String(decoding: bytes[index..<(index + length)], as: UTF8.self).unicodeScalars {
                switch scalar {
                case "\\": output += "\\\\"
                case "\n": output += "\\n"
                case "\t": output += "\\t"
                case "\r": output += "\\r"
                case _ where scalar.properties.generalCategory == .control:
                    output += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                default: output.unicodeScalars.append(scalar)
                }
            }
            index += length
        }
        return output
    }
}

private enum UTF8Codec {
    /// The length of the valid UTF-8 sequence starting at `index`, or 0 if the bytes there are not one.
    static func validSequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        let slice = bytes[index..<(index + length)]
        // Let the standard library judge overlong forms and surrogates.
        return String(validating: slice, as: UTF8.self) != nil ? length : 0
    }
}

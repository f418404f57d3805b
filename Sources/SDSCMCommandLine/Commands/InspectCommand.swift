import SDSCM
import SDSCMGGUF

/// `sdscm inspect <file.gguf> [--json] [--full-arrays]`: the header of a GGUF file, without reading its weights.
public enum InspectCommand: Command {
    /// The command's name on the command line.
    public static let name = "inspect"
    /// One line for `sdscm help`.
    public static let summary = "Print a GGUF file's version, metadata and tensor table."
    /// The usage line `--help` shows.
    public static let synopsis = "sdscm inspect <file.gguf> [--json] [--full-arrays]"
    /// Paragraphs `--help` shows after the synopsis.
    public static let discussion = """
        Only the header is read (the file is memory-mapped), so inspecting a large model is instant. Arrays longer \
        than \(shortArrayLimit) elements (vocabularies, merges) are summarised by their element type, length and \
        first elements unless --full-arrays is given.
        JSON shape: {"path", "file_size", "version", "alignment", "data_offset", "metadata": {key: value}, \
        "tensors": [{"name", "type", "shape", "offset", "byte_count"}], "tensor_count", "parameter_count", \
        "type_counts": {type: count}}. A summarised array is {"type": "array", "element_type", "length", "head"}.
        """
    /// The options the command accepts.
    public static let options: [OptionSpec] = [
        .flag("json", "Print machine-readable JSON instead of text."),
        .flag("full-arrays", "Print every element of long metadata arrays."),
    ]

    /// Arrays up to this length are printed whole.
    static let shortArrayLimit = 16
    /// Elements shown from a summarised array.
    static let headLength = 8

    /// Prints the file's header (version, metadata, tensor table) as text or, with `--json`, as JSON.
    public static func run(_ arguments: ParsedArguments, io: CommandIO) async throws {
        guard arguments.positionals.count == 1 else {
            throw UsageError(
                command: name,
                arguments.positionals.isEmpty
                    ? "missing the GGUF file to inspect" : "expected one file, got \(arguments.positionals.count)")
        }
        let path = arguments.positionals[0]
        let file = try GGUFFile(path: path)
        let full = arguments.flag("full-arrays")
        if arguments.flag("json") {
            io.print(json(file, fullArrays: full).rendered(pretty: true))
        } else {
            io.print(text(file, fullArrays: full))
        }
    }

    // MARK: JSON

    /// The `--json` document for `file`.
    public static func json(_ file: GGUFFile, fullArrays: Bool) -> JSONValue {
        .object([
            ("path", file.path.map(JSONValue.string) ?? .null),
            ("file_size", .int(file.fileSize)),
            ("version", .int(Int(file.version))),
            ("alignment", .int(file.alignment)),
            ("data_offset", .int(file.dataOffset)),
            ("metadata", .object(file.metadata.entries.map { ($0.key, json($0.value, fullArrays: fullArrays)) })),
            ("tensors", .array(file.tensors.map { tensor in
                .object([
                    ("name", .string(tensor.name)),
                    ("type", .string(tensor.type.description)),
                    ("shape", .array(tensor.shape.map(JSONValue.int))),
                    ("offset", .int(tensor.offset)),
                    ("byte_count", .int(tensor.byteCount)),
                ])
            })),
            ("tensor_count", .int(file.tensors.count)),
            ("parameter_count", .int(parameterCount(file))),
            ("type_counts", .object(typeCounts(file).map { ($0.type.description, .int($0.count)) })),
        ])
    }

    static func json(_ value: GGUFValue, fullArrays: Bool) -> JSONValue {
        switch value {
        case .uint8(let v): .int(Int(v))
        case .int8(let v): .int(Int(v))
        case .uint16(let v): .int(Int(v))
        case .int16(let v): .int(Int(v))
        case .uint32(let v): .int(Int(v))
        case .int32(let v): .int(Int(v))
        case .uint64(let v): .uint(v)
        case .int64(let v): .int(Int(v))
        case .float32(let v): .float(v)
        case .float64(let v): .double(v)
        case .bool(let v): .bool(v)
        case .string(let v): .string(v)
        case .array(let array): json(array, fullArrays: fullArrays)
        }
    }

    static func json(_ array: GGUFArray, fullArrays: Bool) -> JSONValue {
        let limit = fullArrays || array.count <= shortArrayLimit ? array.count : headLength
        let elements = jsonElements(array, limit: limit, fullArrays: fullArrays)
        if limit == array.count { return .array(elements) }
        return .object([
            ("type", .string("array")),
            ("element_type", .string(array.elementType.description)),
            ("length", .int(array.count)),
            ("head", .array(elements)),
        ])
    }

    private static func jsonElements(_ array: GGUFArray, limit: Int, fullArrays: Bool) -> [JSONValue] {
        func first<T>(_ values: [T], _ transform: (T) -> JSONValue) -> [JSONValue] {
            values.prefix(limit).map(transform)
        }
        switch array {
        case .uint8(let a): return first(a) { .int(Int($0)) }
        case .int8(let a): return first(a) { .int(Int($0)) }
        case .uint16(let a): return first(a) { .int(Int($0)) }
        case .int16(let a): return first(a) { .int(Int($0)) }
        case .uint32(let a): return first(a) { .int(Int($0)) }
        case .int32(let a): return first(a) { .int(Int($0)) }
        case .uint64(let a): return first(a) { .uint($0) }
        case .int64(let a): return first(a) { .int(Int($0)) }
        case .float32(let a): return first(a) { .float($0) }
        case .float64(let a): return first(a) { .double($0) }
        case .bool(let a): return first(a) { .bool($0) }
        case .string(let a): return first(a) { .string($0) }
        case .array(let a): return first(a) { json($0, fullArrays: fullArrays) }
        }
    }

    // MARK: Text

    /// The human-readable report for `file`.
    public static func text(_ file: GGUFFile, fullArrays: Bool) -> String {
        var lines: [String] = []
        lines.append("file:        \(file.path ?? "(memory)") (\(grouped(file.fileSize)) bytes)")
        lines.append("version:     \(file.version)")
        lines.append("alignment:   \(file.alignment)")
        lines.append("data offset: \(grouped(file.dataOffset))")
        lines.append("")
        lines.append("metadata (\(file.metadata.count) keys):")
        let keyWidth = file.metadata.keys.map(\.count).max() ?? 0
        let typeWidth = file.metadata.entries.map { typeLabel($0.value).count }.max() ?? 0
        for (key, value) in file.metadata.entries {
            lines.append("  " + key.padding(to: keyWidth) + "  " + typeLabel(value).padding(to: typeWidth) + "  "
                + textValue(value, fullArrays: fullArrays))
        }
        lines.append("")
        lines.append("tensors (\(file.tensors.count), \(grouped(parameterCount(file))) parameters):")
        let nameWidth = max(4, file.tensors.map(\.name.count).max() ?? 0)
        let shapes = file.tensors.map { "[" + $0.shape.map(String.init).joined(separator: ", ") + "]" }
        let shapeWidth = max(5, shapes.map(\.count).max() ?? 0)
        lines.append("  " + "name".padding(to: nameWidth) + "  " + "type".padding(to: 7) + "  "
            + "shape".padding(to: shapeWidth) + "  " + "offset".leftPadding(to: 12))
        for (tensor, shape) in zip(file.tensors, shapes) {
            lines.append("  " + tensor.name.padding(to: nameWidth) + "  " + tensor.type.description.padding(to: 7)
                + "  " + shape.padding(to: shapeWidth) + "  " + String(tensor.offset).leftPadding(to: 12))
        }
        lines.append("")
        lines.append("tensor types:")
        for (type, count) in typeCounts(file) {
            lines.append("  " + type.description.padding(to: 7) + "  " + String(count).leftPadding(to: 6))
        }
        return lines.joined(separator: "\n")
    }

    private static func typeLabel(_ value: GGUFValue) -> String {
        if case .array(let array) = value { return "ARRAY[\(array.elementType)]" }
        return value.type.description
    }

    private static let longStringLimit = 160

    private static func textValue(_ value: GGUFValue, fullArrays: Bool) -> String {
        switch value {
        case .string(let string):
            let quoted = JSONValue.string(string).rendered()
            guard !fullArrays, quoted.count > longStringLimit else { return quoted }
            return String(quoted.prefix(longStringLimit)) + "… (\(string.count) characters)"
        case .array(let array):
            let limit = fullArrays || array.count <= shortArrayLimit ? array.count : headLength
            let shown = jsonElements(array, limit: limit, fullArrays: fullArrays).map { $0.rendered() }
            if limit == array.count { return "[" + shown.joined(separator: ", ") + "]" }
            return "[" + shown.joined(separator: ", ") + ", …] (\(grouped(array.count)) elements)"
        default:
            return json(value, fullArrays: fullArrays).rendered()
        }
    }

    // MARK: Shared

    static func typeCounts(_ file: GGUFFile) -> [(type: GGMLType, count: Int)] {
        var counts: [GGMLType: Int] = [:]
        for tensor in file.tensors { counts[tensor.type, default: 0] += 1 }
        return GGMLType.allCases.compactMap { type in counts[type].map { (type, $0) } }
    }

    static func parameterCount(_ file: GGUFFile) -> Int {
        file.tensors.reduce(0) { $0 &+ $1.elementCount }
    }

    /// `98362432` → `98,362,432`.
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return (value < 0 ? "-" : "") + result
    }
}

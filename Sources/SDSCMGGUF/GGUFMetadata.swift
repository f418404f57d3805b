/// The key-value metadata of a GGUF file, in file order, with typed accessors.
///
/// The throwing accessors exist so that model loaders can write `try metadata.integer("llama.block_count")` and
/// get an error naming the key when it is missing or mistyped, instead of unwrapping optionals at every call site.
public struct GGUFMetadata: Sendable, Equatable {
    /// Keys and values in the order the file stores them.
    public let entries: [(key: String, value: GGUFValue)]
    private let index: [String: Int]

    /// Builds metadata from entries; the caller guarantees the keys are unique.
    init(uniqueEntries entries: [(key: String, value: GGUFValue)]) {
        self.entries = entries
        var index: [String: Int] = [:]
        index.reserveCapacity(entries.count)
        for (position, entry) in entries.enumerated() { index[entry.key] = position }
        self.index = index
    }

    /// Equal when both hold the same keys and values in the same order.
    public static func == (lhs: GGUFMetadata, rhs: GGUFMetadata) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// Number of key-value pairs.
    public var count: Int { entries.count }

    /// All keys in file order.
    public var keys: [String] { entries.map(\.key) }

    /// The value stored under `key`, if any.
    public subscript(key: String) -> GGUFValue? {
        guard let position = index[key] else { return nil }
        return entries[position].value
    }

    /// Whether `key` is present.
    public func contains(_ key: String) -> Bool { index[key] != nil }

    private func require(_ key: String) throws -> GGUFValue {
        guard let value = self[key] else { throw GGUFError.missingKey(key) }
        return value
    }

    // MARK: Scalars

    /// The STRING under `key`.
    public func string(_ key: String) throws -> String {
        let value = try require(key)
        guard case .string(let string) = value else {
            throw GGUFError.typeMismatch(key: key, expected: "STRING", found: value.typeDescription)
        }
        return string
    }

    /// The integer under `key`, whatever its integer type (UINT8 … INT64), as `Int`.
    public func integer(_ key: String) throws -> Int {
        let value = try require(key)
        guard let integer = value.integer else {
            throw GGUFError.typeMismatch(key: key, expected: "an integer that fits Int", found: value.typeDescription)
        }
        return integer
    }

    /// The FLOAT32 or FLOAT64 under `key`, as `Float`.
    public func float(_ key: String) throws -> Float {
        let value = try require(key)
        guard let float = value.floatingPoint else {
            throw GGUFError.typeMismatch(key: key, expected: "FLOAT32 or FLOAT64", found: value.typeDescription)
        }
        return Float(float)
    }

    /// The BOOL under `key`.
    public func bool(_ key: String) throws -> Bool {
        let value = try require(key)
        guard case .bool(let bool) = value else {
            throw GGUFError.typeMismatch(key: key, expected: "BOOL", found: value.typeDescription)
        }
        return bool
    }

    // MARK: Arrays

    /// The ARRAY under `key`, of any element type.
    public func array(_ key: String) throws -> GGUFArray {
        let value = try require(key)
        guard case .array(let array) = value else {
            throw GGUFError.typeMismatch(key: key, expected: "ARRAY", found: value.typeDescription)
        }
        return array
    }

    /// The ARRAY[STRING] under `key` (e.g. `tokenizer.ggml.tokens`).
    public func strings(_ key: String) throws -> [String] {
        let array = try array(key)
        guard let strings = array.strings else {
            throw GGUFError.typeMismatch(key: key, expected: "ARRAY[STRING]", found: "ARRAY[\(array.elementType)]")
        }
        return strings
    }

    /// The ARRAY of any integer type under `key` (e.g. `tokenizer.ggml.token_type`), as `[Int]`.
    public func integers(_ key: String) throws -> [Int] {
        let array = try array(key)
        guard let integers = array.integers else {
            throw GGUFError.typeMismatch(
                key: key, expected: "ARRAY of integers that fit Int", found: "ARRAY[\(array.elementType)]")
        }
        return integers
    }

    /// The ARRAY[FLOAT32] or ARRAY[FLOAT64] under `key` (e.g. `tokenizer.ggml.scores`), as `[Float]`.
    public func floats(_ key: String) throws -> [Float] {
        let array = try array(key)
        guard let floats = array.floats else {
            throw GGUFError.typeMismatch(key: key, expected: "ARRAY[FLOAT32]", found: "ARRAY[\(array.elementType)]")
        }
        return floats
    }

    // MARK: Optional keys

    /// Looks up an optional key: nil when absent, the typed value when present, and an error when present with
    /// the wrong type (a silently ignored mistyped key is how wrong hyper-parameters go unnoticed).
    public func ifPresent<T>(_ key: String, _ accessor: (GGUFMetadata) -> (String) throws -> T) throws -> T? {
        guard contains(key) else { return nil }
        return try accessor(self)(key)
    }
}

/// Writes GGUF bytes field by field, including files no correct writer would produce, for validation tests.
public struct GGUFBuilder {
    /// One metadata entry: key, raw value type id and the encoded value.
    public struct Entry {
        public var key: String
        public var typeID: UInt32
        public var payload: [UInt8]
    }

    /// One tensor description plus the bytes to place in the data section.
    public struct Tensor {
        public var name: String
        public var dimensions: [UInt64]
        public var typeID: UInt32
        /// Offset to write; nil means "next aligned position after the previous tensor".
        public var offset: UInt64?
        public var data: [UInt8]
    }

    public var magic: [UInt8] = Array("GGUF".utf8)
    public var version: UInt32 = 3
    public var entries: [Entry] = []
    public var tensors: [Tensor] = []
    /// Alignment used to place data (write `general.alignment` separately to declare it).
    public var alignment = 32
    /// Overrides for the counts in the header (to write lies).
    public var tensorCountOverride: UInt64?
    public var keyCountOverride: UInt64?

    public init() {}

    public mutating func add(_ key: String, typeID: UInt32, payload: [UInt8]) {
        entries.append(Entry(key: key, typeID: typeID, payload: payload))
    }

    public mutating func add(_ key: String, uint32 value: UInt32) { add(key, typeID: 4, payload: Self.le(value)) }
    public mutating func add(_ key: String, string value: String) { add(key, typeID: 8, payload: Self.string(value)) }

    public mutating func addTensor(
        _ name: String, dimensions: [UInt64], typeID: UInt32, data: [UInt8], offset: UInt64? = nil
    ) {
        tensors.append(Tensor(name: name, dimensions: dimensions, typeID: typeID, offset: offset, data: data))
    }

    /// An F32 tensor holding `values`.
    public mutating func addF32Tensor(_ name: String, _ values: [Float], shape: [UInt64]? = nil) {
        addTensor(name, dimensions: shape ?? [UInt64(values.count)], typeID: 0,
                  data: values.flatMap { Self.le($0.bitPattern) })
    }

    /// The whole file.
    public func bytes() -> [UInt8] {
        var out = magic
        out += Self.le(version)
        out += Self.le(tensorCountOverride ?? UInt64(tensors.count))
        out += Self.le(keyCountOverride ?? UInt64(entries.count))
        for entry in entries {
            out += Self.string(entry.key)
            out += Self.le(entry.typeID)
            out += entry.payload
        }
        var offsets: [Int] = []
        var next = 0
        for tensor in tensors {
            let offset = tensor.offset.map { Int($0) } ?? next
            offsets.append(offset)
            next = Self.alignUp(offset &+ tensor.data.count, alignment)
            out += Self.string(tensor.name)
            out += Self.le(UInt32(tensor.dimensions.count))
            for dimension in tensor.dimensions { out += Self.le(dimension) }
            out += Self.le(tensor.typeID)
            out += Self.le(UInt64(offset))
        }
        if !tensors.isEmpty {
            out += [UInt8](repeating: 0, count: Self.alignUp(out.count, alignment) - out.count)
            let dataStart = out.count
            for (tensor, offset) in zip(tensors, offsets) where !tensor.data.isEmpty {
                let end = dataStart + offset + tensor.data.count
                if out.count < end { out += [UInt8](repeating: 0, count: end - out.count) }
                out.replaceSubrange((dataStart + offset)..<end, with: tensor.data)
            }
            out += [UInt8](repeating: 0, count: Self.alignUp(out.count, alignment) - out.count)
        }
        return out
    }

    // MARK: Encoders

    public static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    public static func string(_ value: String) -> [UInt8] {
        le(UInt64(value.utf8.count)) + Array(value.utf8)
    }

    /// The payload of an ARRAY value: element type, count, then the already-encoded elements.
    public static func array(elementTypeID: UInt32, count: UInt64, elements: [UInt8]) -> [UInt8] {
        le(elementTypeID) + le(count) + elements
    }

    /// Wrapping, because tests deliberately describe offsets near Int.max.
    static func alignUp(_ value: Int, _ alignment: Int) -> Int {
        (value &+ alignment &- 1) / alignment &* alignment
    }
}

/// A small deterministic generator (SplitMix64) so fuzz-style tests are reproducible from a seed.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

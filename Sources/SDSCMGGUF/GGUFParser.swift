/// Reads and validates a GGUF header (metadata and tensor infos) from bytes.
///
/// Validation happens before any pointer into tensor data is formed: every count and length is bounded by the
/// bytes that remain, every dimension product and byte size is computed with overflow checks, and tensor ranges
/// must lie inside the data section, aligned and without overlap. Anything else is a `GGUFError` naming the
/// offset, key or tensor.
struct GGUFParser {
    /// The deepest nesting of arrays accepted; real files use at most one level, and recursion must stay bounded.
    static let maximumArrayNesting = 16
    /// ggml's `GGML_MAX_DIMS`.
    static let maximumDimensions = 4
    /// ggml's `GGML_MAX_NAME`: names must be shorter than this many bytes.
    static let maximumNameBytes = 64
    /// Alignment when `general.alignment` is absent.
    static let defaultAlignment = 32

    /// The result of a successful parse.
    struct Header {
        var version: UInt32
        var metadata: GGUFMetadata
        var tensors: [GGUFTensorInfo]
        var alignment: Int
        var dataOffset: Int
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Header {
        var cursor = ByteCursor(bytes)
        try cursor.require(4, "the magic bytes")
        let magic = Array(UnsafeRawBufferPointer(rebasing: bytes[0..<4]))
        guard magic == Array("GGUF".utf8) else { throw GGUFError.badMagic(found: magic) }
        try cursor.skip(4, "the magic bytes")

        let version = try cursor.read(UInt32.self, "the version")
        try validate(version: version)

        let tensorCountOffset = cursor.offset
        let tensorCount = try cursor.read(UInt64.self, "the tensor count")
        let keyCountOffset = cursor.offset
        let keyCount = try cursor.read(UInt64.self, "the metadata key count")
        // Smallest possible entries: a key (u64 length) + u32 type + a 1-byte value; a tensor info with an empty
        // name and no dimensions is u64 + u32 + u32 + u64.
        guard keyCount <= UInt64(cursor.remaining / 13) else {
            throw GGUFError.implausibleCount(
                what: "metadata key count", count: keyCount, offset: keyCountOffset, remainingBytes: cursor.remaining)
        }
        guard tensorCount <= UInt64(cursor.remaining / 24) else {
            throw GGUFError.implausibleCount(
                what: "tensor count", count: tensorCount, offset: tensorCountOffset, remainingBytes: cursor.remaining)
        }

        let metadata = try readMetadata(count: Int(keyCount), cursor: &cursor)
        let alignment = try readAlignment(metadata)
        let infos = try readTensorInfos(count: Int(tensorCount), alignment: alignment, cursor: &cursor)

        let (dataOffset, overflow) = alignUp(cursor.offset, to: alignment)
        if !infos.isEmpty {
            guard !overflow, dataOffset <= bytes.count else {
                throw GGUFError.truncated(
                    offset: cursor.offset, needed: (overflow ? Int.max : dataOffset) - cursor.offset,
                    fileSize: bytes.count, reading: "the padding before the tensor data section")
            }
            try validateDataRanges(infos, dataBytes: bytes.count - dataOffset, dataOffset: dataOffset)
        }
        return Header(
            version: version, metadata: metadata, tensors: infos, alignment: alignment,
            dataOffset: overflow ? bytes.count : dataOffset)
    }

    // MARK: Header fields

    private static func validate(version: UInt32) throws {
        switch version {
        case 2, 3:
            return
        case 1:
            throw GGUFError.unsupportedVersion(
                1, reason: "GGUF version 1 is no longer supported; re-convert the model with a current llama.cpp")
        case _ where version & 0xFFFF == 0:
            throw GGUFError.unsupportedVersion(
                version, reason: "the version looks byte-swapped; big-endian GGUF files are not supported")
        default:
            throw GGUFError.unsupportedVersion(version, reason: "this reader accepts versions 2 and 3")
        }
    }

    private static func readAlignment(_ metadata: GGUFMetadata) throws -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard case .uint32(let alignment) = value else {
            throw GGUFError.invalidAlignment("it must be a UINT32, found \(value.typeDescription)")
        }
        guard alignment != 0, alignment & (alignment - 1) == 0 else {
            throw GGUFError.invalidAlignment("\(alignment) is not a non-zero power of two")
        }
        return Int(alignment)
    }

    static func alignUp(_ value: Int, to alignment: Int) -> (Int, overflow: Bool) {
        let (sum, overflow) = value.addingReportingOverflow(alignment - 1)
        return (sum & ~(alignment - 1), overflow)
    }

    // MARK: Metadata

    private static func readMetadata(count: Int, cursor: inout ByteCursor) throws -> GGUFMetadata {
        var entries: [(key: String, value: GGUFValue)] = []
        entries.reserveCapacity(count)
        var seen = Set<String>()
        for number in 0..<count {
            let keyOffset = cursor.offset
            let key = try cursor.readString("the key of metadata entry #\(number)")
            guard seen.insert(key).inserted else { throw GGUFError.duplicateKey(key, offset: keyOffset) }
            let typeOffset = cursor.offset
            let rawType = try cursor.read(UInt32.self, "the value type of metadata key '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw GGUFError.unknownValueType(id: rawType, key: key, offset: typeOffset)
            }
            let value = try readValue(type, key: key, depth: 0, cursor: &cursor)
            entries.append((key, value))
        }
        return GGUFMetadata(uniqueEntries: entries)
    }

    private static func readValue(
        _ type: GGUFValueType, key: String, depth: Int, cursor: inout ByteCursor
    ) throws -> GGUFValue {
        let what = "the value of metadata key '\(key)'"
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self, what))
        case .int8: return .int8(try cursor.read(Int8.self, what))
        case .uint16: return .uint16(try cursor.read(UInt16.self, what))
        case .int16: return .int16(try cursor.read(Int16.self, what))
        case .uint32: return .uint32(try cursor.read(UInt32.self, what))
        case .int32: return .int32(try cursor.read(Int32.self, what))
        case .uint64: return .uint64(try cursor.read(UInt64.self, what))
        case .int64: return .int64(try cursor.read(Int64.self, what))
        case .float32: return .float32(try cursor.readFloat(what))
        case .float64: return .float64(try cursor.readDouble(what))
        case .bool:
            let offset = cursor.offset
            let byte = try cursor.read(UInt8.self, what)
            guard byte <= 1 else { throw GGUFError.invalidBool(byte: byte, key: key, offset: offset) }
            return .bool(byte == 1)
        case .string:
            return .string(try cursor.readString(what))
        case .array:
            return .array(try readArray(key: key, depth: depth + 1, cursor: &cursor))
        }
    }

    private static func readArray(key: String, depth: Int, cursor: inout ByteCursor) throws -> GGUFArray {
        let typeOffset = cursor.offset
        guard depth <= maximumArrayNesting else {
            throw GGUFError.arrayNestingTooDeep(key: key, offset: typeOffset, limit: maximumArrayNesting)
        }
        let rawType = try cursor.read(UInt32.self, "the element type of array '\(key)'")
        guard let elementType = GGUFValueType(rawValue: rawType) else {
            throw GGUFError.unknownValueType(id: rawType, key: key, offset: typeOffset)
        }
        let countOffset = cursor.offset
        let count64 = try cursor.read(UInt64.self, "the element count of array '\(key)'")
        guard count64 <= UInt64(cursor.remaining / elementType.minimumSize) else {
            throw GGUFError.implausibleCount(
                what: "element count of array '\(key)' (\(elementType))", count: count64, offset: countOffset,
                remainingBytes: cursor.remaining)
        }
        let count = Int(count64)
        let what = "the elements of array '\(key)'"
        switch elementType {
        case .uint8: return .uint8(try readScalars(UInt8.self, count: count, what, &cursor))
        case .int8: return .int8(try readScalars(Int8.self, count: count, what, &cursor))
        case .uint16: return .uint16(try readScalars(UInt16.self, count: count, what, &cursor))
        case .int16: return .int16(try readScalars(Int16.self, count: count, what, &cursor))
        case .uint32: return .uint32(try readScalars(UInt32.self, count: count, what, &cursor))
        case .int32: return .int32(try readScalars(Int32.self, count: count, what, &cursor))
        case .uint64: return .uint64(try readScalars(UInt64.self, count: count, what, &cursor))
        case .int64: return .int64(try readScalars(Int64.self, count: count, what, &cursor))
        case .float32:
            return .float32(try readScalars(UInt32.self, count: count, what, &cursor).map(Float.init(bitPattern:)))
        case .float64:
            return .float64(try readScalars(UInt64.self, count: count, what, &cursor).map(Double.init(bitPattern:)))
        case .bool:
            let start = cursor.offset
            let raw = try readScalars(UInt8.self, count: count, what, &cursor)
            if let bad = raw.firstIndex(where: { $0 > 1 }) {
                throw GGUFError.invalidBool(byte: raw[bad], key: key, offset: start + bad)
            }
            return .bool(raw.map { $0 == 1 })
        case .string:
            var strings: [String] = []
            strings.reserveCapacity(count)
            for index in 0..<count {
                strings.append(try cursor.readString("element \(index) of array '\(key)'"))
            }
            return .string(strings)
        case .array:
            var arrays: [GGUFArray] = []
            arrays.reserveCapacity(count)
            for _ in 0..<count {
                arrays.append(try readArray(key: key, depth: depth + 1, cursor: &cursor))
            }
            return .array(arrays)
        }
    }

    private static func readScalars<T: FixedWidthInteger>(
        _: T.Type, count: Int, _ what: @autoclosure () -> String, _ cursor: inout ByteCursor
    ) throws -> [T] {
        let size = MemoryLayout<T>.size
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: size)
        try cursor.require(overflow ? -1 : byteCount, what())
        let start = cursor.offset
        let bytes = cursor.bytes
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                buffer[index] = T(littleEndian: bytes.loadUnaligned(fromByteOffset: start + index * size, as: T.self))
            }
            initialized = count
        }
        try cursor.skip(byteCount, what())
        return values
    }

    // MARK: Tensor infos

    private static func readTensorInfos(
        count: Int, alignment: Int, cursor: inout ByteCursor
    ) throws -> [GGUFTensorInfo] {
        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(count)
        var seen = Set<String>()
        for number in 0..<count {
            let name = try cursor.readString("the name of tensor #\(number)")
            guard name.utf8.count < maximumNameBytes else {
                throw GGUFError.invalidTensor(
                    name: name, reason: "name is \(name.utf8.count) bytes long; at most \(maximumNameBytes - 1) allowed")
            }
            guard seen.insert(name).inserted else { throw GGUFError.duplicateTensorName(name) }

            let dimensionCount = try cursor.read(UInt32.self, "the dimension count of tensor '\(name)'")
            guard dimensionCount <= maximumDimensions else {
                throw GGUFError.invalidTensor(
                    name: name, reason: "\(dimensionCount) dimensions; at most \(maximumDimensions) allowed")
            }
            var shape: [Int] = []
            var elements = 1
            var elementsOverflow = false
            for axis in 0..<Int(dimensionCount) {
                let extent = try cursor.read(UInt64.self, "dimension \(axis) of tensor '\(name)'")
                guard let size = Int(exactly: extent) else {
                    throw GGUFError.invalidTensor(name: name, reason: "dimension \(axis) is \(extent), which is negative as int64")
                }
                shape.append(size)
                let (product, overflow) = elements.multipliedReportingOverflow(by: size)
                elements = product
                elementsOverflow = elementsOverflow || overflow
            }
            if elementsOverflow {
                throw GGUFError.invalidTensor(
                    name: name, reason: "the element count of shape \(shape) overflows a 64-bit integer")
            }

            let rawType = try cursor.read(UInt32.self, "the type of tensor '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                throw GGUFError.unknownTensorType(id: rawType, tensor: name)
            }
            let rowLength = shape.first ?? 1
            guard let rowBytes = type.rowByteCount(elements: rowLength) else {
                throw GGUFError.invalidTensor(
                    name: name, reason: "row length \(rowLength) is not a multiple of the \(type) block size \(type.blockSize)")
            }
            let rows = rowLength == 0 ? 0 : elements / rowLength
            let (byteCount, bytesOverflow) = rowBytes.multipliedReportingOverflow(by: rows)
            if bytesOverflow {
                throw GGUFError.invalidTensor(name: name, reason: "the byte size of shape \(shape) overflows")
            }

            let offset64 = try cursor.read(UInt64.self, "the data offset of tensor '\(name)'")
            guard let offset = Int(exactly: offset64) else {
                throw GGUFError.invalidTensor(name: name, reason: "data offset \(offset64) is out of range")
            }
            guard offset % alignment == 0 else {
                throw GGUFError.invalidTensor(
                    name: name, reason: "data offset \(offset) is not a multiple of the alignment \(alignment)")
            }
            infos.append(GGUFTensorInfo(name: name, type: type, shape: shape, offset: offset, byteCount: byteCount))
        }
        return infos
    }

    /// Every tensor must lie inside the data section, and no two may share bytes.
    private static func validateDataRanges(_ infos: [GGUFTensorInfo], dataBytes: Int, dataOffset: Int) throws {
        for info in infos {
            let (end, overflow) = info.offset.addingReportingOverflow(info.byteCount)
            guard !overflow, end <= dataBytes else {
                throw GGUFError.invalidTensor(
                    name: info.name,
                    reason: "data [\(info.offset), +\(info.byteCount)) extends past the end of the data section, "
                        + "which holds \(dataBytes) bytes starting at file offset \(dataOffset)")
            }
        }
        let ordered = infos.sorted { ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount) }
        for (previous, next) in zip(ordered, ordered.dropFirst())
        where previous.byteCount > 0 && next.byteCount > 0 && previous.offset + previous.byteCount > next.offset {
            throw GGUFError.invalidTensor(
                name: next.name,
                reason: "data at offset \(next.offset) overlaps tensor '\(previous.name)' "
                    + "[\(previous.offset), \(previous.offset + previous.byteCount))")
        }
    }
}

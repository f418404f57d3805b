import SDSCMGGUF

/// One tensor of a GGUF file, read straight from the file's memory mapping.
///
/// Rows are dequantized on demand, so reading one embedding row of a 49,152-row matrix touches one row's pages,
/// not the whole tensor.
public struct MappedTensor: Sendable {
    /// The file that owns the bytes; kept alive as long as this view exists.
    public let file: GGUFFile
    /// The tensor's description.
    public let info: GGUFTensorInfo

    /// A view of `info`, which must belong to `file`.
    public init(file: GGUFFile, info: GGUFTensorInfo) throws {
        guard file.tensorIfPresent(named: info.name) == info else { throw GGUFError.tensorNotFound(info.name) }
        self.file = file
        self.info = info
    }

    /// Row `index` as floats (`info.rowLength` of them).
    public func row(_ index: Int) throws -> [Float] {
        guard index >= 0, index < info.rowCount else {
            throw TensorError.rowOutOfRange(tensor: info.name, row: index, rowCount: info.rowCount)
        }
        return try dequantize(rows: index..<(index + 1))
    }

    /// Every element as floats, row after row.
    public func dequantized() throws -> [Float] {
        try dequantize(rows: 0..<info.rowCount)
    }

    private func dequantize(rows: Range<Int>) throws -> [Float] {
        let type = info.type
        guard Dequantization.supportedTypes.contains(type) else {
            throw TensorError.unsupportedType(type, operation: "dequantization", tensor: info.name)
        }
        let data = try file.rawData(of: info)
        let rowBytes = info.rowByteCount
        let blocksPerRow = info.rowLength / type.blockSize
        let count = rows.count * info.rowLength
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let source = data.baseAddress, let destination = buffer.baseAddress {
                Dequantization.dequantize(
                    source + rows.lowerBound * rowBytes, type: type, blocks: rows.count * blocksPerRow,
                    into: destination)
            }
            initialized = count
        }
    }
}

extension GGUFFile {
    /// A dequantizing view of the tensor called `name`.
    public func mappedTensor(named name: String) throws -> MappedTensor {
        try MappedTensor(file: self, info: tensor(named: name))
    }
}

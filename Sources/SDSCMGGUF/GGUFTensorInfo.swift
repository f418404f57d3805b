/// The description of one tensor stored in a GGUF file (its data is read through the file that owns it).
public struct GGUFTensorInfo: Sendable, Hashable {
    /// Tensor name, e.g. `blk.0.attn_q.weight`.
    public let name: String
    /// Element type.
    public let type: GGMLType
    /// Dimensions in ggml order: `shape[0]` is the contiguous row length (`ne[0]`); a weight with `in` inputs and
    /// `out` outputs is `[in, out]`, i.e. `out` rows of `in` elements.
    public let shape: [Int]
    /// Byte offset of the data, relative to the start of the file's data section (as stored in the file).
    public let offset: Int
    /// Bytes the data occupies (without alignment padding).
    public let byteCount: Int

    /// Total number of elements.
    public var elementCount: Int { shape.reduce(1, *) }

    /// Elements per row (`ne[0]`); 1 for a tensor with no dimensions.
    public var rowLength: Int { shape.first ?? 1 }

    /// Number of rows: the product of all dimensions after the first.
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }

    /// Bytes per row.
    public var rowByteCount: Int { rowLength / type.blockSize * type.bytesPerBlock }
}

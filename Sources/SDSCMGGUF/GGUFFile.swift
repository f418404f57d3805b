/// An opened, validated GGUF file: metadata, tensor descriptions and access to tensor bytes.
///
/// Opening maps the file and parses only its header; tensor data stays on disk until read, so opening a 100 MB
/// model costs a few megabytes of memory. Instances are immutable and safe to share across threads.
///
/// ```swift
/// let file = try GGUFFile(path: "SmolLM2-135M-Instruct.Q4_1.gguf")
/// let architecture = try file.metadata.string("general.architecture")   // "llama"
/// let embedding = try file.tensor(named: "token_embd.weight")            // Q8_0, shape [576, 49152]
/// ```
public final class GGUFFile: Sendable {
    /// The path the file was opened from, or nil for in-memory bytes.
    public let path: String?
    /// Format version (2 or 3).
    public let version: UInt32
    /// Key-value metadata in file order.
    public let metadata: GGUFMetadata
    /// Tensor descriptions in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of tensor data, from `general.alignment` (default 32).
    public let alignment: Int
    /// Absolute file offset where the tensor data section starts.
    public let dataOffset: Int

    package let bytes: FileBytes
    private let tensorIndex: [String: Int]

    /// Opens and validates the GGUF file at `path`, memory-mapping it.
    public convenience init(path: String) throws {
        try self.init(bytes: FileBytes(mapping: path), path: path)
    }

    /// Parses and validates a GGUF image held in memory (the bytes are copied).
    public convenience init(bytes: [UInt8]) throws {
        try self.init(bytes: FileBytes(copying: bytes), path: nil)
    }

    private init(bytes: FileBytes, path: String?) throws {
        let header = try GGUFParser.parse(UnsafeRawBufferPointer(start: bytes.base, count: bytes.count))
        self.bytes = bytes
        self.path = path
        version = header.version
        metadata = header.metadata
        tensors = header.tensors
        alignment = header.alignment
        dataOffset = header.dataOffset
        var index: [String: Int] = [:]
        for (position, tensor) in header.tensors.enumerated() { index[tensor.name] = position }
        tensorIndex = index
    }

    /// Size of the file in bytes.
    public var fileSize: Int { bytes.count }

    /// `general.architecture`, e.g. `llama`, `gemma3`; nil if absent or not a string.
    public var architecture: String? { try? metadata.string("general.architecture") }

    /// The tensor called `name`, or `GGUFError.tensorNotFound`.
    public func tensor(named name: String) throws -> GGUFTensorInfo {
        guard let position = tensorIndex[name] else { throw GGUFError.tensorNotFound(name) }
        return tensors[position]
    }

    /// The tensor called `name`, or nil (for optional tensors such as `output.weight`).
    public func tensorIfPresent(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// A copy of the raw bytes of `tensor` (block-encoded for quantized types).
    public func data(of tensor: GGUFTensorInfo) throws -> [UInt8] {
        Array(try rawData(of: tensor))
    }

    /// The raw bytes of `tensor`, valid as long as this file object is alive. Kernels use this to compute
    /// straight from the mapping.
    package func rawData(of tensor: GGUFTensorInfo) throws -> UnsafeRawBufferPointer {
        guard let position = tensorIndex[tensor.name], tensors[position] == tensor else {
            throw GGUFError.tensorNotFound(tensor.name)
        }
        let start = dataOffset + tensor.offset
        return bytes.buffer(start..<(start + tensor.byteCount))
    }
}

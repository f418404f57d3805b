import SDSCMGGUF

/// A 2-D tensor of a GGUF file used as a matmul weight: `rows` outputs, each a row of `columns` inputs, in its
/// stored ggml format, read in place from the file's memory mapping.
public struct WeightMatrix: Sendable {
    /// The tensor's name in the file.
    public let name: String
    /// Element format.
    public let type: GGMLType
    /// Number of rows (outputs).
    public let rows: Int
    /// Row length (inputs).
    public let columns: Int
    /// Keeps the mapping alive while kernels read from it.
    private let file: GGUFFile
    private let base: UncheckedSendable<UnsafeRawPointer>
    private let rowBytes: Int

    /// The tensor `info` of `file` as a matrix: 1-D tensors are one row; higher dimensions are flattened into rows.
    public init(file: GGUFFile, info: GGUFTensorInfo) throws {
        guard Dequantization.supportedTypes.contains(info.type) else {
            throw TensorError.unsupportedType(info.type, operation: "matrix multiplication", tensor: info.name)
        }
        let data = try file.rawData(of: info)
        guard let address = data.baseAddress else {
            throw GGUFError.invalidTensor(name: info.name, reason: "has no elements")
        }
        name = info.name
        type = info.type
        rows = info.rowCount
        columns = info.rowLength
        self.file = file
        base = UncheckedSendable(address)
        rowBytes = info.rowByteCount
    }

    /// Start of row `index` (kernels only; the caller guarantees `index < rows`).
    @inline(__always)
    package func row(_ index: Int) -> UnsafeRawPointer { base.value + index * rowBytes }

    /// Row `index` as floats.
    public func dequantizedRow(_ index: Int) throws -> [Float] {
        guard index >= 0 && index < rows else {
            throw TensorError.rowOutOfRange(tensor: name, row: index, rowCount: rows)
        }
        return [Float](unsafeUninitializedCapacity: columns) { buffer, count in
            RowDequantizer.dequantize(row(index), type: type, count: columns, into: buffer.baseAddress!)
            count = columns
        }
    }

    /// `C = A · Wᵀ`: `input` is M×`columns` row-major; the result is M×(selected rows) row-major.
    ///
    /// `selecting` picks weight rows (e.g. a few vocabulary entries of an output matrix) and their order; nil means
    /// every row. Bit-identical for any `pool` size.
    package func multiply(
        _ input: [Float], rows m: Int, selecting: [Int]? = nil, numerics: NumericsMode = .exact,
        pool: ComputePool = ComputePool(threads: 1)
    ) throws -> [Float] {
        guard input.count == m * columns else {
            throw TensorError.shapeMismatch("input has \(input.count) values, expected \(m) × \(columns) for '\(name)'")
        }
        if let selecting, let bad = selecting.first(where: { $0 < 0 || $0 >= rows }) {
            throw TensorError.rowOutOfRange(tensor: name, row: bad, rowCount: rows)
        }
        let width = selecting?.count ?? rows
        return [Float](unsafeUninitializedCapacity: m * width) { buffer, count in
            input.withUnsafeBufferPointer { input in
                MatrixMultiply.multiply(self, rows: selecting, input: input.baseAddress!, inputRows: m,
                                        output: buffer.baseAddress!, outputStride: width, numerics: numerics, pool: pool)
            }
            count = m * width
        }
    }

    /// The pointer-level product for the engine: `output[i * outputStride + j] = input[i] · row(selecting?[j] ?? j)`.
    package func multiply(
        _ input: UnsafePointer<Float>, rows m: Int, selecting: [Int]? = nil,
        into output: UnsafeMutablePointer<Float>, outputStride: Int, numerics: NumericsMode, pool: ComputePool
    ) {
        MatrixMultiply.multiply(self, rows: selecting, input: input, inputRows: m, output: output,
                                outputStride: outputStride, numerics: numerics, pool: pool)
    }

    /// Several products of the same input in one thread dispatch: `targets[i].output` receives `input ·
    /// targets[i].weights` with row stride `targets[i].weights.rows`. Identical results to separate calls.
    package static func multiply(
        _ targets: [(weights: WeightMatrix, output: UnsafeMutablePointer<Float>)], input: UnsafePointer<Float>,
        rows m: Int, numerics: NumericsMode, pool: ComputePool
    ) {
        let jobs = targets.map { MatrixMultiply.Job(weights: $0.weights, rows: nil, output: $0.output, outputStride: $0.weights.rows) }
        MatrixMultiply.multiply(jobs, input: input, inputRows: m, numerics: numerics, pool: pool)
    }
}

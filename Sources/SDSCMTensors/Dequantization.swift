import SDSCMGGUF

/// Conversion of ggml block formats to `Float`, following `dequantize_row_*` in ggml-quants.c operation for
/// operation, so results are bit-identical to ggml's and gguf-py's reference dequantizers.
public enum Dequantization {
    /// The element types that can be dequantized.
    public static let supportedTypes: Set<GGMLType> = [
        .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
    ]

    /// Dequantizes `bytes`, which must hold a whole number of `type` blocks.
    public static func dequantize(_ bytes: [UInt8], as type: GGMLType) throws -> [Float] {
        guard supportedTypes.contains(type) else {
            throw TensorError.unsupportedType(type, operation: "dequantization", tensor: nil)
        }
        guard bytes.count % type.bytesPerBlock == 0 else {
            throw TensorError.byteCountNotWholeBlocks(type: type, byteCount: bytes.count)
        }
        let blocks = bytes.count / type.bytesPerBlock
        return bytes.withUnsafeBytes { source in
            [Float](unsafeUninitializedCapacity: blocks * type.blockSize) { destination, initialized in
                if let from = source.baseAddress, let to = destination.baseAddress {
                    dequantize(from, type: type, blocks: blocks, into: to)
                }
                initialized = blocks * type.blockSize
            }
        }
    }

    /// Dequantizes `blocks` blocks of `type` from `source` into `destination` (`blocks × blockSize` floats).
    /// `type` must be in `supportedTypes`; callers check before forming pointers.
    package static func dequantize(
        _ source: UnsafeRawPointer, type: GGMLType, blocks: Int, into destination: UnsafeMutablePointer<Float>
    ) {
        let stride = type.bytesPerBlock
        let width = type.blockSize
        let block: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void
        switch type {
        case .f32: block = { x, y in y[0] = Float(bitPattern: x.loadLE(UInt32.self, 0)) }
        case .f16: block = { x, y in y[0] = x.half(0) }
        case .bf16: block = { x, y in y[0] = HalfPrecision.float(fromBFloat16Bits: x.loadLE(UInt16.self, 0)) }
        case .q4_0: block = dequantizeQ4_0
        case .q4_1: block = dequantizeQ4_1
        case .q5_0: block = dequantizeQ5_0
        case .q5_1: block = dequantizeQ5_1
        case .q8_0: block = dequantizeQ8_0
        case .q2_K: block = dequantizeQ2_K
        case .q3_K: block = dequantizeQ3_K
        case .q4_K: block = dequantizeQ4_K
        case .q5_K: block = dequantizeQ5_K
        case .q6_K: block = dequantizeQ6_K
        case .q8_K: block = dequantizeQ8_K
        default: preconditionFailure("dequantize called for unsupported type \(type)")
        }
        for index in 0..<blocks {
            block(source + index * stride, destination + index * width)
        }
    }
}

extension UnsafeRawPointer {
    /// A little-endian integer at `offset`, which need not be aligned.
    @inline(__always)
    func loadLE<T: FixedWidthInteger>(_: T.Type, _ offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// The byte at `offset`.
    @inline(__always)
    func byte(_ offset: Int) -> UInt8 { load(fromByteOffset: offset, as: UInt8.self) }

    /// The IEEE half at `offset`, as `Float`.
    @inline(__always)
    func half(_ offset: Int) -> Float { HalfPrecision.float(fromHalfBits: loadLE(UInt16.self, offset)) }
}

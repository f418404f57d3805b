/// Decodes a weight block in 32-element chunks of four vectors, for the fused decode kernel. Each chunk is the
/// row dequantizer's values for those elements, so both paths give a weight the same number.
protocol BlockDecoder {
    /// What a block's chunks share (a super-block's scales), computed once per block.
    associatedtype Factors
    static var bytesPerBlock: Int { get }
    /// 32-element chunks per block: 1 for the 32-element formats, 8 for the K-quants' super-blocks.
    static var chunksPerBlock: Int { get }
    static func factors(_ block: UnsafeRawPointer) -> Factors
    static func decode(_ block: UnsafeRawPointer, _ factors: Factors, chunk: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
}

/// A 32-element format: one chunk, nothing shared.
protocol SingleChunkDecoder: BlockDecoder where Factors == Void {
    static func decode(_ block: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
}

extension SingleChunkDecoder {
    static var chunksPerBlock: Int { 1 }
    @inline(__always) static func factors(_ block: UnsafeRawPointer) {}
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, _ factors: Void, chunk: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        decode(block)
    }
}

enum Q4_0Decoder: SingleChunkDecoder {
    static var bytesPerBlock: Int { 18 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        RowDequantizer.q4_0Block(block)
    }
}

enum Q4_1Decoder: SingleChunkDecoder {
    static var bytesPerBlock: Int { 20 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        RowDequantizer.q4_1Block(block)
    }
}

enum Q5_0Decoder: SingleChunkDecoder {
    static var bytesPerBlock: Int { 22 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        RowDequantizer.q5_0Block(block)
    }
}

enum Q8_0Decoder: SingleChunkDecoder {
    static var bytesPerBlock: Int { 34 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        RowDequantizer.q8_0Block(block)
    }
}

enum Q4_KDecoder: BlockDecoder {
    static var bytesPerBlock: Int { 144 }
    static var chunksPerBlock: Int { 8 }
    @inline(__always)
    static func factors(_ block: UnsafeRawPointer) -> RowDequantizer.Q4_KFactors { RowDequantizer.q4_KFactors(block) }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, _ factors: RowDequantizer.Q4_KFactors, chunk: Int)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        RowDequantizer.q4_KChunk(block, factors, chunk)
    }
}

enum Q6_KDecoder: BlockDecoder {
    static var bytesPerBlock: Int { 210 }
    static var chunksPerBlock: Int { 8 }
    @inline(__always)
    static func factors(_ block: UnsafeRawPointer) -> SIMD16<Float> { RowDequantizer.q6_KFactors(block) }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, _ factors: SIMD16<Float>, chunk: Int)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        RowDequantizer.q6_KChunk(block, factors, chunk)
    }
}

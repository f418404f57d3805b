import SDSCMTensors

extension ModelConfiguration {
    /// Each of `rows` rows of `width` floats from `input` through the architecture's normalization (RMSNorm, or
    /// LayerNorm with its optional bias) into `output`. The blocks' norms and the final norm before the output head
    /// share this one dispatch, so the two cannot drift apart.
    func normalize(
        _ input: UnsafePointer<Float>, rows: Int, width: Int, weight: [Float], bias: [Float]?, numerics: NumericsMode,
        into output: UnsafeMutablePointer<Float>
    ) {
        weight.withUnsafeBufferPointer { w in
            func each(_ b: UnsafePointer<Float>?) {
                for row in 0..<rows {
                    let x = input + row * width, y = output + row * width
                    switch architecture.normalization {
                    case .rms:
                        VectorMath.rmsNorm(x, weight: w.baseAddress!, count: width, epsilon: normEpsilon,
                                           numerics: numerics, into: y)
                    case .layer:
                        VectorMath.layerNorm(x, weight: w.baseAddress!, bias: b, count: width, epsilon: normEpsilon,
                                             numerics: numerics, into: y)
                    }
                }
            }
            if let bias { bias.withUnsafeBufferPointer { each($0.baseAddress!) } } else { each(nil) }
        }
    }
}

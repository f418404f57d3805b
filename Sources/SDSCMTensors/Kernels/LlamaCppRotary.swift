import Foundation

/// ggml's rotary-embedding arithmetic (`ggml_rope_cache_init`, `rotate_pairs`) for `NumericsMode.llamaCpp`, checked
/// bit for bit against llama.cpp's rotated queries (`LlamaCppIntermediatesTests`, fixture from
/// Tests/Tools/kernel-fixtures/make_llama_intermediates.py). The `exact` mode's table is computed in Double instead;
/// the two differ in the last bit of about one value in five.
package enum LlamaCppRotary {
    /// cos and sin of the `pairs` angles at `position`, as ggml computes them: θ₀ = position and
    /// θᵢ₊₁ = θᵢ · base^(−2/dimensions), all in Float (one `powf`, then repeated products); each angle is scaled by
    /// `frequencyScale` and passed to the C library's `cosf`/`sinf`.
    package static func table(
        position: Int, pairs: Int, dimensions: Int, base: Float, frequencyScale: Float,
        cosines: UnsafeMutablePointer<Float>, sines: UnsafeMutablePointer<Float>
    ) {
        let step = Foundation.powf(base, -2 / Float(dimensions))
        var theta = Float(position)
        for i in 0..<pairs {
            let angle = frequencyScale * theta
            cosines[i] = Foundation.cosf(angle)
            sines[i] = Foundation.sinf(angle)
            theta = theta * step
        }
    }

    /// (x0·cos − x1·sin, x0·sin + x1·cos) as ggml's compiled `rotate_pairs` rounds them: the first product of each
    /// is fused into the sum, the second is rounded on its own.
    @inline(__always)
    package static func rotate(_ x0: Float, _ x1: Float, cosine: Float, sine: Float) -> (Float, Float) {
        (multiplyAdd(-(x1 * sine), x0, cosine), multiplyAdd(x1 * cosine, x0, sine))
    }
}

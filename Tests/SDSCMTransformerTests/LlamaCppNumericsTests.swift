import Foundation
import Testing
import SDSCMTestSupport
import SDSCMTensors
import SDSCMTransformer

/// `NumericsMode.llamaCpp` follows llama.cpp's CPU backend (its AVX-512 build) operation by operation. On the tiny
/// models of every architecture (llama, qwen2, qwen3, gpt2, gemma3) that makes our logits llama.cpp's, bit for bit,
/// wherever we reproduce the kernel llama.cpp multiplies with:
/// - Q4_1, Q5_0 and Q8_0 go through integer kernels that follow ggml's x86 dot products, and Q4_0 through one that
///   follows llama.cpp's repacked kernels (`ggml_gemm_q4_0_8x8_q8_0`; `vec_dot` for matrices whose row count is not
///   a multiple of 8, which llama.cpp leaves unpacked): every logit is llama.cpp's.
/// - Q6_K's integer kernel equals ggml's `vec_dot` (`IntegerKernelTests`), but llama.cpp multiplies batches of 8 or
///   more rows of K-quant weights with its `ggml-cpu/tiled` kernels, which sum in another order (its own logits
///   then depend on the batch). With those off (`GGML_CPU_TILED_MM=0`, the fixtures' `llamacpp_untiled_logits`)
///   every logit is llama.cpp's.
/// - F32 and Q4_K take llama.cpp kernels we do not reproduce (tinyBLAS; repacked Q4_K): held to the tolerance on
///   the llama, qwen and Gemma models (GPT-2's are left out: one flipped 8-bit activation moves its logits by
///   hundredths). F16 weights take another kernel family and are left out.
/// Everything outside the matrix products (norms, RoPE, attention, SwiGLU/GELU, soft-capping) is bit-identical in
/// all of them; `LlamaCppIntermediatesTests` checks those parts one by one.
@Suite struct LlamaCppNumericsTests {
    /// Formats whose every logit must be llama.cpp's.
    static let bitIdenticalTypes: Set<String> = ["Q4_0", "Q4_1", "Q5_0", "Q8_0", "Q6_K"]

    static let fixtures = (TinyModelTests.fixtures + Gemma3Tests.fixtures).filter {
        $0.type != "F16" && ($0.architecture != "gpt2" || bitIdenticalTypes.contains($0.type))
    }

    /// llama.cpp's numbers come from its FMA build; a build without fused multiply-add (`SDSCM_PORTABLE=1`) rounds
    /// differently, and on these tiny models one 8-bit activation that rounds the other way moves a logit by 0.02–0.04.
    @Test(.enabled(if: kernelsUseFusedMultiplyAdd, "needs a build with fused multiply-add"), arguments: fixtures)
    func reproducesLlamaCpp(_ fixture: TinyModelTests.Fixture) throws {
        let model = try TransformerModel(path: Fixtures.path("tiny-models/" + fixture.file), threads: 2, numerics: .llamaCpp)
        for sequence in fixture.sequences {
            let logits = try TinyModelTests.allLogits(model, sequence.ids)
            let scale = max(1, sequence.llamaCpp.map { abs($0) }.max() ?? 0)
            let error = zip(logits, sequence.llamaCpp).map { abs($0 - $1) }.max() ?? .infinity
            if fixture.architecture != "gpt2" {
                #expect(error <= 1e-4 * scale, "max |Δ| \(error) vs llama.cpp (its distance to exact math: \(sequence.referenceVersusLlamaCpp))")
            }
            #if arch(x86_64)
            if ["Q4_0", "Q4_1", "Q5_0", "Q8_0"].contains(fixture.type) {
                #expect(error == 0, "integer kernels: max |Δ| \(error) vs llama.cpp, expected bit-identical logits")
            }
            if fixture.type == "Q6_K" {
                let untiled = try #require(sequence.llamaCppUntiled)
                let worst = zip(logits, untiled).map { abs($0 - $1) }.max() ?? .infinity
                #expect(logits == untiled, "Q6_K: max |Δ| \(worst) vs llama.cpp without its tiled kernels")
            }
            #endif
        }
    }
}

import Foundation
import Testing
import SDSCMTestSupport
import SDSCMTensors
import SDSCMTransformer

/// `NumericsMode.llamaCpp` rounds activations as llama.cpp's CPU backend does; on the tiny models that makes our
/// logits llama.cpp's to float precision for every 8-bit and K-quant format on the llama, qwen2 and qwen3
/// architectures. (GPT-2 is excluded: llama.cpp evaluates its GELU through a half-precision lookup table; F16
/// weights are excluded: llama.cpp multiplies them through a different kernel family.) Q4_1, Q5_0 and Q8_0 go
/// through integer kernels that follow ggml's x86 dot products operation by operation, so there every logit is
/// llama.cpp's bit for bit (on x86 builds with fused multiply-add, where llama.cpp's AVX2 path is the one
/// reproduced). Q6_K's integer kernel equals ggml's `vec_dot` bit for bit (`IntegerKernelTests`), but llama.cpp
/// multiplies batches of 8 or more rows of K-quant weights with other kernels (`ggml-cpu/tiled`, and repacked
/// Q4_K), so its own logits depend on the batch there; and with those kernels off (`GGML_CPU_TILED_MM=0`) a few
/// positions of the Q6_K models still differ by one or two ulps, not yet explained. Those models are held to the
/// tolerance.
@Suite struct LlamaCppNumericsTests {
    static let fixtures = TinyModelTests.fixtures.filter {
        $0.architecture != "gpt2" && !["F16"].contains($0.type)
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
            #expect(error <= 1e-4 * scale, "max |Δ| \(error) vs llama.cpp (its distance to exact math: \(sequence.referenceVersusLlamaCpp))")
            #if arch(x86_64)
            if ["Q4_1", "Q5_0", "Q8_0"].contains(fixture.type) {
                #expect(error == 0, "integer kernels: max |Δ| \(error) vs llama.cpp, expected bit-identical logits")
            }
            #endif
        }
    }
}

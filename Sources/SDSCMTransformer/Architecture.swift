/// The structural choices that distinguish the supported decoder architectures.
///
/// The forward pass reads these traits instead of switching on names, so a new architecture is a new set of
/// traits plus the few steps it adds, not a rewrite (Gemma 3 added post-norms, the embedding scale, GELU gating
/// and interleaved sliding-window layers this way).
public struct Architecture: Sendable, Equatable {
    /// How activations are normalized.
    public enum Normalization: Sendable { case rms, layer }
    /// How rotary position embeddings pair channels: adjacent pairs (GGUF llama, whose converter permutes Q/K)
    /// or the two halves of each head (NeoX style: qwen2, qwen3, gemma3).
    public enum RotaryStyle: Sendable { case adjacentPairs, halves, none }
    /// The feed-forward block: `down(silu(gate) · up)`, `down(gelu(gate) · up)` (Gemma) or `down(gelu(up))`.
    public enum FeedForward: Sendable { case gatedSiLU, gatedGELU, gelu }

    /// `general.architecture`.
    public let name: String
    /// RMSNorm or LayerNorm.
    public let normalization: Normalization
    /// How rotary embeddings pair channels (`none`: no RoPE).
    public let rotary: RotaryStyle
    /// Gated SiLU (SwiGLU), gated GELU (GeGLU) or plain GELU feed-forward.
    public let feedForward: FeedForward
    /// Q, K and V come from one fused matrix (`attn_qkv`) laid out [Q | K | V].
    public let fusedQKV: Bool
    /// Per-head RMSNorm of Q and K before RoPE (`attn_q_norm`, `attn_k_norm`).
    public let normalizesQueryKey: Bool
    /// Learned absolute positions are added to the embeddings (`position_embd`).
    public let learnedPositions: Bool
    /// Token embeddings are multiplied by √embedding before the first block (Gemma's convention).
    public let scalesEmbeddings: Bool
    /// The attention and feed-forward outputs are RMS-normalized again (`post_attention_norm`, `post_ffw_norm`)
    /// before they join the residual stream.
    public let normalizesBlockOutputs: Bool
    /// Layers come in groups of this many: all but the last of each group attend within
    /// `attention.sliding_window` and use the local RoPE base (llama.cpp's default for the architecture; the file
    /// may override it with `attention.sliding_window_pattern`). Nil: every layer is global.
    public let slidingWindowPattern: Int?
    /// llama.cpp multiplies the queries by the attention scale before the scores (its Gemma graph) instead of
    /// scaling the scores in the softmax. Equal in exact arithmetic; `NumericsMode.llamaCpp` follows it.
    public let scalesQueries: Bool

    /// Traits of one architecture; the newer ones default to the plain pre-norm decoder.
    public init(name: String, normalization: Normalization, rotary: RotaryStyle, feedForward: FeedForward,
                fusedQKV: Bool, normalizesQueryKey: Bool, learnedPositions: Bool, scalesEmbeddings: Bool = false,
                normalizesBlockOutputs: Bool = false, slidingWindowPattern: Int? = nil, scalesQueries: Bool = false) {
        self.name = name
        self.normalization = normalization
        self.rotary = rotary
        self.feedForward = feedForward
        self.fusedQKV = fusedQKV
        self.normalizesQueryKey = normalizesQueryKey
        self.learnedPositions = learnedPositions
        self.scalesEmbeddings = scalesEmbeddings
        self.normalizesBlockOutputs = normalizesBlockOutputs
        self.slidingWindowPattern = slidingWindowPattern
        self.scalesQueries = scalesQueries
    }

    /// The architectures this package implements.
    public static let all: [Architecture] = [
        Architecture(name: "llama", normalization: .rms, rotary: .adjacentPairs, feedForward: .gatedSiLU,
                     fusedQKV: false, normalizesQueryKey: false, learnedPositions: false),
        Architecture(name: "qwen2", normalization: .rms, rotary: .halves, feedForward: .gatedSiLU,
                     fusedQKV: false, normalizesQueryKey: false, learnedPositions: false),
        Architecture(name: "qwen3", normalization: .rms, rotary: .halves, feedForward: .gatedSiLU,
                     fusedQKV: false, normalizesQueryKey: true, learnedPositions: false),
        Architecture(name: "gpt2", normalization: .layer, rotary: .none, feedForward: .gelu,
                     fusedQKV: true, normalizesQueryKey: false, learnedPositions: true),
        // The GGUF converter already stores Gemma's RMSNorm weights as 1 + w, so its norms are plain RMSNorm.
        Architecture(name: "gemma3", normalization: .rms, rotary: .halves, feedForward: .gatedGELU,
                     fusedQKV: false, normalizesQueryKey: true, learnedPositions: false, scalesEmbeddings: true,
                     normalizesBlockOutputs: true, slidingWindowPattern: 6, scalesQueries: true),
    ]

    /// The architecture called `name`, or `TransformerError.unsupportedArchitecture`.
    public static func named(_ name: String) throws -> Architecture {
        guard let architecture = all.first(where: { $0.name == name }) else {
            throw TransformerError.unsupportedArchitecture(name)
        }
        return architecture
    }
}

/// The structural choices that distinguish the supported decoder architectures.
///
/// The forward pass reads these traits instead of switching on names, so a new architecture (Gemma 3 needs
/// extra post-norms, an embedding scale, GELU gating, per-layer RoPE bases and sliding windows) is a new set of
/// traits plus the few steps it adds, not a rewrite.
public struct Architecture: Sendable, Equatable {
    /// How activations are normalized.
    public enum Normalization: Sendable { case rms, layer }
    /// How rotary position embeddings pair channels: adjacent pairs (GGUF llama, whose converter permutes Q/K)
    /// or the two halves of each head (NeoX style: qwen2, qwen3, gemma).
    public enum RotaryStyle: Sendable { case adjacentPairs, halves, none }
    /// The feed-forward block.
    public enum FeedForward: Sendable { case gatedSiLU, gelu }

    /// `general.architecture`.
    public let name: String
    /// RMSNorm or LayerNorm.
    public let normalization: Normalization
    /// How rotary embeddings pair channels (`none`: no RoPE).
    public let rotary: RotaryStyle
    /// Gated SiLU (SwiGLU) or plain GELU feed-forward.
    public let feedForward: FeedForward
    /// Q, K and V come from one fused matrix (`attn_qkv`) laid out [Q | K | V].
    public let fusedQKV: Bool
    /// Per-head RMSNorm of Q and K before RoPE (`attn_q_norm`, `attn_k_norm`).
    public let normalizesQueryKey: Bool
    /// Learned absolute positions are added to the embeddings (`position_embd`).
    public let learnedPositions: Bool

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
    ]

    /// The architecture called `name`, or `TransformerError.unsupportedArchitecture`.
    public static func named(_ name: String) throws -> Architecture {
        guard let architecture = all.first(where: { $0.name == name }) else {
            throw TransformerError.unsupportedArchitecture(name)
        }
        return architecture
    }
}

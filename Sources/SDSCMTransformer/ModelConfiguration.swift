import SDSCMGGUF

/// Hyper-parameters of a model, read from `{architecture}.*` metadata with llama.cpp's defaults.
public struct ModelConfiguration: Sendable, Equatable {
    /// The architecture named by `general.architecture`.
    public let architecture: Architecture
    /// Width of the residual stream (`embedding_length`).
    public let embeddingLength: Int
    /// Number of transformer blocks (`block_count`).
    public let layerCount: Int
    /// Hidden width of the feed-forward block (`feed_forward_length`).
    public let feedForwardLength: Int
    /// Query heads (`attention.head_count`).
    public let headCount: Int
    /// Key/value heads (`attention.head_count_kv`, default: `headCount`).
    public let keyValueHeadCount: Int
    /// Width of one head (`attention.key_length`, default: embedding / heads).
    public let headDimension: Int
    /// Maximum sequence length (`context_length`).
    public let contextLength: Int
    /// Norm epsilon (`attention.layer_norm_rms_epsilon`, or `attention.layer_norm_epsilon` for LayerNorm).
    public let normEpsilon: Float
    /// Rotated channels per head (`rope.dimension_count`, default: the head width).
    public let ropeDimensions: Int
    /// RoPE base frequency (`rope.freq_base`, default 10000); sliding-window layers use `localRopeBase`.
    public let ropeBase: Float
    /// Linear RoPE scaling of the global layers: positions are multiplied by this before rotating
    /// (1 / `rope.scaling.factor`, or 1), so a model trained with stretched positions sees the same angles.
    public let ropePositionScale: Float
    /// How many recent positions a sliding-window layer sees, its own included (`attention.sliding_window`);
    /// nil when no layer slides. llama.cpp masks key j for query p when p − j ≥ window.
    public let slidingWindow: Int?
    /// For each layer, whether it attends within `slidingWindow` (and rotates with `localRopeBase`).
    public let slidingLayers: [Bool]
    /// RoPE base of the sliding-window layers (`rope.freq_base_swa`, default 10000 as in llama.cpp).
    public let localRopeBase: Float
    /// The factor applied to q·k before the softmax.
    public let attentionScale: Float
    /// Final logits become `cap · tanh(logit / cap)` (`final_logit_softcapping`); nil: left as they are.
    public let logitSoftcap: Float?

    /// Reads the configuration; missing or inconsistent values are errors naming the key.
    public init(metadata: GGUFMetadata) throws {
        let name = try metadata.string("general.architecture")
        architecture = try Architecture.named(name)
        // Upper bounds far above any real model: a corrupt count must be an error, not a terabyte allocation.
        let limits = ["block_count": 4_096, "context_length": 1 << 24, "embedding_length": 1 << 20,
                      "feed_forward_length": 1 << 22, "attention.head_count": 4_096]
        func integer(_ key: String) throws -> Int {
            let value = try metadata.integer("\(name).\(key)")
            guard value > 0 else {
                throw TransformerError.invalidHyperparameter(key: "\(name).\(key)", reason: "must be positive, is \(value)")
            }
            if let limit = limits[key], value > limit {
                throw TransformerError.invalidHyperparameter(key: "\(name).\(key)", reason: "\(value) is above \(limit), more than any model has; the file is corrupt")
            }
            return value
        }
        func optionalInteger(_ key: String) throws -> Int? {
            try metadata.ifPresent("\(name).\(key)", GGUFMetadata.integer)
        }
        embeddingLength = try integer("embedding_length")
        layerCount = try integer("block_count")
        feedForwardLength = try integer("feed_forward_length")
        headCount = try integer("attention.head_count")
        keyValueHeadCount = try optionalInteger("attention.head_count_kv") ?? headCount
        headDimension = try optionalInteger("attention.key_length") ?? embeddingLength / headCount
        contextLength = try integer("context_length")
        let epsilonKey = architecture.normalization == .rms ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon"
        normEpsilon = try metadata.ifPresent("\(name).\(epsilonKey)", GGUFMetadata.float) ?? 1e-5
        ropeDimensions = try optionalInteger("rope.dimension_count") ?? headDimension
        ropeBase = try metadata.ifPresent("\(name).rope.freq_base", GGUFMetadata.float) ?? 10_000
        // Non-positive or non-finite values make every log-probability NaN.
        guard normEpsilon > 0, normEpsilon.isFinite else {
            throw TransformerError.invalidHyperparameter(key: "\(name).\(epsilonKey)", reason: "must be a positive finite number, is \(normEpsilon)")
        }
        guard ropeBase > 0, ropeBase.isFinite else {
            throw TransformerError.invalidHyperparameter(key: "\(name).rope.freq_base", reason: "must be a positive finite number, is \(ropeBase)")
        }
        func positiveFloat(_ key: String) throws -> Float? {
            guard let value = try metadata.ifPresent("\(name).\(key)", GGUFMetadata.float) else { return nil }
            guard value >= 0, value.isFinite else {
                throw TransformerError.invalidHyperparameter(key: "\(name).\(key)", reason: "must be a non-negative finite number, is \(value)")
            }
            return value
        }
        // As llama.cpp: the scaling type defaults to linear, and a factor of 0 (or none) means no scaling. Other
        // scaling schemes (YaRN, LongRoPE) change every frequency and are not implemented: refuse them rather
        // than give quietly wrong log-probabilities.
        let factor = try positiveFloat("rope.scaling.factor") ?? positiveFloat("rope.scale_linear") ?? 0
        let scalingType = try metadata.ifPresent("\(name).rope.scaling.type", GGUFMetadata.string) ?? "linear"
        switch scalingType {
        case "none": ropePositionScale = 1
        case "linear": ropePositionScale = factor == 0 ? 1 : 1 / factor
        default:
            guard factor == 0 || factor == 1 else {
                throw TransformerError.invalidHyperparameter(
                    key: "\(name).rope.scaling.type", reason: "RoPE scaling '\(scalingType)' is not supported (only linear)")
            }
            ropePositionScale = 1
        }
        localRopeBase = try positiveFloat("rope.freq_base_swa") ?? 10_000
        guard localRopeBase > 0 else {
            throw TransformerError.invalidHyperparameter(key: "\(name).rope.freq_base_swa", reason: "must be positive")
        }
        let softcap = try positiveFloat("final_logit_softcapping") ?? 0
        logitSoftcap = softcap > 0 ? softcap : nil

        // Sliding windows: only architectures that interleave them read the keys (as llama.cpp), and a window
        // of 0 means every layer is global.
        let window = architecture.slidingWindowPattern == nil ? nil : try optionalInteger("attention.sliding_window")
        if let window, window > 0, let defaultPattern = architecture.slidingWindowPattern {
            slidingWindow = window
            let patternKey = "\(name).attention.sliding_window_pattern"
            if case .array(let flags)? = metadata[patternKey] {
                guard case .bool(let values) = flags, values.count == layerCount else {
                    throw TransformerError.invalidHyperparameter(
                        key: patternKey, reason: "must be one BOOL per layer (\(layerCount)), is \(flags.count) \(flags.elementType)")
                }
                slidingLayers = values
            } else {
                let pattern = try metadata.ifPresent(patternKey, GGUFMetadata.integer) ?? defaultPattern
                guard pattern >= 0 else {
                    throw TransformerError.invalidHyperparameter(key: patternKey, reason: "must not be negative, is \(pattern)")
                }
                // Groups of `pattern` layers whose last one is global; 0 makes every layer slide (llama.cpp).
                slidingLayers = (0..<layerCount).map { pattern == 0 || $0 % pattern < pattern - 1 }
            }
        } else {
            slidingWindow = nil
            slidingLayers = Array(repeating: false, count: layerCount)
        }
        // llama.cpp follows gemma_pytorch: Gemma 3 27B (62 layers) scales by 1/√(embedding / heads) (its
        // query_pre_attn_scalar, which the GGUF does not record); every other model by 1/√(head width).
        if architecture.name == "gemma3" && layerCount == 62 {
            attentionScale = 1 / Float(embeddingLength / headCount).squareRoot()
        } else {
            attentionScale = 1 / Float(headDimension).squareRoot()
        }

        guard keyValueHeadCount > 0, headCount % keyValueHeadCount == 0 else {
            throw TransformerError.invalidHyperparameter(
                key: "\(name).attention.head_count_kv",
                reason: "\(keyValueHeadCount) does not divide the \(headCount) query heads")
        }
        if let valueLength = try optionalInteger("attention.value_length"), valueLength != headDimension {
            throw TransformerError.invalidHyperparameter(
                key: "\(name).attention.value_length", reason: "\(valueLength) differs from the key length \(headDimension)")
        }
        guard headDimension > 0, ropeDimensions <= headDimension, ropeDimensions % 2 == 0 else {
            throw TransformerError.invalidHyperparameter(
                key: "\(name).rope.dimension_count",
                reason: "\(ropeDimensions) must be even and at most the head width \(headDimension)")
        }
    }

    /// Width of all query heads together.
    public var queryWidth: Int { headCount * headDimension }
    /// Width of all key (or value) heads together.
    public var keyValueWidth: Int { keyValueHeadCount * headDimension }
}

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
    /// RoPE base frequency (`rope.freq_base`, default 10000).
    public let ropeBase: Float

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

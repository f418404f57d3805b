import SDSCMGGUF
import SDSCMTensors

/// The tensors of one transformer block.
struct LayerWeights: Sendable {
    var attentionNorm: [Float]
    var attentionNormBias: [Float]?
    /// Separate projections, or nil when the architecture fuses them into `fusedQKV`.
    var query: WeightMatrix?
    var key: WeightMatrix?
    var value: WeightMatrix?
    var queryBias: [Float]?
    var keyBias: [Float]?
    var valueBias: [Float]?
    var fusedQKV: WeightMatrix?
    var fusedQKVBias: [Float]?
    var queryNorm: [Float]?
    var keyNorm: [Float]?
    var attentionOutput: WeightMatrix
    var attentionOutputBias: [Float]?
    /// Gemma's norms of the attention and feed-forward outputs (`post_attention_norm`, `post_ffw_norm`).
    var postAttentionNorm: [Float]?
    var postFeedForwardNorm: [Float]?
    var feedForwardNorm: [Float]
    var feedForwardNormBias: [Float]?
    var gate: WeightMatrix?
    var up: WeightMatrix
    var upBias: [Float]?
    var down: WeightMatrix
    var downBias: [Float]?
}

/// Every tensor of a model, validated against its configuration at load time so that the forward pass never
/// meets a shape it does not expect.
struct ModelWeights: Sendable {
    var tokenEmbedding: WeightMatrix
    var positionEmbedding: WeightMatrix?
    var outputNorm: [Float]
    var outputNormBias: [Float]?
    /// `output.weight`, or the token embedding when the file ties them.
    var output: WeightMatrix
    var layers: [LayerWeights]

    var vocabularySize: Int { tokenEmbedding.rows }

    init(file: GGUFFile, configuration c: ModelConfiguration) throws {
        let loader = Loader(file: file)
        let embedding = c.embeddingLength
        tokenEmbedding = try loader.matrix("token_embd.weight", columns: embedding)
        let vocabulary = tokenEmbedding.rows
        positionEmbedding = c.architecture.learnedPositions
            ? try loader.matrix("position_embd.weight", columns: embedding) : nil
        outputNorm = try loader.vector("output_norm.weight", count: embedding)
        outputNormBias = try loader.optionalVector("output_norm.bias", count: embedding)
        output = try loader.optionalMatrix("output.weight", rows: vocabulary, columns: embedding) ?? tokenEmbedding

        layers = try (0..<c.layerCount).map { index in
            let p = "blk.\(index)."
            var layer = LayerWeights(
                attentionNorm: try loader.vector(p + "attn_norm.weight", count: embedding),
                attentionNormBias: try loader.optionalVector(p + "attn_norm.bias", count: embedding),
                attentionOutput: try loader.matrix(p + "attn_output.weight", rows: embedding, columns: c.queryWidth),
                attentionOutputBias: try loader.optionalVector(p + "attn_output.bias", count: embedding),
                feedForwardNorm: try loader.vector(p + "ffn_norm.weight", count: embedding),
                feedForwardNormBias: try loader.optionalVector(p + "ffn_norm.bias", count: embedding),
                up: try loader.matrix(p + "ffn_up.weight", rows: c.feedForwardLength, columns: embedding),
                upBias: try loader.optionalVector(p + "ffn_up.bias", count: c.feedForwardLength),
                down: try loader.matrix(p + "ffn_down.weight", rows: embedding, columns: c.feedForwardLength),
                downBias: try loader.optionalVector(p + "ffn_down.bias", count: embedding))
            if c.architecture.fusedQKV {
                let width = c.queryWidth + 2 * c.keyValueWidth
                layer.fusedQKV = try loader.matrix(p + "attn_qkv.weight", rows: width, columns: embedding)
                layer.fusedQKVBias = try loader.optionalVector(p + "attn_qkv.bias", count: width)
            } else {
                layer.query = try loader.matrix(p + "attn_q.weight", rows: c.queryWidth, columns: embedding)
                layer.key = try loader.matrix(p + "attn_k.weight", rows: c.keyValueWidth, columns: embedding)
                layer.value = try loader.matrix(p + "attn_v.weight", rows: c.keyValueWidth, columns: embedding)
                layer.queryBias = try loader.optionalVector(p + "attn_q.bias", count: c.queryWidth)
                layer.keyBias = try loader.optionalVector(p + "attn_k.bias", count: c.keyValueWidth)
                layer.valueBias = try loader.optionalVector(p + "attn_v.bias", count: c.keyValueWidth)
            }
            if c.architecture.normalizesQueryKey {
                layer.queryNorm = try loader.vector(p + "attn_q_norm.weight", count: c.headDimension)
                layer.keyNorm = try loader.vector(p + "attn_k_norm.weight", count: c.headDimension)
            }
            if c.architecture.normalizesBlockOutputs {
                layer.postAttentionNorm = try loader.vector(p + "post_attention_norm.weight", count: embedding)
                layer.postFeedForwardNorm = try loader.vector(p + "post_ffw_norm.weight", count: embedding)
            }
            if c.architecture.feedForward != .gelu {
                layer.gate = try loader.matrix(p + "ffn_gate.weight", rows: c.feedForwardLength, columns: embedding)
            }
            return layer
        }
    }

    /// Looks tensors up and checks their shapes.
    private struct Loader {
        let file: GGUFFile

        func matrix(_ name: String, rows: Int? = nil, columns: Int) throws -> WeightMatrix {
            guard let info = file.tensorIfPresent(named: name) else { throw TransformerError.missingTensor(name) }
            guard info.shape.count == 2, info.shape[0] == columns, rows == nil || info.shape[1] == rows else {
                throw TransformerError.shapeMismatch(tensor: name, expected: [columns, rows ?? -1], found: info.shape)
            }
            return try WeightMatrix(file: file, info: info)
        }

        func optionalMatrix(_ name: String, rows: Int, columns: Int) throws -> WeightMatrix? {
            file.tensorIfPresent(named: name) == nil ? nil : try matrix(name, rows: rows, columns: columns)
        }

        func vector(_ name: String, count: Int) throws -> [Float] {
            guard let info = file.tensorIfPresent(named: name) else { throw TransformerError.missingTensor(name) }
            guard info.elementCount == count, info.shape.count <= 2 else {
                throw TransformerError.shapeMismatch(tensor: name, expected: [count], found: info.shape)
            }
            return try MappedTensor(file: file, info: info).dequantized()
        }

        func optionalVector(_ name: String, count: Int) throws -> [Float]? {
            file.tensorIfPresent(named: name) == nil ? nil : try vector(name, count: count)
        }
    }
}

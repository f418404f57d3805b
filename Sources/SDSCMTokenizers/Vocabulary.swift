import SDSCMGGUF

/// The tokenizer algorithm a vocabulary uses.
public enum TokenizerModel: String, Sendable {
    /// SentencePiece BPE with scores (`tokenizer.ggml.model = llama`): Llama 2, Gemma 3, Phi-3.
    case sentencePiece = "llama"
    /// Byte-pair encoding with merge ranks (`gpt2`, and `gemma4`'s SentencePiece-style variant).
    case bytePairEncoding = "gpt2"
}

/// A vocabulary as llama.cpp loads it from GGUF metadata: token texts, scores and attributes, special token ids
/// and the flags that steer tokenization and detokenization.
public struct Vocabulary: Sendable {
    /// The algorithm.
    public let model: TokenizerModel
    /// `tokenizer.ggml.model` as stored (e.g. `gpt2`, `gemma4`).
    public let modelName: String
    /// The pre-tokenizer for BPE vocabularies (nil for SentencePiece).
    let preTokenizer: PreTokenizer?

    /// Token texts as stored in the file.
    public let texts: [String]
    /// Token scores (SentencePiece merge priority); zeros when the file has none.
    public let scores: [Float]
    /// Token attributes.
    public let attributes: [TokenAttributes]
    let table: ByteStringTable

    /// Beginning-of-sequence token.
    public let bos: Int?
    /// End-of-sequence token.
    public let eos: Int?
    /// End-of-turn token.
    public let eot: Int?
    /// Unknown-piece token.
    public let unknown: Int?
    /// Padding token.
    public let padding: Int?
    /// Every token that ends generation (EOS, EOT, EOM and the texts llama.cpp recognises).
    public let endOfGeneration: Set<Int>

    /// Whether encoding with special tokens adds BOS.
    public let addsBOS: Bool
    /// Whether encoding with special tokens adds EOS.
    public let addsEOS: Bool
    /// Whether SentencePiece text gets a leading space (and decoding strips it from the first piece).
    public let addsSpacePrefix: Bool
    /// Whether decoding removes spaces before punctuation and in contractions.
    public let cleansSpaces: Bool
    /// Control, user-defined and unknown tokens, longest text first: the order in which they are cut out of text.
    let specialTokens: [Int32]

    /// Number of tokens.
    public var count: Int { texts.count }

    /// The id of the token whose text is exactly `text`.
    public func id(of text: String) -> Int? {
        table.id(of: Array(text.utf8)).map(Int.init)
    }

    func id(of bytes: UnsafeBufferPointer<UInt8>) -> Int32? { table.id(of: bytes) }
    func id(of bytes: [UInt8]) -> Int32? { table.id(of: bytes) }

    /// The raw bytes of a token's text.
    func bytes(of id: Int32) -> ArraySlice<UInt8> { table.bytes(id) }
}

extension Vocabulary {
    /// Loads the vocabulary described by `tokenizer.*` keys, applying llama.cpp's defaults and overrides.
    public init(metadata: GGUFMetadata) throws {
        modelName = try metadata.string("tokenizer.ggml.model")
        var pre = try metadata.ifPresent("tokenizer.ggml.pre", GGUFMetadata.string)
        var bos: Int?, eos: Int?, unknown: Int?
        var addBOS = false, addEOS = false, addSpacePrefix = false, cleanSpaces = false
        switch modelName {
        case "llama":
            model = .sentencePiece
            (bos, eos, unknown) = (1, 2, 0)
            (addSpacePrefix, addBOS) = (true, true)
            preTokenizer = nil
        case "gpt2", "gemma4":
            model = .bytePairEncoding
            if modelName == "gemma4" {
                pre = "gemma4"
            } else {
                (bos, eos) = (11, 11)
            }
            guard let preTokenizer = PreTokenizer.named(pre) else {
                throw TokenizerError.unsupportedPreTokenizer(pre ?? "default")
            }
            self.preTokenizer = preTokenizer
            cleanSpaces = preTokenizer.cleanSpaces
            addBOS = preTokenizer.addBOS
        default:
            throw TokenizerError.unsupportedModel(modelName)
        }
        if let value = try metadata.ifPresent("tokenizer.ggml.add_space_prefix", GGUFMetadata.bool) {
            addSpacePrefix = value
        }

        let texts = try metadata.strings("tokenizer.ggml.tokens")
        guard !texts.isEmpty else {
            throw TokenizerError.invalidMetadata(key: "tokenizer.ggml.tokens", reason: "the vocabulary is empty")
        }
        let count = texts.count
        scores = try Self.scores(metadata, count: count)
        var attributes = try Self.attributes(metadata, count: count)

        var table = ByteStringTable()
        var finalTexts = texts
        for (index, text) in texts.enumerated() {
            // llama.cpp renames empty entries so that every text is unique.
            let text = text.isEmpty ? "[EMPTY_\(index)]" : text
            finalTexts[index] = text
            let id = table.intern(Array(text.utf8))
            guard Int(id) == index else {
                throw TokenizerError.duplicateToken(text: text, first: Int(id), second: index)
            }
        }
        self.texts = finalTexts
        self.table = table

        // Special ids: a default outside the vocabulary is dropped; a file value outside it is ignored.
        func specialID(_ keys: [String], default value: Int?) throws -> Int? {
            var id = value.flatMap { $0 < count ? $0 : nil }
            for key in keys {
                if let fromFile = try metadata.ifPresent(key, GGUFMetadata.integer), fromFile >= 0, fromFile < count {
                    id = fromFile
                }
            }
            return id
        }
        let prefix = "tokenizer.ggml."
        self.bos = try specialID([prefix + "bos_token_id"], default: bos)
        self.eos = try specialID([prefix + "eos_token_id"], default: eos)
        var eot = try specialID([prefix + "eot_token_id"], default: nil)
        var eom = try specialID([prefix + "eom_token_id"], default: nil)
        self.unknown = try specialID([prefix + "unknown_token_id"], default: unknown)
        padding = try specialID([prefix + "padding_token_id"], default: nil)
        var fimPad = try specialID([prefix + "fim_pad_token_id"], default: nil)
        var fimRepo = try specialID([prefix + "fim_rep_token_id"], default: nil)
        var fimSeparator = try specialID([prefix + "fim_sep_token_id"], default: nil)
        var fimPrefix = try specialID([prefix + "fim_pre_token_id", prefix + "prefix_token_id"], default: nil)
        var fimSuffix = try specialID([prefix + "fim_suf_token_id", prefix + "suffix_token_id"], default: nil)
        var fimMiddle = try specialID([prefix + "fim_mid_token_id", prefix + "middle_token_id"], default: nil)

        if let value = try metadata.ifPresent(prefix + "add_bos_token", GGUFMetadata.bool) { addBOS = value }
        if let value = try metadata.ifPresent(prefix + "add_eos_token", GGUFMetadata.bool) { addEOS = value }
        if preTokenizer?.name == "gemma4" { addBOS = true }
        if addBOS && self.bos == nil {
            throw TokenizerError.invalidMetadata(key: prefix + "add_bos_token", reason: "BOS is added but no BOS id is set")
        }
        if addEOS && self.eos == nil {
            throw TokenizerError.invalidMetadata(key: prefix + "add_eos_token", reason: "EOS is added but no EOS id is set")
        }

        // Tokens llama.cpp recognises by text: they become control tokens and may fill unset special ids.
        func forceControl(_ id: Int) { attributes[id].insert(.control) }
        // Looked up by bytes: String equality is canonical equivalence, and scanning 262,144 texts per list is slow.
        func ids(withTextIn candidates: [String]) -> [Int] {
            candidates.compactMap { table.id(of: Array($0.utf8)).map(Int.init) }.sorted()
        }
        func firstID(withTextIn candidates: [String]) -> Int? { ids(withTextIn: candidates).first }
        func adopt(_ slot: inout Int?, _ candidates: [String]) {
            guard slot == nil, let id = firstID(withTextIn: candidates) else { return }
            slot = id
            forceControl(id)
        }
        adopt(&eot, ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
                     "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"])
        adopt(&eom, ["<|eom_id|>"])
        adopt(&fimPrefix, ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
                           "<|code_prefix|>", "<|prefix|>"])
        adopt(&fimSuffix, ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
                           "<|code_suffix|>", "<|suffix|>"])
        adopt(&fimMiddle, ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
                           "<|code_middle|>", "<|middle|>"])
        adopt(&fimPad, ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"])
        adopt(&fimRepo, ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"])
        adopt(&fimSeparator, ["<|file_sep|>"])
        self.eot = eot

        for id in 0..<count where attributes[id].contains(.control) && finalTexts[id].utf8.firstRange(of: "unused".utf8) != nil {
            attributes[id].insert(.unused)
        }

        var endOfGeneration = Set([fimPad, fimRepo, fimSeparator].compactMap { $0 })
        let endTexts = [
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>",
            "[e~[",
        ]
        for id in ids(withTextIn: endTexts) {
            endOfGeneration.insert(id)
            forceControl(id)
        }
        for id in ids(withTextIn: ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]) {
            attributes[id] = .userDefined
        }
        for id in [self.eos, eot, eom].compactMap({ $0 }) { endOfGeneration.insert(id) }
        let endText = { (text: String) in firstID(withTextIn: [text]).flatMap { endOfGeneration.contains($0) ? $0 : nil } }
        let hasCall = endText("<|call|>") != nil || endText("<|calls|>") != nil
        if let end = endText("<|end|>"), hasCall && (endText("<|return|>") != nil || endText("<|flush|>") != nil) {
            endOfGeneration.remove(end)
            attributes[end] = .userDefined
        }
        if let closing = endText("</s>"), endText("<|tool_response>") != nil || endText("<|plamo:eos|>") != nil {
            endOfGeneration.remove(closing)
            attributes[closing] = .normal
        }
        self.endOfGeneration = endOfGeneration

        // The order special tokens are cut out of text: longest first (ties by id, for determinism).
        let specialMask: TokenAttributes = [.control, .userDefined, .unknown]
        let special: [Int] = (0..<count).filter { !attributes[$0].isDisjoint(with: specialMask) }
        let lengths: [Int] = special.map { finalTexts[$0].utf8.count }
        let order: [Int] = special.indices.sorted { a, b in
            lengths[a] != lengths[b] ? lengths[a] > lengths[b] : special[a] < special[b]
        }
        specialTokens = order.map { Int32(special[$0]) }

        // Per-model strip attributes llama.cpp sets by name.
        let name = (try? metadata.string("general.name"))?.lowercased() ?? ""
        let architecture = (try? metadata.string("general.architecture")) ?? ""
        let preName = pre ?? ""
        func setAttribute(_ text: String, _ attribute: TokenAttributes, _ on: Bool) {
            guard let id = table.id(of: Array(text.utf8)) else { return }
            if on { attributes[Int(id)].insert(attribute) } else { attributes[Int(id)].remove(attribute) }
        }
        if ["jina-v2-de", "jina-v2-es", "jina-v2-code"].contains(where: preName.contains)
            || ["nomic-bert-moe", "jina-bert-v3"].contains(where: architecture.contains)
        {
            setAttribute("<mask>", .leftStrip, true)
        } else if name.contains("phi-3") || name.contains("phi3") {
            for id in specialTokens { attributes[Int(id)].insert(.rightStrip) }
            setAttribute("</s>", .rightStrip, true)
            for text in ["<unk>", "<s>", "<|endoftext|>"] { setAttribute(text, .rightStrip, false) }
        } else if name.contains("modern-bert") {
            setAttribute("[MASK]", .leftStrip, true)
        }

        self.attributes = attributes
        self.addsBOS = addBOS
        self.addsEOS = addEOS
        self.addsSpacePrefix = addSpacePrefix
        self.cleansSpaces = cleanSpaces
    }

    private static func scores(_ metadata: GGUFMetadata, count: Int) throws -> [Float] {
        let key = "tokenizer.ggml.scores"
        guard metadata.contains(key) else { return [Float](repeating: 0, count: count) }
        let values: [Float]
        switch try metadata.array(key) {
        case .float32(let floats): values = floats
        case .int32(let integers): values = integers.map(Float.init)
        case let other:
            throw TokenizerError.invalidMetadata(key: key, reason: "expected FLOAT32 or INT32 elements, found \(other.elementType)")
        }
        guard values.count >= count else {
            throw TokenizerError.invalidMetadata(key: key, reason: "\(values.count) scores for \(count) tokens")
        }
        return Array(values.prefix(count))
    }

    private static func attributes(_ metadata: GGUFMetadata, count: Int) throws -> [TokenAttributes] {
        let key = "tokenizer.ggml.token_type"
        guard metadata.contains(key) else { return [TokenAttributes](repeating: .normal, count: count) }
        guard case .int32(let types) = try metadata.array(key) else {
            throw TokenizerError.invalidMetadata(key: key, reason: "expected INT32 elements")
        }
        guard types.count >= count else {
            throw TokenizerError.invalidMetadata(key: key, reason: "\(types.count) token types for \(count) tokens")
        }
        return types.prefix(count).map { TokenAttributes(tokenType: Int($0)) }
    }
}

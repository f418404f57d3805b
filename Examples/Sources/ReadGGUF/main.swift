// Reads a GGUF model with the SDSCM library: metadata, tensor table, and one dequantized embedding row.
//
//   swift run ReadGGUF [path/to/model.gguf]
//
// Without an argument it opens SmolLM2 from the model directory (run Tests/Scripts/fetch-models.sh first).
import SDSCMTensors
import SDSCMTokenizers
import SDSCMGGUF
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let path = CommandLine.arguments.dropFirst().first
guard let path else {
    print("usage: ReadGGUF <model.gguf>   (or fetch SmolLM2 with Tests/Scripts/fetch-models.sh)")
    exit(2)
}

do {
    let file = try GGUFFile(path: path)
    let architecture = try file.metadata.string("general.architecture")
    print("\(path): GGUF v\(file.version), architecture \(architecture), \(file.tensors.count) tensors")

    // Hyper-parameters are stored under the architecture's prefix; any integer type is accepted.
    if let layers = try file.metadata.ifPresent("\(architecture).block_count", GGUFMetadata.integer) {
        print("layers: \(layers)")
    }
    if let tokens = try file.metadata.ifPresent("tokenizer.ggml.tokens", GGUFMetadata.strings) {
        print("vocabulary: \(tokens.count) tokens, first: \(tokens.prefix(3))")
    }

    // Dequantize one row of the embedding matrix straight from the memory mapping.
    let embedding = try file.mappedTensor(named: "token_embd.weight")
    let row = try embedding.row(0)
    print("token_embd.weight: \(embedding.info.type) \(embedding.info.shape), row 0 starts \(row.prefix(4))")
} catch {
    print("error: \(error)")
    exit(1)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where models fetched by `Tests/Scripts/fetch-models.sh` live, and the files it provides.
///
/// One mechanism for every test, command and example: the `SDSCM_MODELS` environment variable, or `.models` in
/// the current directory when it is unset (the fetch script's default when run from the package root).
public enum ModelDirectory {
    /// The environment variable that overrides the location.
    public static let environmentVariable = "SDSCM_MODELS"

    /// The directory path: `$SDSCM_MODELS`, or `.models` relative to the current directory.
    public static var path: String {
        if let value = getenv(environmentVariable), let path = String(validatingCString: value), !path.isEmpty {
            return path
        }
        return ".models"
    }

    /// The path of `file` inside the directory, if it exists.
    public static func locate(_ file: FetchedModelFile) -> String? {
        let candidate = path + "/" + file.relativePath
        return access(candidate, R_OK) == 0 ? candidate : nil
    }
}

/// A file that `Tests/Scripts/fetch-models.sh` places in the model directory.
public struct FetchedModelFile: Sendable, Hashable, CustomStringConvertible {
    /// Path relative to the model directory.
    public let relativePath: String
    /// Expected SHA-256 of the file (the fetch script verifies it), or nil for files checked as a set.
    public let sha256: String?

    public var description: String { relativePath }

    /// SmolLM2-135M-Instruct quantized to Q4_1 (llama architecture, gpt2/smollm tokenizer; Apache-2.0).
    public static let smolLM2 = FetchedModelFile(
        relativePath: "SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")

    /// Gemma-3-270M quantized to Q4_K_M (gemma3 architecture, SentencePiece-style tokenizer; Gemma terms).
    public static let gemma3 = FetchedModelFile(
        relativePath: "gemma-3-270m-q4_k_m.gguf",
        sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818")

    /// One of llama.cpp's vocabulary-only test files (`name` as in `ggml-vocab-NAME.gguf`), with `.inp`/`.out`
    /// test vectors beside it.
    public static func llamaVocabulary(_ name: String) -> FetchedModelFile {
        FetchedModelFile(relativePath: "llama-vocab/ggml-vocab-\(name).gguf", sha256: nil)
    }
}

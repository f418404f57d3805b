// The SDSCM umbrella module: `import SDSCM` gives the whole public API, from the GGUF reader up.
@_exported import GGUF
@_exported import Tensors
@_exported import Tokenizers
@_exported import Transformer
@_exported import Randomness
@_exported import LanguageModels

// libFuzzer entry point for the GGUF reader and the dequantizers. Built by Tests/Tools/fuzz/run.sh; not part of the
// package. Any crash is a bug: every input must end in a GGUFError/TensorError or a valid file.
import SDSCMGGUF
import SDSCMTensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? GGUFFile(bytes: bytes) else { return 0 }
    for (key, _) in file.metadata.entries {
        _ = try? file.metadata.integer(key)
        _ = try? file.metadata.strings(key)
    }
    for info in file.tensors where Dequantization.supportedTypes.contains(info.type) && info.byteCount < (1 << 20) {
        _ = try? MappedTensor(file: file, info: info).dequantized()
    }
    return 0
}

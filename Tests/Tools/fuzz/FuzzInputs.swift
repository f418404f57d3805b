// libFuzzer entry point for the text inputs users hand to SDSCM: the JSON configuration parser (both formats)
// and the CSV reader. Built by Tests/Tools/fuzz/run-inputs.sh; not part of the package. Any crash is a bug:
// every input must end in a ConfigurationError/DataTableError or a valid value.
import Foundation
import SDSCM

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    if let configuration = try? CausalModelConfiguration(json: bytes) {
        _ = try? configuration.graph()
        _ = try? configuration.makeModel(languageModel: nil)
    }
    if ReferenceConfiguration.recognizes(bytes), let reference = try? ReferenceConfiguration(json: bytes) {
        _ = reference.configuration(variation: 0)
    }
    if let table = try? DataTable(csv: String(decoding: bytes, as: UTF8.self)) {
        for name in table.header.prefix(4) {
            _ = try? table.numbers(name)
            _ = try? table.column(name)
        }
        _ = table.csv
    }
    return 0
}

import Foundation
import SDSCMGGUF
import Testing
import SDSCMTestSupport

/// The metadata fixture was written by gguf-py's GGUFWriter and re-read by gguf-py's GGUFReader
/// (Tests/Tools/gguf-fixtures/make_fixtures.py); our reader must agree with it on every key, type, value and offset.
@Suite struct MetadataFixtureTests {
    let file: GGUFFile
    let expected: [String: Any]

    init() throws {
        file = try GGUFFile(path: Fixtures.path("gguf/metadata.gguf"))
        expected = try #require(try Fixtures.json("gguf/metadata.json") as? [String: Any])
    }

    @Test func headerMatchesGGUFPy() throws {
        #expect(file.version == 3)
        #expect(file.alignment == expected["alignment"] as? Int)
        #expect(file.alignment == 64)
        #expect(file.dataOffset == expected["data_offset"] as? Int)
        #expect(file.dataOffset % 64 == 0)
        #expect(file.architecture == "fixture")
    }

    @Test func everyValueTypeMatchesInFileOrder() throws {
        let entries = try #require(expected["metadata"] as? [[String: Any]])
        #expect(file.metadata.keys == entries.map { $0["key"] as? String ?? "" })
        for entry in entries {
            let key = try #require(entry["key"] as? String)
            let value = try #require(file.metadata[key])
            let expectedValue = try Self.value(from: entry)
            #expect(value == expectedValue, "key \(key): \(value) vs \(expectedValue)")
        }
    }

    @Test func allThirteenValueTypesArePresent() {
        var seen = Set<GGUFValueType>()
        for (_, value) in file.metadata.entries {
            seen.insert(value.type)
            if case .array(let array) = value { seen.insert(array.elementType) }
        }
        #expect(seen == Set(GGUFValueType.allCases))
    }

    @Test func tensorTableMatchesGGUFPy() throws {
        let tensors = try #require(expected["tensors"] as? [[String: Any]])
        #expect(file.tensors.count == tensors.count)
        for (info, entry) in zip(file.tensors, tensors) {
            #expect(info.name == entry["name"] as? String)
            #expect(info.type.description == entry["type"] as? String)
            #expect(info.shape == entry["shape"] as? [Int])
            #expect(file.dataOffset + info.offset == entry["absolute_offset"] as? Int)
            #expect(info.byteCount == entry["byte_count"] as? Int)
        }
        let small = try file.tensor(named: "small.f32")
        let floats = try file.data(of: small).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let expectedFloats = try #require(expected["small_f32"] as? [Double]).map { Float($0) }
        #expect(floats == expectedFloats)
    }

    @Test func typedAccessors() throws {
        let metadata = file.metadata
        #expect(try metadata.string("general.architecture") == "fixture")
        #expect(try metadata.integer("fixture.uint8") == 200)
        #expect(try metadata.integer("fixture.int16") == -30000)
        #expect(try metadata.integer("fixture.uint32") == 4_000_000_000)
        #expect(try metadata.integer("fixture.int64") == -(1 << 62) - 7)
        #expect(try metadata.float("fixture.float32") == Float(3.14159265))
        #expect(try metadata.float("fixture.float64") == Float(2.718281828459045))
        #expect(try metadata.bool("fixture.bool_true"))
        #expect(try !metadata.bool("fixture.bool_false"))
        #expect(try metadata.strings("fixture.array.string") == ["a", "", "ü", "<|im_start|>"])
        #expect(try metadata.integers("fixture.array.int8") == [-128, 0, 127])
        #expect(try metadata.integers("fixture.array.uint32") == [7, 4_294_967_295])
        #expect(try metadata.floats("fixture.array.float32") == [0.5, -1.25, 1e-5])
        #expect(try metadata.ifPresent("fixture.uint16", GGUFMetadata.integer) == 60000)
        #expect(try metadata.ifPresent("absent.key", GGUFMetadata.integer) == nil)
    }

    @Test func accessorErrorsNameTheKey() {
        let metadata = file.metadata
        #expect(throws: GGUFError.missingKey("llama.block_count")) { try metadata.integer("llama.block_count") }
        #expect(throws: GGUFError.typeMismatch(key: "fixture.string", expected: "an integer that fits Int", found: "STRING")) {
            try metadata.integer("fixture.string")
        }
        // UINT64 above Int.max does not fit: an error, not a wrapped value.
        #expect(throws: GGUFError.self) { try metadata.integer("fixture.uint64") }
        #expect(throws: GGUFError.self) { try metadata.integers("fixture.array.uint64") }
        #expect(throws: GGUFError.typeMismatch(key: "fixture.array.int8", expected: "ARRAY[STRING]", found: "ARRAY[INT8]")) {
            try metadata.strings("fixture.array.int8")
        }
        #expect(throws: GGUFError.self) { try metadata.ifPresent("fixture.string", GGUFMetadata.bool) }
        let message = String(describing: GGUFError.missingKey("llama.block_count"))
        #expect(message.contains("llama.block_count"))
    }

    @Test func versionTwoReadsTheSameAndVersionOneIsRejected() throws {
        var bytes = try Fixtures.bytes("gguf/metadata.gguf")
        bytes[4] = 2
        let v2 = try GGUFFile(bytes: bytes)
        #expect(v2.version == 2)
        #expect(v2.metadata == file.metadata)
        #expect(v2.tensors == file.tensors)

        bytes[4] = 1
        let error = try #require(throws: GGUFError.self) { try GGUFFile(bytes: bytes) }
        #expect(error == .unsupportedVersion(1, reason: "GGUF version 1 is no longer supported; re-convert the model with a current llama.cpp"))
        #expect(String(describing: error).contains("version 1"))

        bytes[4] = 4
        #expect(throws: GGUFError.unsupportedVersion(4, reason: "this reader accepts versions 2 and 3")) {
            try GGUFFile(bytes: bytes)
        }
        // A big-endian writer stores 3 as 00 00 00 03.
        bytes.replaceSubrange(4..<8, with: [0, 0, 0, 3])
        let swapped = try #require(throws: GGUFError.self) { try GGUFFile(bytes: bytes) }
        #expect(String(describing: swapped).contains("byte-swapped"))
    }

    // MARK: Expected values from JSON

    static func value(from entry: [String: Any]) throws -> GGUFValue {
        let type = try #require(entry["type"] as? String)
        let raw = try #require(entry["value"])
        if type == "ARRAY" {
            return .array(try array(from: entry))
        }
        return try scalar(type, raw)
    }

    static func array(from entry: [String: Any]) throws -> GGUFArray {
        let elementType = try #require(entry["element_type"] as? String)
        let values = try #require(entry["value"] as? [Any])
        func map<T>(_ transform: (Any) throws -> T) rethrows -> [T] { try values.map(transform) }
        switch elementType {
        case "UINT8": return .uint8(try map { UInt8(try integer($0)) })
        case "INT8": return .int8(try map { Int8(try integer($0)) })
        case "UINT16": return .uint16(try map { UInt16(try integer($0)) })
        case "INT16": return .int16(try map { Int16(try integer($0)) })
        case "UINT32": return .uint32(try map { UInt32(try integer($0)) })
        case "INT32": return .int32(try map { Int32(try integer($0)) })
        case "UINT64": return .uint64(try map { try need(UInt64(try need($0 as? String))) })
        case "INT64": return .int64(try map { try need(Int64(try need($0 as? String))) })
        case "FLOAT32": return .float32(try map { Float(try double($0)) })
        case "FLOAT64": return .float64(try map { try double($0) })
        case "BOOL": return .bool(try map { try #require($0 as? Bool) })
        case "STRING": return .string(try map { try #require($0 as? String) })
        case "ARRAY": return .array(try map { try array(from: try need($0 as? [String: Any])) })
        default: throw FixtureError.unknownType(elementType)
        }
    }

    static func scalar(_ type: String, _ raw: Any) throws -> GGUFValue {
        switch type {
        case "UINT8": return .uint8(UInt8(try integer(raw)))
        case "INT8": return .int8(Int8(try integer(raw)))
        case "UINT16": return .uint16(UInt16(try integer(raw)))
        case "INT16": return .int16(Int16(try integer(raw)))
        case "UINT32": return .uint32(UInt32(try integer(raw)))
        case "INT32": return .int32(Int32(try integer(raw)))
        case "UINT64": return .uint64(try need(UInt64(try need(raw as? String))))
        case "INT64": return .int64(try need(Int64(try need(raw as? String))))
        case "FLOAT32": return .float32(Float(try double(raw)))
        case "FLOAT64": return .float64(try double(raw))
        case "BOOL": return .bool(try #require(raw as? Bool))
        case "STRING": return .string(try #require(raw as? String))
        default: throw FixtureError.unknownType(type)
        }
    }

    static func integer(_ raw: Any) throws -> Int { try #require((raw as? NSNumber)?.intValue) }
    static func double(_ raw: Any) throws -> Double { try #require((raw as? NSNumber)?.doubleValue) }

    enum FixtureError: Error { case unknownType(String), missing }

    static func need<T>(_ value: T?) throws -> T {
        guard let value else { throw FixtureError.missing }
        return value
    }
}

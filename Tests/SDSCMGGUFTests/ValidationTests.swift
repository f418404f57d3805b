import SDSCMGGUF
import Testing
import SDSCMTestSupport

/// Crafted files that break one rule each: every one must fail with the specific typed error, never trap.
@Suite struct ValidationTests {
    typealias B = GGUFBuilder

    /// A valid minimal file: one key, two aligned F32 tensors.
    func valid() -> GGUFBuilder {
        var builder = GGUFBuilder()
        builder.add("general.architecture", string: "test")
        builder.addF32Tensor("a", [1, 2, 3, 4])
        builder.addF32Tensor("b", [5, 6], shape: [2, 1])
        return builder
    }

    func error(_ builder: GGUFBuilder) throws -> GGUFError {
        try #require(throws: GGUFError.self) { try GGUFFile(bytes: builder.bytes()) }
    }

    @Test func theBaselineIsValid() throws {
        let file = try GGUFFile(bytes: valid().bytes())
        #expect(file.tensors.map(\.name) == ["a", "b"])
        #expect(file.tensors[1].offset == 32)
        #expect(file.tensors[1].shape == [2, 1])
        #expect(try file.data(of: file.tensor(named: "b")) == B.le(Float(5).bitPattern) + B.le(Float(6).bitPattern))
    }

    @Test func emptyAndTinyFiles() throws {
        #expect(throws: GGUFError.truncated(offset: 0, needed: 4, fileSize: 0, reading: "the magic bytes")) {
            try GGUFFile(bytes: [])
        }
        #expect(throws: GGUFError.badMagic(found: Array("GGML".utf8))) { try GGUFFile(bytes: Array("GGML....".utf8)) }
        let error = try #require(throws: GGUFError.self) { try GGUFFile(bytes: Array("GGUF".utf8) + [3, 0]) }
        guard case .truncated(offset: 4, needed: 4, fileSize: 6, reading: "the version") = error else {
            Issue.record("unexpected \(error)")
            return
        }
    }

    @Test func headerWithoutTensorsOrKeys() throws {
        let file = try GGUFFile(bytes: GGUFBuilder().bytes())
        #expect(file.metadata.count == 0)
        #expect(file.tensors.isEmpty)
        #expect(file.alignment == 32)
    }

    @Test func implausibleCounts() throws {
        var builder = valid()
        builder.keyCountOverride = 1 << 40
        guard case .implausibleCount(what: "metadata key count", count: 1 << 40, offset: 16, remainingBytes: _) =
            try error(builder) else { Issue.record("wrong error"); return }
        builder = valid()
        builder.tensorCountOverride = .max
        guard case .implausibleCount(what: "tensor count", count: .max, offset: 8, remainingBytes: _) = try error(builder)
        else { Issue.record("wrong error"); return }
        // A string length beyond the file.
        builder = valid()
        builder.add("general.name", typeID: 8, payload: B.le(UInt64.max))
        guard case .implausibleCount(what: "length of the value of metadata key 'general.name'", count: .max, _, _) =
            try error(builder) else { Issue.record("wrong error"); return }
        // An array count beyond the file.
        builder = valid()
        builder.add("tokenizer.ggml.tokens", typeID: 9, payload: B.array(elementTypeID: 8, count: 1 << 50, elements: []))
        let arrayError = try error(builder)
        guard case .implausibleCount(what: let what, count: 1 << 50, offset: _, remainingBytes: _) = arrayError else {
            Issue.record("wrong error \(arrayError)"); return
        }
        #expect(what.contains("tokenizer.ggml.tokens"))
    }

    @Test func metadataValueRules() throws {
        var builder = valid()
        builder.add("x.type", typeID: 13, payload: [0])
        guard case .unknownValueType(id: 13, key: "x.type", offset: _) = try error(builder) else {
            Issue.record("wrong error"); return
        }
        builder = valid()
        builder.add("x.bool", typeID: 7, payload: [2])
        guard case .invalidBool(byte: 2, key: "x.bool", offset: _) = try error(builder) else {
            Issue.record("wrong error"); return
        }
        builder = valid()
        builder.add("x.bools", typeID: 9, payload: B.array(elementTypeID: 7, count: 3, elements: [1, 0, 9]))
        guard case .invalidBool(byte: 9, key: "x.bools", offset: _) = try error(builder) else {
            Issue.record("wrong error"); return
        }
        builder = valid()
        builder.add("general.architecture", string: "again")
        guard case .duplicateKey("general.architecture", offset: _) = try error(builder) else {
            Issue.record("wrong error"); return
        }
        builder = valid()
        builder.add("x.array", typeID: 9, payload: B.array(elementTypeID: 99, count: 0, elements: []))
        guard case .unknownValueType(id: 99, key: "x.array", offset: _) = try error(builder) else {
            Issue.record("wrong error"); return
        }
    }

    @Test func emptyAndNestedArrays() throws {
        var builder = valid()
        builder.add("x.empty", typeID: 9, payload: B.array(elementTypeID: 8, count: 0, elements: []))
        let inner = B.array(elementTypeID: 4, count: 2, elements: B.le(UInt32(7)) + B.le(UInt32(8)))
        builder.add("x.nested", typeID: 9, payload: B.array(elementTypeID: 9, count: 2, elements: inner + inner))
        let file = try GGUFFile(bytes: builder.bytes())
        #expect(file.metadata["x.empty"] == .array(.string([])))
        #expect(file.metadata["x.nested"] == .array(.array([.uint32([7, 8]), .uint32([7, 8])])))
    }

    @Test func deepNestingIsRefusedNotRecursedForever() throws {
        var payload = B.array(elementTypeID: 4, count: 0, elements: [])
        for _ in 0..<40 { payload = B.array(elementTypeID: 9, count: 1, elements: payload) }
        var builder = valid()
        builder.add("x.deep", typeID: 9, payload: payload)
        guard case .arrayNestingTooDeep(key: "x.deep", offset: _, limit: 16) = try error(builder) else {
            Issue.record("wrong error"); return
        }
    }

    @Test func alignmentRules() throws {
        var builder = valid()
        builder.add("general.alignment", typeID: 5, payload: B.le(Int32(32)))
        guard case .invalidAlignment(let reason) = try error(builder) else { Issue.record("wrong error"); return }
        #expect(reason.contains("UINT32"))
        for bad: UInt32 in [0, 3, 48] {
            builder = valid()
            builder.add("general.alignment", uint32: bad)
            guard case .invalidAlignment = try error(builder) else { Issue.record("accepted \(bad)"); return }
        }
        builder = valid()
        builder.add("general.alignment", uint32: 256)
        builder.alignment = 256
        let file = try GGUFFile(bytes: builder.bytes())
        #expect(file.alignment == 256 && file.dataOffset % 256 == 0 && file.tensors[1].offset == 256)
    }

    @Test func tensorRules() throws {
        func withTensor(_ name: String = "t", dims: [UInt64], type: UInt32 = 0, data: [UInt8] = [], offset: UInt64? = nil)
            -> GGUFBuilder
        {
            var builder = valid()
            builder.addTensor(name, dimensions: dims, typeID: type, data: data, offset: offset)
            return builder
        }
        let longName = String(repeating: "n", count: 64)
        guard case .invalidTensor(name: longName, reason: _) = try error(withTensor(longName, dims: [1], data: [0, 0, 0, 0]))
        else { Issue.record("long name"); return }
        #expect(try GGUFFile(bytes: withTensor(String(repeating: "n", count: 63), dims: [1], data: [0, 0, 0, 0]).bytes())
            .tensors.count == 3)

        #expect(throws: GGUFError.duplicateTensorName("a")) { try GGUFFile(bytes: withTensor("a", dims: [1]).bytes()) }

        guard case .invalidTensor(name: "t", reason: let dims) = try error(withTensor(dims: [1, 1, 1, 1, 1])) else {
            Issue.record("5 dims"); return
        }
        #expect(dims.contains("5 dimensions"))

        guard case .invalidTensor(name: "t", reason: let negative) = try error(withTensor(dims: [1 << 63])) else {
            Issue.record("negative dim"); return
        }
        #expect(negative.contains("negative"))

        guard case .invalidTensor(name: "t", reason: let overflow) = try error(withTensor(dims: [1 << 40, 1 << 40])) else {
            Issue.record("overflow"); return
        }
        #expect(overflow.contains("overflows"))

        #expect(throws: GGUFError.unknownTensorType(id: 4, tensor: "t")) { try GGUFFile(bytes: withTensor(dims: [32], type: 4).bytes()) }
        #expect(throws: GGUFError.unknownTensorType(id: 1000, tensor: "t")) { try GGUFFile(bytes: withTensor(dims: [32], type: 1000).bytes()) }

        guard case .invalidTensor(name: "t", reason: let block) = try error(withTensor(dims: [48, 2], type: 2)) else {
            Issue.record("block size"); return
        }
        #expect(block.contains("not a multiple of the Q4_0 block size 32"))

        guard case .invalidTensor(name: "t", reason: let aligned) = try error(withTensor(dims: [1], data: [0, 0, 0, 0], offset: 36))
        else { Issue.record("alignment"); return }
        #expect(aligned.contains("alignment"))

        guard case .invalidTensor(name: _, reason: let overlap) = try error(withTensor(dims: [2], data: [0, 0, 0, 0, 0, 0, 0, 0], offset: 0))
        else { Issue.record("overlap"); return }
        #expect(overlap.contains("overlaps"))

        // Tensors without data bytes: the builder writes only their descriptions.
        var beyond = withTensor(dims: [8])
        beyond.tensors[2].offset = 1 << 20
        guard case .invalidTensor(name: "t", reason: let range) = try error(beyond) else { Issue.record("range"); return }
        #expect(range.contains("past the end"))

        var huge = withTensor(dims: [8])
        huge.tensors[2].offset = UInt64(Int.max) - 31
        guard case .invalidTensor(name: "t", reason: _) = try error(huge) else { Issue.record("huge offset"); return }
    }

    @Test func truncatedTensorDataIsReported() throws {
        var bytes = valid().bytes()
        bytes.removeLast(40)
        guard case .invalidTensor(name: "b", reason: let reason) = try #require(throws: GGUFError.self, performing: {
            try GGUFFile(bytes: bytes)
        }) else { Issue.record("wrong error"); return }
        #expect(reason.contains("past the end of the data section"))
    }

    @Test func messagesNameTheCulprit() {
        let cases: [(GGUFError, String)] = [
            (.unknownTensorType(id: 77, tensor: "blk.0.attn_q.weight"), "blk.0.attn_q.weight"),
            (.truncated(offset: 123, needed: 8, fileSize: 125, reading: "the length of the key"), "offset 123"),
            (.invalidBool(byte: 5, key: "k.b", offset: 9), "k.b"),
            (.duplicateKey("k.dup", offset: 40), "offset 40"),
            (.implausibleCount(what: "tensor count", count: 9, offset: 8, remainingBytes: 3), "tensor count"),
        ]
        for (error, needle) in cases {
            #expect(String(describing: error).contains(needle), "\(error)")
        }
    }
}

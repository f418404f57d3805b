/// A bounds-checked little-endian reader over the file's bytes.
///
/// Every read checks the remaining length first and throws `GGUFError.truncated` naming what was being read, so
/// no pointer is ever formed past the end of the file. `what` is an autoclosure because building the description
/// for every one of 100,000 vocabulary strings would dominate parse time.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    /// Throws unless `count` more bytes are available.
    func require(_ count: Int, _ what: @autoclosure () -> String) throws {
        if count < 0 || count > remaining {
            throw GGUFError.truncated(offset: offset, needed: count, fileSize: bytes.count, reading: what())
        }
    }

    mutating func skip(_ count: Int, _ what: @autoclosure () -> String) throws {
        try require(count, what())
        offset += count
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try require(MemoryLayout<T>.size, what())
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return value
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// Reads a `u64 length` followed by that many bytes, decoded as UTF-8 (invalid sequences become U+FFFD, as a
    /// reader must not reject a vocabulary for one odd token).
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let lengthOffset = offset
        let length = try read(UInt64.self, "the length of " + what())
        guard length <= UInt64(remaining) else {
            throw GGUFError.implausibleCount(
                what: "length of " + what(), count: length, offset: lengthOffset, remainingBytes: remaining)
        }
        let count = Int(length)
        let start = offset
        offset += count
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)]), as: UTF8.self)
    }
}

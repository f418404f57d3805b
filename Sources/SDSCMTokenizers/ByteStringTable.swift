import SDSCMRandomness

/// An interning table of byte strings: each distinct string gets a dense id, and lookups by byte slice need no
/// allocation (a 64-bit FNV-1a hash, then a byte comparison to resolve collisions).
///
/// Tokenizers look up millions of short slices (candidate merges, symbols); hashing Swift `String`s or building
/// `[UInt8]` keys for each of them would dominate the run time.
struct ByteStringTable: Sendable {
    private var storage: [UInt8] = []
    private var starts: [Int] = [0]
    private var firstWithHash = FastIntegerMap()
    private var nextWithSameHash: [Int32] = []

    init() {}

    /// Number of interned strings; ids are `0..<count`.
    var count: Int { starts.count - 1 }

    /// The bytes of string `id`.
    func bytes(_ id: Int32) -> ArraySlice<UInt8> {
        storage[starts[Int(id)]..<starts[Int(id) + 1]]
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        FNV1a.hash(bytes)
    }

    /// The id of `bytes`, if interned.
    func id(of bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard let first = firstWithHash.value(for: Self.hash(bytes)) else { return nil }
        var candidate = Int32(truncatingIfNeeded: first)
        while candidate >= 0 {
            if equal(candidate, bytes) { return candidate }
            candidate = nextWithSameHash[Int(candidate)]
        }
        return nil
    }

    func id(of bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBufferPointer { id(of: $0) }
    }

    func id(of bytes: ArraySlice<UInt8>) -> Int32? {
        bytes.withUnsafeBufferPointer { id(of: $0) }
    }

    /// Interns `bytes`, returning its id (the existing one if already present).
    @discardableResult
    mutating func intern(_ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBufferPointer { buffer in
            if let existing = id(of: buffer) { return existing }
            let id = Int32(count)
            storage.append(contentsOf: buffer)
            starts.append(storage.count)
            let hash = Self.hash(buffer)
            nextWithSameHash.append(firstWithHash.value(for: hash).map { Int32(truncatingIfNeeded: $0) } ?? -1)
            firstWithHash.set(hash, UInt64(UInt32(bitPattern: id)))
            return id
        }
    }

    private func equal(_ id: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[Int(id)]
        let end = starts[Int(id) + 1]
        guard end - start == bytes.count else { return false }
        return storage.withUnsafeBufferPointer { all in
            var index = 0
            while index < bytes.count {
                if all[start + index] != bytes[index] { return false }
                index += 1
            }
            return true
        }
    }
}

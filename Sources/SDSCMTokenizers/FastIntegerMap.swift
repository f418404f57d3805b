/// An open-addressing map from 64-bit keys to 64-bit values with a multiplicative hash.
///
/// The tokenizers look up tens of millions of integer keys (merge pairs, byte-string hashes); Swift's
/// `Dictionary` hashes each with SipHash, which profiling showed to be a third of encoding time. The keys here are
/// either already hashes or pairs of small ids, so a cheap mixer is enough. Insert-only; no deletion.
struct FastIntegerMap: Sendable {
    private var keys: [UInt64]
    private var values: [UInt64]
    private var occupied: [Bool]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        values = [UInt64](repeating: 0, count: size)
        occupied = [Bool](repeating: false, count: size)
        mask = size - 1
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The value for `key`, if present.
    @inline(__always)
    func value(for key: UInt64) -> UInt64? {
        var index = slot(for: key)
        while occupied[index] {
            if keys[index] == key { return values[index] }
            index = (index + 1) & mask
        }
        return nil
    }

    /// Inserts `value` for `key` unless the key is present; returns whether it inserted.
    @discardableResult
    mutating func insertIfAbsent(_ key: UInt64, _ value: UInt64) -> Bool {
        if (count + 1) * 2 > occupied.count { grow() }
        var index = slot(for: key)
        while occupied[index] {
            if keys[index] == key { return false }
            index = (index + 1) & mask
        }
        occupied[index] = true
        keys[index] = key
        values[index] = value
        count += 1
        return true
    }

    /// Sets `value` for `key`, replacing any previous value.
    mutating func set(_ key: UInt64, _ value: UInt64) {
        if (count + 1) * 2 > occupied.count { grow() }
        var index = slot(for: key)
        while occupied[index] {
            if keys[index] == key {
                values[index] = value
                return
            }
            index = (index + 1) & mask
        }
        occupied[index] = true
        keys[index] = key
        values[index] = value
        count += 1
    }

    private mutating func grow() {
        var bigger = FastIntegerMap(capacity: occupied.count)
        for index in occupied.indices where occupied[index] {
            bigger.set(keys[index], values[index])
        }
        self = bigger
    }
}

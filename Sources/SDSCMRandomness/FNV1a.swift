/// 64-bit FNV-1a: the one hash the package uses where a value must map to the same key on every run and platform
/// (Swift's `Hasher` is seeded per process): noise keys from variable names, model fingerprints, mock-model
/// contexts, and the tokenizers' byte-string tables.
public enum FNV1a {
    /// The hash of no input.
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    /// The FNV prime for 64 bits.
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// One step: folds `value` (a byte, or a whole word where the caller hashes words) into `hash`.
    @inlinable @inline(__always)
    public static func combine(_ hash: UInt64, _ value: UInt64) -> UInt64 {
        (hash ^ value) &* prime
    }

    /// The hash of `bytes`, continuing from `hash`.
    @inlinable
    public static func hash(_ bytes: some Sequence<UInt8>, from hash: UInt64 = offsetBasis) -> UInt64 {
        var hash = hash
        for byte in bytes { hash = combine(hash, UInt64(byte)) }
        return hash
    }

    /// The hash of a string's UTF-8 bytes.
    @inlinable
    public static func hash(_ text: String, from hash: UInt64 = offsetBasis) -> UInt64 {
        self.hash(text.utf8, from: hash)
    }
}

import Foundation

/// The Philox4x64-10 counter-based generator (Salmon, Moraes, Dror & Shaw, SC'11): a keyed bijection from a
/// 256-bit counter to 256 pseudo-random bits.
///
/// Counter-based randomness is what makes SDSCM's output independent of evaluation order and thread count: every
/// random number is a pure function of `(key, counter)`, so the noise for (unit, variable, position, token) is
/// the same whether that unit is sampled first, last, alone or in a batch, and a counterfactual world can replay
/// exactly the noise the factual world used. The same bits as NumPy's `Philox` bit generator (which increments
/// its counter before each block), checked in the tests.
public struct Philox: Sendable, Hashable {
    /// The 128-bit key: a seed and a stream (purpose) identifier.
    public var key: (UInt64, UInt64) {
        get { (key0, key1) }
        set { (key0, key1) = newValue }
    }
    private var key0: UInt64
    private var key1: UInt64

    /// A generator keyed by `seed` and `stream`; different streams give independent sequences for one seed.
    public init(seed: UInt64, stream: UInt64 = 0) {
        key0 = seed
        key1 = stream
    }

    /// The 4 × 64 random bits for `counter`.
    @inlinable @inline(__always)
    public func block(_ c0: UInt64, _ c1: UInt64, _ c2: UInt64, _ c3: UInt64) -> (UInt64, UInt64, UInt64, UInt64) {
        Self.rounds(c0, c1, c2, c3, key0: keyWords.0, key1: keyWords.1)
    }

    @usableFromInline var keyWords: (UInt64, UInt64) { (key0, key1) }

    @usableFromInline @inline(__always)
    static func rounds(_ c0: UInt64, _ c1: UInt64, _ c2: UInt64, _ c3: UInt64, key0: UInt64, key1: UInt64)
        -> (UInt64, UInt64, UInt64, UInt64)
    {
        var x0 = c0, x1 = c1, x2 = c2, x3 = c3
        var k0 = key0, k1 = key1
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9_7F4A_7C15  // golden ratio
                k1 &+= 0xBB67_AE85_84CA_A73B  // sqrt(3) - 1
            }
            let p0 = UInt64(0xD2E7_470E_E14C_6C93).multipliedFullWidth(by: x0)
            let p1 = UInt64(0xCA5A_8263_9512_1157).multipliedFullWidth(by: x2)
            (x0, x1, x2, x3) = (p1.high ^ x1 ^ k0, p1.low, p0.high ^ x3 ^ k1, p0.low)
        }
        return (x0, x1, x2, x3)
    }

    /// One 64-bit word of the block for `(c0, c1, c2, c3 / 4)`: word `c3 % 4`. Four consecutive values of the
    /// last counter word share one block, which quarters the cost of per-token noise over a vocabulary.
    @inlinable @inline(__always)
    public func word(_ c0: UInt64, _ c1: UInt64, _ c2: UInt64, _ c3: UInt64) -> UInt64 {
        let b = block(c0, c1, c2, c3 >> 2)
        switch c3 & 3 {
        case 0: return b.0
        case 1: return b.1
        case 2: return b.2
        default: return b.3
        }
    }

    /// A uniform number strictly inside (0, 1) from the top 52 bits of `word`, at the centre of one of 2^52
    /// equal cells: never 0 or 1 (53 bits would round the last cell's centre up to 1), so `log(u)` and
    /// `log(-log(u))` are always finite.
    @inlinable @inline(__always)
    public static func openUnitInterval(_ word: UInt64) -> Double {
        (Double(word >> 12) + 0.5) * 0x1p-52
    }

    /// An integer uniform in 0..<`bound` from `word` (the high half of word × bound: no division, and unbiased
    /// to within bound/2^64).
    @inlinable @inline(__always)
    public static func below(_ bound: Int, _ word: UInt64) -> Int {
        Int(word.multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A standard normal variate from two uniforms in (0, 1) (Box–Muller's cosine branch).
    @inlinable @inline(__always)
    public static func normal(_ u1: Double, _ u2: Double) -> Double {
        (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Shuffles `elements` in place (Fisher–Yates from the last position down), the swap partner for position k
    /// drawn from `word(k)`: the permutation is a function of the words, so callers key it by what it is for.
    @inlinable
    public static func shuffle<T>(_ elements: inout [T], word: (Int) -> UInt64) {
        for k in stride(from: elements.count - 1, to: 0, by: -1) {
            elements.swapAt(k, below(k + 1, word(k)))
        }
    }

    /// A standard Gumbel variate `-log(-log(u))` from a uniform `u` in (0, 1).
    @inlinable @inline(__always)
    public static func gumbel(_ uniform: Double) -> Double {
        -PortableMath.log(-PortableMath.log(uniform))
    }

    /// Equal when the keys are equal (the generator has no other state).
    public static func == (a: Philox, b: Philox) -> Bool { a.key0 == b.key0 && a.key1 == b.key1 }
    /// Hashes the key, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(key0)
        hasher.combine(key1)
    }
}

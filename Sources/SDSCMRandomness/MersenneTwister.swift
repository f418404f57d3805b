/// MT19937 (Matsumoto & Nishimura 1998) with NumPy's legacy `RandomState` seeding and bounded integers, so that
/// SDSCM can reproduce choices the reference code made with `np.random.seed(k); np.random.randint(0, n)`: which
/// phrasing each variable uses in dataset variation k of the paper's benchmark.
///
/// Not used for SDSCM's own noise (that is `Philox`, counter-based); this is a sequential generator kept only for
/// compatibility.
public struct MersenneTwister: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `np.random.seed(seed)` for an integer seed in 0..<2^32 (`init_genrand`).
    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    /// The next 32-bit output (`genrand_int32`).
    public mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
        }
        index = 0
    }

    /// `np.random.randint(0, upper)` (legacy): the smallest all-ones mask covering `upper − 1`, and 32-bit draws
    /// masked and rejected until they fall below `upper`.
    public mutating func legacyRandomInteger(below upper: Int) -> Int {
        precondition(upper > 0 && upper <= 1 << 32, "legacy randint bound out of range")
        let range = UInt32(truncatingIfNeeded: upper - 1)
        guard range > 0 else { return 0 }
        var mask = range
        mask |= mask >> 1
        mask |= mask >> 2
        mask |= mask >> 4
        mask |= mask >> 8
        mask |= mask >> 16
        while true {
            let value = next() & mask
            if value <= range { return Int(value) }
        }
    }
}

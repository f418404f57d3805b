import Foundation
import SDSCMRandomness
import Testing

@Suite struct PhiloxTests {
    typealias Words2 = (UInt64, UInt64)
    typealias Words4 = (UInt64, UInt64, UInt64, UInt64)

    /// Known answers from NumPy's `Philox` bit generator (Tests/Tools/randomness/philox_vectors.py); the first is also
    /// Random123's published vector for Philox4x64-10 with zero key and counter.
    static let vectors: [(key: Words2, counter: Words4, block: Words4)] = [
        (key: (0x0000000000000000, 0x0000000000000000), counter: (0x0000000000000000, 0x0000000000000000, 0x0000000000000000, 0x0000000000000000),
         block: (0x16554D9ECA36314C, 0xDB20FE9D672D0FDC, 0xD7E772CEE186176B, 0x7E68B68AEC7BA23B)),
        (key: (0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF), counter: (0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF),
         block: (0x87B092C3013FE90B, 0x438C3C67BE8D0224, 0x9CC7D7C69CD777B6, 0xA09CAEBF594F0BA0)),
        (key: (0xA4093822299F31D0, 0x082EFA98EC4E6C89), counter: (0x243F6A8885A308D3, 0x13198A2E03707344, 0x0000000000000000, 0x0000000000000000),
         block: (0x4876440167F74106, 0xF268C71745F14876, 0x2AEEAF1DF0E3941C, 0xA0B2EC3A9D392DB5)),
        (key: (0x000000000000002A, 0x67656E6572617465), counter: (0x0000000000000000, 0x0000000000000000, 0x0000000000000011, 0x00000000000004D2),
         block: (0xE1B35D2304E5E3B5, 0x7907471821E98465, 0x81A8957B0F6972DD, 0x19B6E8928B3954E1)),
        (key: (0x0000000000000007, 0x0000000000000003), counter: (0x0000000000000005, 0x000000000000000B, 0x0000000000000000, 0x000000000000BFFF),
         block: (0x447CBBA22C6C16C5, 0x4672C495B8C27D8D, 0xB9B466FAB949C5FF, 0xEF9B29DDB4110161)),
    ]

    @Test func matchesNumPy() {
        for vector in Self.vectors {
            let philox = Philox(seed: vector.key.0, stream: vector.key.1)
            let c = vector.counter
            let block = philox.block(c.0, c.1, c.2, c.3)
            #expect([block.0, block.1, block.2, block.3] == [vector.block.0, vector.block.1, vector.block.2, vector.block.3])
        }
    }

    @Test func wordsComeFromTheBlockOfTheQuarteredCounter() {
        let philox = Philox(seed: 7, stream: 3)
        let block = philox.block(5, 11, 0, 0xBFFF)
        let words = (0..<4).map { philox.word(5, 11, 0, 0xBFFF * 4 + UInt64($0)) }
        #expect(words == [block.0, block.1, block.2, block.3])
    }

    @Test func uniformsStayStrictlyInsideTheUnitInterval() {
        #expect(Philox.openUnitInterval(0) > 0)
        #expect(Philox.openUnitInterval(.max) < 1)
        #expect(Philox.gumbel(Philox.openUnitInterval(0)).isFinite)
        #expect(Philox.gumbel(Philox.openUnitInterval(.max)).isFinite)
    }

    /// Moments of 200,000 Gumbel draws: mean γ ≈ 0.5772, variance π²/6; standard errors 0.0029 and 0.011.
    @Test func gumbelMoments() {
        let philox = Philox(seed: 2024)
        let n = 200_000
        var sum = 0.0, squares = 0.0
        for index in 0..<n {
            let g = Philox.gumbel(Philox.openUnitInterval(philox.word(1, 0, 0, UInt64(index))))
            sum += g
            squares += g * g
        }
        let mean = sum / Double(n)
        let variance = squares / Double(n) - mean * mean
        #expect(abs(mean - 0.5772156649) < 0.015)
        #expect(abs(variance - Double.pi * Double.pi / 6) < 0.06)
    }

    /// Uniform bits: a chi-square test on 64 bins of 256,000 uniforms (p ≈ 1e-6 threshold) and no correlation
    /// between neighbouring counters.
    @Test func uniformity() {
        let philox = Philox(seed: 99, stream: 1)
        let n = 256_000
        var bins = [Int](repeating: 0, count: 64)
        var previous = 0.5, lagProduct = 0.0
        for index in 0..<n {
            let u = Philox.openUnitInterval(philox.word(0, 3, UInt64(index), 0))
            bins[Int(u * 64)] += 1
            lagProduct += (u - 0.5) * (previous - 0.5)
            previous = u
        }
        let expected = Double(n) / 64
        let chiSquare = bins.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chiSquare < 120)  // 63 degrees of freedom
        #expect(abs(lagProduct / Double(n) * 12) < 0.02)  // lag-1 correlation, standard error 0.002
    }
}

@Suite struct PortableMathTests {
    /// Against the C library's log over magnitudes from subnormal to huge: within 2 ulp.
    @Test func logMatchesTheCLibrary() {
        var x = Double.leastNonzeroMagnitude
        var worstULPs = 0.0
        let philox = Philox(seed: 5)
        for index in 0..<20_000 {
            let u = Philox.openUnitInterval(philox.word(0, 0, 0, UInt64(index)))
            let value = index % 2 == 0 ? u : Foundation.exp(u * 1400 - 700)
            let ours = PortableMath.log(value), theirs = Foundation.log(value)
            if theirs != 0 { worstULPs = max(worstULPs, abs(ours - theirs) / theirs.ulp) }
            x *= 1.7
        }
        for value in [1.0, 2.0, 0.5, 1.4142135623730951, 1.4142135623730954, Double.greatestFiniteMagnitude, 4.9e-324, 1e-310] {
            let ours = PortableMath.log(value), theirs = Foundation.log(value)
            if theirs != 0 { worstULPs = max(worstULPs, abs(ours - theirs) / theirs.ulp) } else { #expect(ours == 0) }
        }
        #expect(worstULPs <= 2)
        #expect(PortableMath.log(0) == -.infinity)
        #expect(PortableMath.log(-1).isNaN)
        #expect(PortableMath.log(.infinity) == .infinity)
    }

    @Test func expMatchesTheCLibrary() {
        let philox = Philox(seed: 6)
        var worstULPs = 0.0
        for index in 0..<20_000 {
            let x = Philox.openUnitInterval(philox.word(0, 0, 0, UInt64(index))) * 1400 - 700
            let ours = PortableMath.exp(x), theirs = Foundation.exp(x)
            worstULPs = max(worstULPs, abs(ours - theirs) / theirs.ulp)
        }
        for x in [0.0, 1.0, -1.0, 0.5, 709.7, -708.0, -744.0, 1e-300, -1e-300] {
            let ours = PortableMath.exp(x), theirs = Foundation.exp(x)
            if theirs.isNormal { worstULPs = max(worstULPs, abs(ours - theirs) / theirs.ulp) }
            else { #expect(abs(ours - theirs) <= 2 * theirs.ulp, "\(x)") }
        }
        #expect(worstULPs <= 2)
        #expect(PortableMath.exp(-.infinity) == 0)
        #expect(PortableMath.exp(.infinity) == .infinity)
        #expect(PortableMath.exp(800) == .infinity)
        #expect(PortableMath.exp(-800) == 0)
        #expect(PortableMath.exp(.nan).isNaN)
    }
}

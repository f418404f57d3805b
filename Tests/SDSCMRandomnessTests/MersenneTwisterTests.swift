import SDSCMRandomness
import Testing

@Suite struct MersenneTwisterTests {
    /// The reference implementation's first outputs for seed 5489, also NumPy's `np.random.seed(5489)`.
    @Test func matchesTheReferenceSequence() {
        var generator = MersenneTwister(seed: 5489)
        #expect((0..<5).map { _ in generator.next() } == [3_499_211_612, 581_869_302, 3_890_346_734, 3_586_334_585, 545_404_204])
    }

    /// `np.random.seed(12345); [np.random.randint(0, 11) for _ in range(8)]`.
    @Test func legacyRandintMatchesNumPy() {
        var generator = MersenneTwister(seed: 12345)
        #expect((0..<8).map { _ in generator.legacyRandomInteger(below: 11) } == [2, 5, 1, 4, 9, 5, 2, 1])
        var one = MersenneTwister(seed: 3)
        #expect(one.legacyRandomInteger(below: 1) == 0)
    }
}

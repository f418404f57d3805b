import SDSCMRandomness

/// The exogenous noise of a sequence-driven SCM, as keyed Gumbel variates.
///
/// Every variate is a pure function of (seed, stream, unit, variable, position, candidate or token id): nothing
/// depends on the order in which units or variables are evaluated, on batching or on threads, and a
/// counterfactual world can recompute exactly the noise its factual world used. Variables are keyed by a hash
/// of their name, not their position, so adding a variable to a model leaves the others' noise unchanged.
public struct NoiseSource: Sendable, Hashable {
    /// What a family of variates is for; different purposes never share variates.
    public enum Stream: Sendable, Hashable {
        /// The mechanisms' noise U (factual worlds, and counterfactuals by replay).
        case mechanism
        /// Random interventions (uniform or distributional `do`).
        case intervention
        /// Fresh noise for paper-semantics counterfactuals, one stream per counterfactual arm label.
        case fresh(String)
        /// Posterior (abduction) draws for supplied observations.
        case posterior
        /// Posterior draws of the evidence's ancestors in conditional sampling.
        case conditioning

        var identifier: UInt64 {
            switch self {
            case .mechanism: return 0x6D65_6368_616E_6973  // "mechanis"
            case .intervention: return 0x696E_7465_7276_656E  // "interven"
            case .posterior: return 0x706F_7374_6572_696F  // "posterio"
            case .conditioning: return 0x636F_6E64_6974_696F  // "conditio"
            case .fresh(let label): return NoiseSource.hash("fresh:" + label)
            }
        }
    }

    /// The seed every variate is keyed by.
    public let seed: UInt64

    /// The noise keyed by `seed`.
    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The uniform in (0, 1) for one key.
    @inline(__always)
    public func uniform(_ stream: Stream, unit: Int, variable: UInt64, position: Int, index: UInt64) -> Double {
        let philox = Philox(seed: seed, stream: stream.identifier)
        return Philox.openUnitInterval(philox.word(UInt64(truncatingIfNeeded: unit), variable,
                                                   UInt64(truncatingIfNeeded: position), index))
    }

    /// The standard Gumbel variate for one key.
    @inline(__always)
    public func gumbel(_ stream: Stream, unit: Int, variable: UInt64, position: Int, index: UInt64) -> Double {
        Philox.gumbel(uniform(stream, unit: unit, variable: variable, position: position, index: index))
    }

    /// The key of a variable: 64-bit FNV-1a of its name's UTF-8 bytes.
    public static func hash(_ name: String) -> UInt64 {
        FNV1a.hash(name)
    }
}

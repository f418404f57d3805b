import Foundation

/// What was generated and how, so a run can be verified, resumed and reproduced.
public struct BenchmarkManifest: Codable, Sendable {
    /// A file and its SHA-256.
    public struct FileRecord: Codable, Sendable, Hashable {
        /// Path relative to the output folder (for the configuration and model: the file's name).
        public var path: String
        /// Lowercase hex SHA-256 of the file's contents.
        public var sha256: String

        /// A record of the file at `path` with digest `sha256`.
        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    /// One dataset: its variation, phrasings, noise seed, files and cost.
    public struct Dataset: Codable, Sendable {
        /// The dataset's number j in the run (0-based).
        public var index: Int
        /// Its phrasing variation, j mod the run's variations.
        public var variation: Int
        /// The phrasing index of every variable in that variation, in declaration order (`phrasing_indices`).
        public var phrasingIndices: [Int]
        /// Seed of the dataset's noise, derived from the run seed and the index (`noise_seed`).
        public var noiseSeed: UInt64
        /// Number of units (rows).
        public var units: Int
        /// The dataset's files by kind: `reference`, `extended` and, unless skipped, `hidden`.
        public var files: [String: FileRecord]
        /// Why the hidden-confounding view is missing, if it is.
        public var hiddenSkipped: String?
        /// Distinct (variable, context) pairs the mechanisms evaluated (`contexts_scored`).
        public var contextsScored: Int
        /// Tokens the language model ran for this dataset, cache hits excluded (`tokens_evaluated`).
        public var tokensEvaluated: Int
        /// Mechanism evaluations answered from the memo (`cache_hits`).
        public var cacheHits: Int
        /// Wall-clock time spent generating the dataset, in seconds.
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case index, variation, units, files, seconds
            case phrasingIndices = "phrasing_indices", noiseSeed = "noise_seed", hiddenSkipped = "hidden_skipped"
            case contextsScored = "contexts_scored", tokensEvaluated = "tokens_evaluated", cacheHits = "cache_hits"
        }
    }

    /// The run's settings, identical for every dataset of it.
    public struct Run: Codable, Sendable, Equatable {
        /// Version of SDSCM that generated the run (`sdscm_version`).
        public var sdscmVersion: String
        /// File name stem of the datasets (`<name>_<j>.csv`).
        public var name: String
        /// The configuration file (its name and SHA-256).
        public var config: FileRecord
        /// The configuration's format: `sdscm` or `reference` (`config_format`).
        public var configFormat: String
        /// The GGUF model file (its name and SHA-256); nil when no variable needs a language model.
        public var model: FileRecord?
        /// The model's architecture name, e.g. `llama` (`model_architecture`); nil without a model.
        public var modelArchitecture: String?
        /// The run seed, from which every dataset's noise seed is derived.
        public var seed: UInt64
        /// Number of datasets in the whole run (all shards).
        public var datasets: Int
        /// Units (rows) per dataset.
        public var units: Int
        /// Number of phrasing variations; dataset j uses variation j mod this.
        public var variations: Int
        /// Candidate scoring mode: `sum`, `mean` or `reference`.
        public var scoring: String
        /// Counterfactual semantics of the reference tables: `shared-noise` or `paper`.
        public var semantics: String
        /// Name of the treatment variable.
        public var treatment: String
        /// The treatment values compared, in arm order.
        public var arms: [String]
        /// Name of the outcome variable.
        public var outcome: String
        /// Largest number of joint hidden assignments the hidden view's CATE enumerates (once per distinct visible
        /// assignment); `sdscm benchmark` without `--hidden-limit` takes `BenchmarkSchema.automaticHiddenLimit`.
        public var hiddenLimit: Int
        /// The settings this run took because the command line left them out: the paper's design for reference
        /// configurations (`datasets=1000`, `units=1000`, `variations=50`, `aggregate=10`, `semantics=paper`) and
        /// the automatic `hidden-limit=H` for every configuration; nil when none.
        public var defaultsTaken: [String]?

        /// The settings of a run; `hiddenLimit` defaults to 32.
        public init(sdscmVersion: String, name: String, config: FileRecord, configFormat: String, model: FileRecord?,
                    modelArchitecture: String?, seed: UInt64, datasets: Int, units: Int, variations: Int, scoring: String,
                    semantics: String, treatment: String, arms: [String], outcome: String, hiddenLimit: Int = 32) {
            self.sdscmVersion = sdscmVersion
            self.name = name
            self.config = config
            self.configFormat = configFormat
            self.model = model
            self.modelArchitecture = modelArchitecture
            self.seed = seed
            self.datasets = datasets
            self.units = units
            self.variations = variations
            self.scoring = scoring
            self.semantics = semantics
            self.treatment = treatment
            self.arms = arms
            self.outcome = outcome
            self.hiddenLimit = hiddenLimit
        }

        enum CodingKeys: String, CodingKey {
            case name, config, model, seed, datasets, units, variations, scoring, semantics, treatment, arms, outcome
            case sdscmVersion = "sdscm_version", configFormat = "config_format", modelArchitecture = "model_architecture"
            case hiddenLimit = "hidden_limit", defaultsTaken = "defaults_taken"
        }
    }

    /// The run's settings.
    public var run: Run
    /// The datasets whose manifests were found complete, in index order.
    public var datasets: [Dataset]
    /// Sum of the datasets' generation times (several shards may run at once).
    public var seconds: Double
}

/// SHA-256 (FIPS 180-4), for manifests: verifying finished files and identifying models and configurations.
public enum SHA256 {
    /// The hex digest of `data`.
    public static func hex(_ data: Data) -> String {
        var hash: [UInt32] = [0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19]
        let k: [UInt32] = [
            0x428A_2F98, 0x7137_4491, 0xB5C0_FBCF, 0xE9B5_DBA5, 0x3956_C25B, 0x59F1_11F1, 0x923F_82A4, 0xAB1C_5ED5,
            0xD807_AA98, 0x1283_5B01, 0x2431_85BE, 0x550C_7DC3, 0x72BE_5D74, 0x80DE_B1FE, 0x9BDC_06A7, 0xC19B_F174,
            0xE49B_69C1, 0xEFBE_4786, 0x0FC1_9DC6, 0x240C_A1CC, 0x2DE9_2C6F, 0x4A74_84AA, 0x5CB0_A9DC, 0x76F9_88DA,
            0x983E_5152, 0xA831_C66D, 0xB003_27C8, 0xBF59_7FC7, 0xC6E0_0BF3, 0xD5A7_9147, 0x06CA_6351, 0x1429_2967,
            0x27B7_0A85, 0x2E1B_2138, 0x4D2C_6DFC, 0x5338_0D13, 0x650A_7354, 0x766A_0ABB, 0x81C2_C92E, 0x9272_2C85,
            0xA2BF_E8A1, 0xA81A_664B, 0xC24B_8B70, 0xC76C_51A3, 0xD192_E819, 0xD699_0624, 0xF40E_3585, 0x106A_A070,
            0x19A4_C116, 0x1E37_6C08, 0x2748_774C, 0x34B0_BCB5, 0x391C_0CB3, 0x4ED8_AA4A, 0x5B9C_CA4F, 0x682E_6FF3,
            0x748F_82EE, 0x78A5_636F, 0x84C8_7814, 0x8CC7_0208, 0x90BE_FFFA, 0xA450_6CEB, 0xBEF9_A3F7, 0xC671_78F2,
        ]
        var message = [UInt8](data)
        let bitLength = UInt64(message.count) * 8
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var w = [UInt32](repeating: 0, count: 64)
        @inline(__always) func rotate(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for chunk in stride(from: 0, to: message.count, by: 64) {
            for i in 0..<16 {
                w[i] = UInt32(message[chunk + 4 * i]) << 24 | UInt32(message[chunk + 4 * i + 1]) << 16
                    | UInt32(message[chunk + 4 * i + 2]) << 8 | UInt32(message[chunk + 4 * i + 3])
            }
            for i in 16..<64 {
                let s0 = rotate(w[i - 15], 7) ^ rotate(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotate(w[i - 2], 17) ^ rotate(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, h) = (hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7])
            for i in 0..<64 {
                let s1 = rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)
                let choice = (e & f) ^ (~e & g)
                let t1 = h &+ s1 &+ choice &+ k[i] &+ w[i]
                let s0 = rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ majority
                (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (i, value) in [a, b, c, d, e, f, g, h].enumerated() { hash[i] = hash[i] &+ value }
        }
        return hash.map { String($0, radix: 16).leftPadded(to: 8) }.joined()
    }

    /// The hex digest of the file at `path` (read whole; fine for configurations and models of ~100 MB).
    public static func hex(ofFile path: String) throws -> String {
        hex(try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

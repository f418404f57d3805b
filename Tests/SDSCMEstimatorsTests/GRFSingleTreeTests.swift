@testable import SDSCMEstimators
import SDSCMRandomness
import Foundation
import Testing
import SDSCMTestSupport

/// One honest tree of a generalized random forest, grown on the splitting and estimating rows EconML 0.17.0 drew
/// for its own tree (`Tests/Tools/estimator-fixtures/make_grf_tree_expected.py`): with continuous covariates and
/// no single-armed splitting node the structure is deterministic, so every row's leaf moments must agree to
/// rounding. This pins the split criterion (EconML's "mse" for the causal forest, "het" for the regression forest),
/// the balancedness and leaf-size limits on both halves, and the honest leaf values.
@Suite struct GRFSingleTreeTests {
    @Test func treesEqualEconML() throws {
        let fixture = try Fixtures.json("estimators/grf-tree-expected.json") as! [String: Any]
        let cases = fixture["trees"] as! [[String: Any]]
        #expect(cases.count == 4)
        for (index, entry) in cases.enumerated() {
            let causal = entry["kind"] as! String == "causal"
            let x = entry["x"] as! [[Double]], t = entry["t"] as! [Double], y = entry["y"] as! [Double]
            let splitting = entry["splitting"] as! [Int], estimating = entry["estimating"] as! [Int]
            let settings = causal ? GeneralizedRandomForest.Settings() : .drFinalStage
            let u: [[Double]] = t.map { causal ? [$0, 1] : [1] }
            var builder = GRFTreeBuilder(features: try TreeFeatures(x), y: y, u: u, dimension: causal ? 2 : 1,
                                         settings: settings, random: Philox(seed: 5, stream: 0), tree: 0)
            let tree = builder.build(splitting: splitting, estimating: estimating)
            let leaves = tree.feature.filter { $0 < 0 }.count
            #expect(tree.feature.count == entry["node_count"] as! Int, "case \(index): node count")
            #expect(leaves == entry["leaves"] as! Int, "case \(index): leaf count")
            let alpha = entry["alpha"] as! [[Double]], jacobian = entry["jacobian"] as! [[Double]]
            var worst = 0.0
            for (row, values) in x.enumerated() {
                let leaf = tree.leaf(values)
                // EconML's Jacobian is the flattened 2 × 2 matrix [tt, t, t, 1] (or [1]); ours keeps tt, t, 1.
                let ours = causal ? [tree.alpha[2 * leaf], tree.alpha[2 * leaf + 1], tree.jacobian[3 * leaf],
                                     tree.jacobian[3 * leaf + 1], tree.jacobian[3 * leaf + 2]]
                                  : [tree.alpha[2 * leaf], 1]
                let theirs = causal ? [alpha[row][0], alpha[row][1], jacobian[row][0], jacobian[row][1], jacobian[row][3]]
                                    : [alpha[row][0], jacobian[row][0]]
                for (a, b) in zip(ours, theirs) { worst = max(worst, abs(a - b)) }
            }
            #expect(worst <= 1e-9, "case \(index) (\(causal ? "causal" : "regression")): worst leaf-moment difference \(worst)")
        }
    }
}

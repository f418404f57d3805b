#!/usr/bin/env python3
"""Single honest trees of EconML's generalized random forests, for the Swift test that grows the same trees.

    /path/to/venv-with-econml/bin/python -W ignore Tests/Tools/estimator-fixtures/make_grf_tree_expected.py \
        > Tests/Fixtures/estimators/grf-tree-expected.json

A tree's structure is deterministic once its splitting and estimating rows are fixed, as long as no two features
tie for the best split and no splitting node holds a single treatment arm (there EconML's clipped inverse makes
every split score 0 and its random feature order decides). So the data are continuous (float32-exact, as EconML
splits float32 values), the treatment's propensity stays within [0.3, 0.7] while depending on x0 (so the children's
Jacobians differ from their parent's, which is what separates EconML's "mse" criterion from a one-step
approximation), and a case is kept only when none of its splitting nodes of at least ten rows is single-armed.
Per case: X, T, y, the tree's splitting and estimating rows (indices into X), the node count, and per row of X the
tree's leaf alpha and Jacobian (the means of y*(T, 1) and (T, 1)(T, 1)' over the estimating rows in its leaf).
"causal": econml.grf.CausalForest (criterion "mse", two outputs); "regression": econml.grf.RegressionForest with
ForestDRLearner's settings (criterion "het", min_samples_split=5).
"""
import json, sys
import numpy as np


def pure_splitting_nodes(tree, x, t, train):
    """Splitting nodes of at least ten training rows whose rows are all treated or all untreated."""
    paths = tree.decision_path(x[train].astype(np.float32)).toarray()
    count = 0
    for node in range(paths.shape[1]):
        rows = paths[:, node] > 0
        if rows.sum() >= 10 and t[train][rows].min() == t[train][rows].max():
            count += 1
    return count


def main():
    import econml
    from econml.grf import CausalForest, RegressionForest
    cases = []
    rng = np.random.RandomState(11)
    while len(cases) < 4:
        kind = "causal" if len(cases) < 3 else "regression"
        n, d = 600, 3
        x = rng.uniform(-1, 1, size=(n, d)).astype(np.float32).astype(np.float64)
        propensity = 0.5 + 0.2 * np.tanh(2 * x[:, 0])
        t = (rng.uniform(size=n) < propensity).astype(np.float64)
        y = np.sin(2 * x[:, 0]) + x[:, 1] + t * (1 + np.maximum(x[:, 2], 0) + x[:, 0]) + 0.3 * rng.normal(size=n)
        seed = int(rng.randint(1 << 30))
        if kind == "causal":
            forest = CausalForest(n_estimators=4, subforest_size=4, random_state=seed).fit(x, t, y)
        else:
            forest = RegressionForest(n_estimators=4, subforest_size=4, min_samples_split=5, random_state=seed).fit(x, y)
        tree = forest.estimators_[0]
        rows = forest.get_subsample_inds()[0]
        split, estimate = tree.get_train_test_split_inds()
        train, val = rows[split], rows[estimate]
        if kind == "causal" and pure_splitting_nodes(tree, x, t, train) > 0:
            continue
        alpha, jac = tree.predict_alpha_and_jac(x.astype(np.float32))
        cases.append({"kind": kind, "x": x.tolist(), "t": t.tolist(), "y": y.tolist(),
                      "splitting": train.tolist(), "estimating": val.tolist(),
                      "node_count": int(tree.tree_.node_count), "leaves": int(tree.get_n_leaves()),
                      "alpha": alpha.tolist(), "jacobian": jac.tolist()})
        print(kind, tree.tree_.node_count, file=sys.stderr)
    json.dump({"econml": econml.__version__, "trees": cases}, sys.stdout)
    print()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Expected tree and forest results from scikit-learn, for the Swift tests of RegressionTree, RandomForest and the
rf / forest-s / forest-t estimators.

    Tests/Tools/estimator-fixtures/setup-venv.sh        # scikit-learn into .venv-oracles (git-ignored)
    .venv-oracles/bin/python Tests/Tools/estimator-fixtures/make_forest_expected.py [../shared/reference/gpt2] \
        > Tests/Fixtures/estimators/forest-expected.json

"trees": single DecisionTreeRegressor fits whose splits cannot tie between features (see tree_cases), with and
without bootstrap-count sample weights; the data, the predictions on the training rows and on fresh rows.
"forests": per released CSV and covariate view (all = X0..X11, hidden = X4..X11), scikit-learn's
RandomForestRegressor() for five seeds: the RF ATE (mean of f(x,1) - f(x,0)) and the ForestT ATE (a forest per arm),
and their CATE R2 in the paper's orientation, so the tests can check that SDSCM's forests land within scikit-learn's
own seed-to-seed spread.
"""
import json, pathlib, sys
import numpy as np
from released_csvs import released
import sklearn
from sklearn.tree import DecisionTreeRegressor
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import r2_score

SEEDS = range(5)

def tree_cases():
    """Trees whose splits never tie between features, so that scikit-learn's random feature order cannot matter:
    one feature grown to full depth, and four features in nodes of at least ten rows."""
    rng = np.random.RandomState(7)
    cases = []
    for name, features, weighted, limits in (("one-feature", 1, False, {}), ("one-feature-weighted", 1, True, {}),
                                             ("four-features", 4, False, {"max_depth": 6, "min_samples_leaf": 5}),
                                             ("four-features-weighted", 4, True, {"max_depth": 6, "min_samples_leaf": 5})):
        x = rng.uniform(-2, 2, size=(160, features))
        y = np.sin(x[:, 0]) + (x[:, 1] * (x[:, 2] > 0) if features > 1 else 0) + 0.1 * rng.normal(size=160)
        fresh = rng.uniform(-2.5, 2.5, size=(60, features))
        weights = np.bincount(rng.randint(0, 160, 160), minlength=160).astype(float) if weighted else None
        tree = DecisionTreeRegressor(random_state=0, **limits).fit(x, y, sample_weight=weights)
        cases.append({"name": name, "x": x.tolist(), "y": y.tolist(), "max_depth": limits.get("max_depth"),
                      "min_samples_leaf": limits.get("min_samples_leaf", 1),
                      "weights": None if weights is None else weights.tolist(), "fresh": fresh.tolist(),
                      "predict_train": tree.predict(x).tolist(), "predict_fresh": tree.predict(fresh).tolist(),
                      "node_count": int(tree.tree_.node_count)})
    return cases

def forest_cases(folder):
    out = {}
    for stem, y, z, ite, views in released(folder):
        entry = {"sate": float(ite.mean())}
        for view, x in views.items():
            rf, ft = [], []
            for seed in SEEDS:
                forest = RandomForestRegressor(random_state=seed).fit(np.column_stack([x, z]), y)
                cate = forest.predict(np.column_stack([x, np.ones_like(z)])) - forest.predict(np.column_stack([x, np.zeros_like(z)]))
                rf.append({"ate": float(cate.mean()), "cate_r2_paper": float(r2_score(cate, ite))})
                mu1 = RandomForestRegressor(random_state=seed).fit(x[z == 1], y[z == 1])
                mu0 = RandomForestRegressor(random_state=seed + 100).fit(x[z == 0], y[z == 0])
                cate = mu1.predict(x) - mu0.predict(x)
                ft.append({"ate": float(cate.mean()), "cate_r2_paper": float(r2_score(cate, ite))})
            entry[view] = {"rf": rf, "forest_t": ft}
        out[stem] = entry
    return out

def main():
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[4] / "shared/reference/gpt2")
    json.dump({"sklearn": sklearn.__version__, "trees": tree_cases(), "forests": forest_cases(folder)}, sys.stdout)
    print()

if __name__ == "__main__":
    main()

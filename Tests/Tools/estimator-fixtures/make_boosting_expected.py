"""Writes Tests/Fixtures/estimators/boosting-expected.json: scikit-learn's GradientBoostingClassifier with stumps
(max_depth=1, min_samples_leaf=10, learning_rate=0.1, 100 rounds, subsample=1.0), the deterministic case of
SDSCM's GradientBoosting (gbm's Bernoulli boosting with every row in every bag), on simulated continuous
covariates (no tied splits), with the predicted probabilities at the training rows and at fresh rows.

Run with the oracle venv: .venv-oracles/bin/python Tests/Tools/estimator-fixtures/make_boosting_expected.py
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.ensemble import GradientBoostingClassifier

root = pathlib.Path(__file__).resolve().parents[3]
cases = []
for case, (n, p) in enumerate([(300, 3), (500, 5)]):
    rng = np.random.default_rng(100 + case)
    x = rng.normal(size=(n, p))
    logit = 0.8 * x[:, 0] - 0.5 * x[:, 1] ** 2 + 0.3
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(float)
    fresh = rng.normal(size=(50, p))
    model = GradientBoostingClassifier(n_estimators=100, learning_rate=0.1, max_depth=1, min_samples_leaf=10,
                                       subsample=1.0, random_state=0).fit(x, y)
    cases.append({
        "x": x.tolist(), "y": y.tolist(), "fresh": fresh.tolist(),
        "train_probability": model.predict_proba(x)[:, 1].tolist(),
        "fresh_probability": model.predict_proba(fresh)[:, 1].tolist(),
    })
out = root / "Tests/Fixtures/estimators/boosting-expected.json"
out.write_text(json.dumps({"sklearn": sklearn.__version__, "cases": cases}))
print("wrote", out)

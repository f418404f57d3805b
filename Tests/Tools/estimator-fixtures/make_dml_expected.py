#!/usr/bin/env python3
"""Expected LinearDML / LinearDRLearner results from EconML, for the Swift tests of linear-dml and linear-dr.

    python3 -m venv .venv-econml && .venv-econml/bin/pip install econml==0.17.0     # git-ignored
    .venv-econml/bin/python -W ignore Tests/Tools/estimator-fixtures/make_dml_expected.py [../shared/reference/gpt2 [FILES]] \
        > Tests/Fixtures/estimators/dml-expected.json

"final_stages": the deterministic final stages on fixed nuisance residuals, computed here with NumPy alone (an
independent implementation of EconML's formulas: OLS by lstsq, HC1 covariance n/(n-k) (Z'Z)^+ Z'diag(e^2)Z (Z'Z)^+):
  dml  OLS without intercept of y_res on t_res * [1, X]; effect_i = [1, x_i] b; ate = [1, mean x] b
  dr   OLS with intercept of the pseudo-outcome D on X; effect_i = [1, x_i] b; ate = [1, mean x] b
with per-unit standard errors sqrt(phi' V phi) and the ATE's sqrt(phibar' V phibar).
"reference": per released CSV (the first FILES by index, default 6; the committed fixture has FILES = 20, about 40 s per file here) and view (all = X0..X11, hidden = X4..X11), EconML's LinearDML(discrete_treatment=True,
discrete_outcome=False) and LinearDRLearner(discrete_outcome=False) as the paper calls them, for five random_state
seeds: ate, the 95% ate_interval, and the CATE R2 in the paper's orientation.
"""
import json, pathlib, sys
import numpy as np
from released_csvs import released

def hc1(z, e):
    n, k = z.shape
    bread = np.linalg.pinv(z.T @ z)
    return n / (n - k) * bread @ (z.T * e**2) @ z @ bread

def final_stages():
    rng = np.random.RandomState(11)
    n, d = 300, 3
    x = rng.normal(size=(n, d))
    t_res = rng.normal(size=n) * 0.5
    y_res = t_res * (1 + x[:, 0] - 0.5 * x[:, 2]) + 0.3 * rng.normal(size=n)
    phi = np.column_stack([np.ones(n), x])
    z = t_res[:, None] * phi
    b = np.linalg.lstsq(z, y_res, rcond=None)[0]
    v = hc1(z, y_res - z @ b)
    bar = phi.mean(0)
    dml = {"ate": float(bar @ b), "ate_se": float(np.sqrt(bar @ v @ bar)), "effect": (phi @ b).tolist(),
           "effect_se": np.sqrt(np.einsum("ij,jk,ik->i", phi, v, phi)).tolist()}
    pseudo = 1 + x[:, 1] + rng.normal(size=n)
    b = np.linalg.lstsq(phi, pseudo, rcond=None)[0]
    v = hc1(phi, pseudo - phi @ b)
    dr = {"ate": float(bar @ b), "ate_se": float(np.sqrt(bar @ v @ bar)), "effect": (phi @ b).tolist(),
          "effect_se": np.sqrt(np.einsum("ij,jk,ik->i", phi, v, phi)).tolist()}
    return {"x": x.tolist(), "t_res": t_res.tolist(), "y_res": y_res.tolist(), "pseudo": pseudo.tolist(), "dml": dml, "dr": dr}

def reference(folder, files):
    from econml.dml import LinearDML
    from econml.dr import LinearDRLearner
    from sklearn.metrics import r2_score
    out = {}
    for stem, y, z, ite, views in released(folder, files):
        entry = {"sate": float(ite.mean())}
        for view, x in views.items():
            entry[view] = {}
            for name, make in (("linear_dml", lambda s: LinearDML(discrete_treatment=True, discrete_outcome=False, random_state=s)),
                               ("linear_dr", lambda s: LinearDRLearner(discrete_outcome=False, random_state=s))):
                runs = []
                for seed in range(5):
                    model = make(seed).fit(Y=y, T=z, X=x)
                    lower, upper = model.ate_interval(X=x)
                    cate = model.effect(X=x)
                    runs.append({"ate": float(model.ate(X=x)), "lower": float(lower), "upper": float(upper),
                                 "cate_r2_paper": float(r2_score(cate, ite))})
                entry[view][name] = runs
        out[stem] = entry
        print(stem, file=sys.stderr)
    return out

def main():
    import econml, sklearn
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[4] / "shared/reference/gpt2")
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    json.dump({"econml": econml.__version__, "sklearn": sklearn.__version__, "final_stages": final_stages(),
               "reference": reference(folder, files)}, sys.stdout)
    print()

if __name__ == "__main__":
    main()

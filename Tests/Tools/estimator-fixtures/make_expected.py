#!/usr/bin/env python3
"""Expected estimates on the reference's released CSVs, computed independently with NumPy, for EstimatorsTests.

    python3 Tests/Tools/estimator-fixtures/make_expected.py [../shared/reference/gpt2] > Tests/Fixtures/estimators/gpt2-bcancer-expected.json

Per dataset (file gpt2_bcancer_<j>.csv): the outcome y = logP(X13=0), treatment z = X12, covariates X0..X11 ("all")
or X4..X11 ("hidden"), raw integer codes. Computes
  sate      mean(logP(X13=0)|do(X12=1) − logP(X13=0)|do(X12=0))
  dim       mean(y | z=1) − mean(y | z=0)                (T-only OLS)
  linreg    coefficient of z in OLS of y on [x, z]        (scikit-learn LinearRegression semantics, below)
  linear_t  mean over all units of μ̂1(x) − μ̂0(x), μ̂z fitted on arm z only
and, under "across_datasets", R² (y_true = sate) and RMSE of each over the datasets (the paper's Table 1 measures).
scikit-learn semantics: centre the design and y, take the minimum-norm least-squares solution (LAPACK gelsd through
numpy.linalg.lstsq), intercept = ȳ − x̄·b. Only NumPy is used (pin: numpy 2.x).
"""
import csv, json, pathlib, sys
import numpy as np

def fit(x, y):
    xm, ym = x.mean(0), y.mean()
    b = np.linalg.lstsq(x - xm, y - ym, rcond=None)[0]
    return b, ym - xm @ b

def main():
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[4] / "shared/reference/gpt2")
    out = {}
    for path in sorted(folder.glob("gpt2_bcancer_*.csv"), key=lambda p: int(p.stem.split("_")[-1])):
        rows = list(csv.reader(open(path)))
        header, body = rows[0], np.array(rows[1:], dtype=float)
        col = {name: i for i, name in enumerate(header)}
        y, z = body[:, col["logP(X13=0)"]], body[:, col["X12"]]
        y0, y1 = body[:, col["logP(X13=0)|do(X12=0)"]], body[:, col["logP(X13=0)|do(X12=1)"]]
        entry = {"sate": float(np.mean(y1 - y0)), "dim": float(y[z == 1].mean() - y[z == 0].mean())}
        for view, first in (("all", 0), ("hidden", 4)):
            x = body[:, [col[f"X{i}"] for i in range(first, 12)]]
            b, _ = fit(np.column_stack([x, z]), y)
            b1, c1 = fit(x[z == 1], y[z == 1])
            b0, c0 = fit(x[z == 0], y[z == 0])
            entry[view] = {"linreg": float(b[-1]), "linear_t": float(np.mean((x @ b1 + c1) - (x @ b0 + c0)))}
        out[path.stem] = entry
    # Across datasets, as the paper's Table 1: r2_score(y_true=sate, y_pred=ate_hat) and RMSE.
    def r2(truth, pred):
        truth, pred = np.array(truth), np.array(pred)
        return float(1 - ((truth - pred) ** 2).sum() / ((truth - truth.mean()) ** 2).sum())
    def rmse(truth, pred):
        return float(np.sqrt(np.mean((np.array(truth) - np.array(pred)) ** 2)))
    sate = [e["sate"] for e in out.values()]
    summary = {"dim": {"r2": r2(sate, [e["dim"] for e in out.values()]), "rmse": rmse(sate, [e["dim"] for e in out.values()])}}
    for view in ("all", "hidden"):
        for method in ("linreg", "linear_t"):
            pred = [e[view][method] for e in out.values()]
            summary[f"{view}/{method}"] = {"r2": r2(sate, pred), "rmse": rmse(sate, pred)}
    out["across_datasets"] = summary
    json.dump(out, sys.stdout, indent=1)
    print()

if __name__ == "__main__":
    main()

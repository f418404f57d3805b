#!/usr/bin/env python3
"""Expected CausalForest / CausalForestDML / ForestDRLearner results from EconML, for the Swift tests of
causal-forest, forest-dml and forest-dr.

    .venv-econml/bin/python -W ignore Tests/Tools/estimator-fixtures/make_grf_expected.py [../shared/reference/gpt2 [FILES]] \
        > Tests/Fixtures/estimators/grf-expected.json

Per released CSV (the first FILES by index, default 3; the committed fixture has FILES = 20, about a minute per file) and view (all = X0..X11, hidden = X4..X11), five random_state seeds of
econml.grf.CausalForest() fitted on (X, T, Y) as the paper does (ATE = mean predicted CATE, mean per-unit interval
half-width), CausalForestDML(discrete_treatment=True, discrete_outcome=False) and ForestDRLearner(discrete_outcome=False)
(ate, ate_interval, mean effect_interval half-width).
"""
import json, pathlib, sys
import numpy as np
from released_csvs import released

def main():
    import econml
    from econml.grf import CausalForest
    from econml.dml import CausalForestDML
    from econml.dr import ForestDRLearner
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[4] / "shared/reference/gpt2")
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    out = {}
    for stem, y, z, _, views in released(folder, files):
        entry = {}
        for view, x in views.items():
            result = {"causal_forest": [], "forest_dml": [], "forest_dr": []}
            for seed in range(5):
                cf = CausalForest(random_state=seed).fit(x, z, y)
                point, lower, upper = cf.predict(x, interval=True)
                result["causal_forest"].append({"ate": float(point.mean()), "cate_half_width": float(((upper - lower) / 2).mean())})
                for key, model in (("forest_dml", CausalForestDML(discrete_treatment=True, discrete_outcome=False, random_state=seed)),
                                   ("forest_dr", ForestDRLearner(discrete_outcome=False, random_state=seed))):
                    model.fit(Y=y, T=z, X=x)
                    lo, hi = model.ate_interval(X=x)
                    elo, ehi = model.effect_interval(X=x)
                    result[key].append({"ate": float(model.ate(X=x)), "lower": float(lo), "upper": float(hi),
                                        "cate_half_width": float(((ehi - elo) / 2).mean())})
            entry[view] = result
        out[stem] = entry
        print(stem, file=sys.stderr)
    json.dump({"econml": econml.__version__, "reference": out}, sys.stdout)
    print()

if __name__ == "__main__":
    main()

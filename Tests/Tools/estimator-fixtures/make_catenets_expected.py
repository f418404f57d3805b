#!/usr/bin/env python3
"""Expected TNet and TARNet (SNet1) results from catenets 0.2.4 (jax), for the Swift tests of NeuralLearners.

    /tmp/venv-econml/bin/python Tests/Tools/estimator-fixtures/make_catenets_expected.py [../shared/reference/gpt2] [count] \
        > Tests/Fixtures/estimators/catenets-expected.json

Per released CSV (the first `count`, default 2, in numeric order: one fit takes 10-20 s on a core) and covariate
view (all = X0..X11, hidden = X4..X11, the columns make_forest_expected.py uses), catenets' TNet() and SNet1() with
their defaults for seeds 42 (the default) and 0..4: each seed's ATE (the mean CATE) and CATE standard deviation, the
mean CATE over the seeds (rounded to 1e-6), and each seed's CATE correlation with the mean of the other seeds, so the
tests can check that SDSCM's nets land within catenets' own seed-to-seed spread.
"""
import importlib.metadata, json, pathlib, sys
import numpy as np
from released_csvs import released
import jax
from catenets.models.jax import TNet, SNet1

SEEDS = (42, 0, 1, 2, 3, 4)

def cases(folder, count):
    out = {}
    for stem, y, z, ite, views in released(folder, count):
        entry = {"sate": float(ite.mean())}
        for view, x in views.items():
            entry[view] = {}
            for key, model in (("tnet", TNet), ("tarnet", SNet1)):
                cates = np.array([np.asarray(model(seed=seed).fit(x, y, z).predict(x), dtype=float).ravel() for seed in SEEDS])
                mean = cates.mean(axis=0)
                loo = [float(np.corrcoef(cates[s], np.delete(cates, s, axis=0).mean(axis=0))[0, 1]) for s in range(len(SEEDS))]
                entry[view][key] = {"seeds": [{"seed": seed, "ate": float(c.mean()), "cate_sd": float(c.std())}
                                              for seed, c in zip(SEEDS, cates)],
                                    "mean_cate": [round(float(v), 6) for v in mean], "loo_correlation": loo}
                print(stem, view, key, [round(float(c.mean()), 5) for c in cates], file=sys.stderr, flush=True)
        out[stem] = entry
    return out

def main():
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[4] / "shared/reference/gpt2")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    json.dump({"catenets": importlib.metadata.version("catenets"), "jax": jax.__version__,
               "seeds": list(SEEDS), "datasets": cases(folder, count)}, sys.stdout)
    print()

if __name__ == "__main__":
    main()

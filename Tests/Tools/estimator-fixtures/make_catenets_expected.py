#!/usr/bin/env python3
"""Expected TNet and TARNet (SNet1) results from catenets 0.2.4 (jax), for the Swift tests of NeuralLearners.

    .venv-econml/bin/python Tests/Tools/estimator-fixtures/make_catenets_expected.py [../shared/reference/gpt2] [count] \
        [EXISTING.json] > new.json && mv new.json Tests/Fixtures/estimators/catenets-expected.json

(.venv-econml: `python3 -m venv .venv-econml && .venv-econml/bin/pip install catenets==0.2.4`, git-ignored.)
With EXISTING.json (the committed fixture), its datasets are kept as they are and only the missing ones among the
first `count` are fitted, so the fixture grows a few CSVs at a time. `count` may also be FIRST:END (CSVs FIRST to
END − 1 by index, e.g. to run two processes on two cores; merge their "datasets" afterwards).

Per released CSV (the first `count`, default 2, in numeric order: one fit takes 10-20 s on a core) and covariate
view (all = X0..X11, hidden = X4..X11, the columns make_forest_expected.py uses), catenets' TNet() and SNet1() with
their defaults for seeds 42 (the default) and 0..4: each seed's ATE (the mean CATE) and CATE standard deviation, the
mean CATE over the seeds (rounded to 1e-6), and each seed's CATE correlation with the mean of the other seeds, so the
tests can check that SDSCM's nets land within catenets' own seed-to-seed spread. Also, per fit, two held-out seeds
(5 and 6, not in the mean) with their ATE, CATE standard deviation and CATE correlation with the six seeds' mean:
how a fresh catenets seed fares against the six, which calibrates how often the tests' rule fails a fit that
follows catenets' own law. An existing fixture without them gets them added (its six seeds are kept).
"""
import importlib.metadata, json, pathlib, sys
import numpy as np
from released_csvs import released
import jax
from catenets.models.jax import TNet, SNet1

SEEDS = (42, 0, 1, 2, 3, 4)
HOLDOUT_SEEDS = (5, 6)

def cate(model, seed, x, y, z):
    """One fit's CATE on its own rows."""
    return np.asarray(model(seed=seed).fit(x, y, z).predict(x), dtype=float).ravel()

def holdout(model, x, y, z, mean):
    """Fresh seeds judged against the six: ATE, CATE sd and the CATE's correlation with the six seeds' mean."""
    out = []
    for seed in HOLDOUT_SEEDS:
        c = cate(model, seed, x, y, z)
        out.append({"seed": seed, "ate": float(c.mean()), "cate_sd": float(c.std()),
                    "correlation": float(np.corrcoef(c, mean)[0, 1])})
    return out

def cases(folder, first, count, existing):
    out = {}
    for index, (stem, y, z, ite, views) in enumerate(released(folder, count)):
        if index < first:
            continue
        if stem in existing:
            entry = existing[stem]
            for view, x in views.items():
                for key, model in (("tnet", TNet), ("tarnet", SNet1)):
                    if "holdout" not in entry[view][key]:
                        entry[view][key]["holdout"] = holdout(model, x, y, z, np.array(entry[view][key]["mean_cate"]))
                        print(stem, view, key, "holdout", file=sys.stderr, flush=True)
            out[stem] = entry
            continue
        entry = {"sate": float(ite.mean())}
        for view, x in views.items():
            entry[view] = {}
            for key, model in (("tnet", TNet), ("tarnet", SNet1)):
                cates = np.array([cate(model, seed, x, y, z) for seed in SEEDS])
                mean = cates.mean(axis=0)
                loo = [float(np.corrcoef(cates[s], np.delete(cates, s, axis=0).mean(axis=0))[0, 1]) for s in range(len(SEEDS))]
                rounded = [round(float(v), 6) for v in mean]
                entry[view][key] = {"seeds": [{"seed": seed, "ate": float(c.mean()), "cate_sd": float(c.std())}
                                              for seed, c in zip(SEEDS, cates)],
                                    "mean_cate": rounded, "loo_correlation": loo,
                                    "holdout": holdout(model, x, y, z, np.array(rounded))}
                print(stem, view, key, [round(float(c.mean()), 5) for c in cates], file=sys.stderr, flush=True)
        out[stem] = entry
    return out

def main():
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[4] / "shared/reference/gpt2")
    span = (sys.argv[2] if len(sys.argv) > 2 else "2").split(":")
    first, count = (int(span[0]), int(span[1])) if len(span) == 2 else (0, int(span[0]))
    existing = {}
    if len(sys.argv) > 3:
        previous = json.load(open(sys.argv[3]))
        if previous["seeds"] != list(SEEDS) or previous["catenets"] != importlib.metadata.version("catenets"):
            sys.exit("the existing fixture was made with other seeds or another catenets")
        existing = previous["datasets"]
    json.dump({"catenets": importlib.metadata.version("catenets"), "jax": jax.__version__,
               "seeds": list(SEEDS), "datasets": cases(folder, first, count, existing),
               "holdout_seeds": list(HOLDOUT_SEEDS)}, sys.stdout)
    print()

if __name__ == "__main__":
    main()

"""The reference repository's released GPT-2 CSVs (../shared/reference/gpt2) as arrays, for the fixture scripts.

Each dataset gives the observed outcome y = logP(X13=0), the treatment z = X12, the true ITE (the difference of the
two interventional log-probabilities) and the covariates of both views the tests use: all = X0..X11 and hidden =
X4..X11 (the analyst's view without the exogenous X0..X3).
"""
import collections
import csv

import numpy as np

VIEWS = (("all", 0), ("hidden", 4))

Dataset = collections.namedtuple("Dataset", "stem y z ite views")


def released(folder, count=None):
    """The first `count` CSVs of `folder` by index (all when None), as `Dataset`s; `views` maps view name to X."""
    paths = sorted(folder.glob("gpt2_bcancer_*.csv"), key=lambda p: int(p.stem.split("_")[-1]))[:count]
    for path in paths:
        rows = list(csv.reader(open(path)))
        body = np.array(rows[1:], dtype=float)
        col = {name: i for i, name in enumerate(rows[0])}
        y, z = body[:, col["logP(X13=0)"]], body[:, col["X12"]]
        ite = body[:, col["logP(X13=0)|do(X12=1)"]] - body[:, col["logP(X13=0)|do(X12=0)"]]
        views = {view: body[:, [col[f"X{i}"] for i in range(first, 12)]] for view, first in VIEWS}
        yield Dataset(path.stem, y, z, ite, views)

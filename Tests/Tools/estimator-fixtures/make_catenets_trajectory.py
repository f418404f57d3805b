#!/usr/bin/env python3
"""One training run of catenets 0.2.4's TNet arm network and of its SNet1 (TARNet), recorded so that SDSCM's
NeuralLearners can replay it step for step: the same data, initial parameters, validation split and minibatch
orders, then the parameters and predictions catenets ends with and the number of epochs it trained.

    .venv-econml/bin/python Tests/Tools/estimator-fixtures/make_catenets_trajectory.py \
        > Tests/Fixtures/estimators/catenets-trajectory.json

(.venv-econml as for make_catenets_expected.py.) The nets are small (representation 2 x 8, head 1 x 4) and the step
size large (1e-2), so a few hundred Adam updates move them far and early stopping ends each run; everything else is
catenets' own code path (train_output_net_only with avg_objective=True as TNet calls it, and train_snet1). The split
comes from the same scikit-learn call on row indices; the minibatch orders and the initial parameters are captured
from inside the runs (numpy's global shuffle and jax's Adam initialization, wrapped).
"""
import importlib.metadata, json, sys
import numpy as np
import jax
from jax.example_libraries import optimizers
from sklearn.model_selection import train_test_split
from catenets.models.jax import base, representation_nets

SETTINGS = dict(n_layers_r=2, n_units_r=8, n_layers_out=1, n_units_out=4, penalty_l2=1e-3, step_size=1e-2,
                n_iter=400, batch_size=100, val_split_prop=0.3, patience=5, n_iter_min=40, seed=7)

def data(n=260):
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 2, size=(n, 3))
    w = (rng.uniform(size=n) < 0.5).astype(float)
    y = np.sin(2 * x[:, 0]) + x[:, 1] ** 2 + w * (1 + x[:, 2]) + 0.3 * rng.normal(size=n)
    return x.astype(np.float32), y.astype(np.float32), w

class Recorder:
    """Wraps numpy's global shuffle (catenets' per-epoch minibatch order) and jax's Adam init (initial parameters)."""
    def __init__(self):
        self.orders, self.initial = [], None
        self.shuffle, self.adam = np.random.shuffle, optimizers.adam
    def __enter__(self):
        def shuffle(a):
            self.shuffle(a)
            self.orders.append([int(v) for v in a])
        def adam(*args, **kwargs):
            init, update, get = self.adam(*args, **kwargs)
            def recording_init(params):
                self.initial = flatten(params)
                return init(params)
            return recording_init, update, get
        np.random.shuffle = shuffle
        base.optimizers = representation_nets.optimizers = type("Optimizers", (), {"adam": staticmethod(adam)})
        return self
    def __exit__(self, *exc):
        np.random.shuffle = self.shuffle
        base.optimizers = representation_nets.optimizers = optimizers

def flatten(params):
    """Stack by stack, layer by layer: each Dense layer's W (input-major, as x @ W reads it) then its b."""
    out = []
    def walk(p):
        if isinstance(p, (list, tuple)) and len(p) == 2 and all(hasattr(q, "shape") for q in p):
            out.extend(np.asarray(p[0], dtype=np.float32).ravel().tolist())
            out.extend(np.asarray(p[1], dtype=np.float32).ravel().tolist())
        elif isinstance(p, (list, tuple)):
            for q in p:
                walk(q)
    walk(params)
    return out

def main():
    x, y, w = data()
    s = SETTINGS
    runs = {}
    # TNet's arm network: the control rows, unstratified split.
    rows = np.flatnonzero(w == 0)
    train, val = train_test_split(np.arange(len(rows)), test_size=s["val_split_prop"], random_state=s["seed"], shuffle=True)
    with Recorder() as r:
        params, predict = base.train_output_net_only(x[rows], y[rows], avg_objective=True, **s)
    runs["tnet"] = {"rows": rows.tolist(), "training": rows[train].tolist(), "validation": rows[val].tolist(),
                    "initial": r.initial, "orders": r.orders, "final": flatten(params),
                    "predictions": np.asarray(predict(params, x), dtype=float).ravel().tolist()}
    # SNet1 on every row, split stratified on w.
    train, val = train_test_split(np.arange(len(y)), test_size=s["val_split_prop"], random_state=s["seed"], shuffle=True, stratify=w)
    with Recorder() as r:
        params, (predict_repr, predict_head) = representation_nets.train_snet1(x, y, w, **s)
    reps = predict_repr(params[0], x)
    mu0, mu1 = predict_head(params[1], reps), predict_head(params[2], reps)
    runs["tarnet"] = {"training": train.tolist(), "validation": val.tolist(), "initial": r.initial, "orders": r.orders,
                      "final": flatten(params),
                      "predictions": np.concatenate([np.asarray(mu0, dtype=float), np.asarray(mu1, dtype=float)], axis=1).tolist()}
    for key, run in runs.items():
        print(key, "epochs", len(run["orders"]), "parameters", len(run["initial"]), file=sys.stderr)
    json.dump({"catenets": importlib.metadata.version("catenets"), "jax": jax.__version__, "settings": s,
               "x": x.astype(float).tolist(), "y": y.astype(float).tolist(), "w": w.astype(int).tolist(), "runs": runs}, sys.stdout)
    print()

if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Forest estimators, SDSCM against scikit-learn on the same reference-layout CSVs, one core each, in one run.
#
#   Tests/Tools/estimator-fixtures/setup-venv.sh     # scikit-learn into .venv-oracles (once)
#   Tests/Scripts/bench-estimators.sh [FOLDER]       # default ../shared/reference/gpt2
#
# For each of rf (a forest on [x, z], CATE = f(x,1) - f(x,0)) and forest-t (a forest per arm): the wall time of
# `sdscm evaluate --estimators NAME --view all` over every CSV of FOLDER pinned to core 0, and of scikit-learn's
# RandomForestRegressor(n_jobs=1) doing the same fits and predictions (CSV parsing included on both sides), pinned
# to the same core; medians of RUNS rounds (default 3). Covariates X0..X(t-1), outcome logP(X13=0) as the paper.
# Then BART on the first three CSVs, one round: `--estimators bart` (4 chains of 500 + 500 iterations, 200 trees)
# against stochtree's BARTModel with the same trees, burn-in and draws, 4 chains run one after another (when
# stochtree is installed in the venv: .venv-oracles/bin/pip install stochtree).
# With CONFIG=<the design> (e.g. ../shared/reference/breast_cancer_config.json), finally every estimator alone over
# FOLDER with both views on all cores, and the whole default set, extrapolated to the paper's 1,000 datasets.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
folder="${1:-$root/../shared/reference/gpt2}"
runs="${RUNS:-3}"
python="$root/.venv-oracles/bin/python"
[ -x "$python" ] || { echo "run Tests/Tools/estimator-fixtures/setup-venv.sh first" >&2; exit 1; }
(cd "$root" && swift build -c release --product sdscm >/dev/null)
sdscm="$root/.build/release/sdscm"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for estimator in rf forest-t; do
    ours=$(for _ in $(seq "$runs"); do
        start=$(date +%s.%N)
        taskset -c 0 "$sdscm" evaluate --data "$folder" --estimators "$estimator" --view all --report "$work/report" >/dev/null
        echo "$(date +%s.%N) - $start" | bc
    done | median)
    theirs=$(for _ in $(seq "$runs"); do taskset -c 0 "$python" - "$folder" "$estimator" <<'PY'
import csv, pathlib, sys, time
import numpy as np
from sklearn.ensemble import RandomForestRegressor
start = time.perf_counter()
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.csv")):
    rows = list(csv.reader(open(path)))
    body = np.array(rows[1:], dtype=float)
    col = {name: i for i, name in enumerate(rows[0])}
    y, z = body[:, col["logP(X13=0)"]], body[:, col["X12"]]
    x = body[:, [col[f"X{i}"] for i in range(12)]]
    if sys.argv[2] == "rf":
        f = RandomForestRegressor(n_jobs=1, random_state=0).fit(np.column_stack([x, z]), y)
        cate = f.predict(np.column_stack([x, np.ones_like(z)])) - f.predict(np.column_stack([x, np.zeros_like(z)]))
    else:
        mu1 = RandomForestRegressor(n_jobs=1, random_state=0).fit(x[z == 1], y[z == 1])
        mu0 = RandomForestRegressor(n_jobs=1, random_state=1).fit(x[z == 0], y[z == 0])
        cate = mu1.predict(x) - mu0.predict(x)
print(time.perf_counter() - start)
PY
    done | median)
    count=$(ls "$folder"/*.csv | wc -l)
    printf '%-9s %d datasets: sdscm %.2f s, scikit-learn %.2f s, ratio %.2fx (median of %d, one core each)\n' \
        "$estimator" "$count" "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)" "$runs"
done
if "$python" -c "import stochtree" 2>/dev/null; then
    mkdir -p "$work/three"
    for file in $(ls "$folder"/*.csv | sort -V | head -3); do cp "$file" "$work/three/"; done
    start=$(date +%s.%N)
    taskset -c 0 "$sdscm" evaluate --data "$work/three" --estimators bart --view all --report "$work/report" >/dev/null
    ours=$(echo "$(date +%s.%N) - $start" | bc)
    theirs=$(taskset -c 0 "$python" - "$work/three" <<'PY'
import csv, pathlib, sys, time
import numpy as np
from stochtree import BARTModel
start = time.perf_counter()
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.csv")):
    rows = list(csv.reader(open(path)))
    body = np.array(rows[1:], dtype=float)
    col = {name: i for i, name in enumerate(rows[0])}
    y, z = body[:, col["logP(X13=0)"]], body[:, col["X12"]]
    x = body[:, [col[f"X{i}"] for i in range(12)]]
    for chain in range(4):
        model = BARTModel()
        model.sample(X_train=np.column_stack([x, z]), y_train=y, X_test=np.column_stack([x, 1 - z]), num_gfr=0,
                     num_burnin=500, num_mcmc=500, mean_forest_params={"num_trees": 200}, general_params={"random_seed": chain})
print(time.perf_counter() - start)
PY
)
    printf 'bart      3 datasets: sdscm %.2f s, stochtree %.2f s, ratio %.2fx (4 chains each, one core each)\n' "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
fi
if [ -n "${CONFIG:-}" ]; then
    count=$(ls "$folder"/*.csv | wc -l)
    for estimator in $("$sdscm" evaluate --help | tr ' ,' '\n\n' | grep -E '^(dim|linreg|linear-|x-learner|ipw|aipw|dr-learner|rf|forest-|causal-forest|bart)' | grep -E '^[a-z-]+$' | sort -u) default; do
        flag=(--estimators "$estimator"); [ "$estimator" = default ] && flag=()
        start=$(date +%s.%N)
        "$sdscm" evaluate --data "$folder" --config "$CONFIG" "${flag[@]}" --report "$work/report" >/dev/null
        seconds=$(echo "$(date +%s.%N) - $start" | bc)
        printf '%-20s %7.2f s for %d datasets x 2 views; %6.1f min for 1,000 datasets\n' "$estimator" "$seconds" "$count" "$(echo "$seconds * 1000 / $count / 60" | bc -l)"
    done
fi

#!/usr/bin/env bash
# Acceptance check of `sdscm benchmark` on a real model (run by .ci/run after the release build):
#   1. generates 2 datasets × N units (default 200) of the reference's breast-cancer configuration
#      (../shared/reference, read unchanged) on SmolLM2 — or of Examples/configs/oncology.json where the shared
#      reference data is absent — once without interruption;
#   2. generates the same again, kills the process (SIGKILL) once the first dataset is complete, and re-runs it:
#      the re-run must skip the finished dataset, and no partial CSV may exist after the kill;
#   3. checks that both runs' files are byte-identical (the manifest's settings reproduce the data), that the
#      reference table's header equals the released CSVs' header column for column, and that every
#      `X_i|do(X12=k)` column of a pre-treatment variable equals the factual `X_i`.
# Skips (exit 0, saying so) when SmolLM2 has not been fetched (Tests/Scripts/fetch-models.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
units=${UNITS:-200}
model="${SDSCM_MODELS:-$root/.models}/SmolLM2-135M-Instruct.Q4_1.gguf"
[ -f "$model" ] || { echo "acceptance-benchmark: skipped (no $model; run Tests/Scripts/fetch-models.sh)"; exit 0; }
shared="$root/../shared/reference"
if [ -f "$shared/breast_cancer_config.json" ]; then
    config="$shared/breast_cancer_config.json"; released=$(ls "$shared"/gpt2/*.csv | head -1)
else
    config="$root/Examples/configs/oncology.json"; released=""
    echo "acceptance-benchmark: ../shared/reference is absent; using the oncology configuration, header check skipped"
fi
(cd "$root" && swift build -c release --product sdscm >/dev/null)
sdscm="$root/.build/release/sdscm"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(benchmark --config "$config" --model "$model" --datasets 2 --units "$units" --seed 7 --threads 2 --name bcancer)

start=$(date +%s)
"$sdscm" "${args[@]}" --out "$work/a" 2>/dev/null
echo "uninterrupted run: 2 × $units units in $(( $(date +%s) - start )) s"

"$sdscm" "${args[@]}" --out "$work/b" 2>/dev/null &
pid=$!
while [ ! -f "$work/b/manifests/bcancer_0.json" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
sleep 1
kill -9 "$pid" 2>/dev/null || { echo "acceptance-benchmark: the run finished before it could be killed" >&2; exit 1; }
wait "$pid" 2>/dev/null || true
for file in "$work"/b/reference/*.csv "$work"/b/extended/*.csv; do
    [ -e "$file" ] || continue
    case "$file" in *bcancer_0.csv) ;; *) echo "acceptance-benchmark: partial file after the kill: $file" >&2; exit 1 ;; esac
done
summary=$("$sdscm" "${args[@]}" --out "$work/b" 2>/dev/null)
[ "$summary" = "1 datasets generated, 1 already complete; 2 of 2 in $work/b/manifest.json" ] \
    || { echo "acceptance-benchmark: unexpected resume summary: $summary" >&2; exit 1; }
echo "killed after dataset 0 and resumed: $summary"

for kind in reference extended; do
    for j in 0 1; do
        cmp "$work/a/$kind/bcancer_$j.csv" "$work/b/$kind/bcancer_$j.csv"
    done
done
echo "interrupted-and-resumed files are byte-identical to the uninterrupted run"

python3 - "$work/a" "$released" <<'PY'
import csv, json, sys
out, released = sys.argv[1], sys.argv[2]
manifest = json.load(open(f"{out}/manifest.json"))
treatment = manifest["run"]["treatment"]
for j in (0, 1):
    rows = list(csv.reader(open(f"{out}/reference/bcancer_{j}.csv")))
    header, body = rows[0], rows[1:]
    if released:
        expected = next(csv.reader(open(released)))
        assert header == expected, f"header differs from {released}:\n{header}\n{expected}"
    t = int([c for c in header if c.startswith("logP(X")][0][len("logP(X"):].split("=")[0])
    arms = sorted({c.split("|")[1] for c in header if "|" in c})
    for row in body:
        for arm in arms:
            for i in range(t):
                assert row[header.index(f"X{i}|{arm}")] == row[header.index(f"X{i}")], (j, row[0], arm, i)
    print(f"dataset {j}: {len(body)} units; header {'equals the released CSVs' if released else 'not compared'}; "
          f"X0..X{t - 1} under {', '.join(arms)} equal the factual values")
for d in manifest["datasets"]:
    print(f"dataset {d['index']}: {d['seconds']:.1f} s, {d['contexts_scored']} contexts, "
          f"{d['tokens_evaluated']} tokens evaluated, {d['cache_hits']} memo hits")
PY

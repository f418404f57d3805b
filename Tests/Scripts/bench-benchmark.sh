#!/usr/bin/env bash
# Benchmark generation speed: `sdscm benchmark` on the oncology configuration against the reference algorithm.
#
#   LLAMA_CPP_PYTHON=/path/to/python Tests/Scripts/bench-benchmark.sh [--units N] [--reference-units M] [--threads T] [--model FILE]
#                                          [--config FILE] [--scoring sum|mean|reference]
#
# --config takes either configuration format (ours, or the reference repository's `setup_sequence_sample_space`, e.g.
# its breast_cancer_config.json with --scoring reference); the scoring defaults to the configuration's.
# SDSCM generates one dataset of N units (default 1000) with both counterfactual arms and all ground truth, and
# reports seconds and tokens evaluated per unit (from its manifest). The reference algorithm (`sdscm.py`: for
# every unit and variable, encode the parents' text and the prefix from scratch, score each candidate from that
# prefix, sample; then for each of the two arms re-encode and re-score the outcome) runs on M units (default 5)
# through llama.cpp's Python bindings on the same model and thread count, with the same phrasings; it needs
# LLAMA_CPP_PYTHON, a Python with llama-cpp-python 0.3.36 (see Tests/Tools/tokenizer-fixtures/make_expected.py).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
units=1000 reference_units=5 threads=2 scoring=""
model="${SDSCM_MODELS:-$root/.models}/SmolLM2-135M-Instruct.Q4_1.gguf"
config="$root/Examples/configs/oncology.json"
while [ $# -gt 0 ]; do
    case "$1" in
        --units) units="$2"; shift 2 ;;
        --reference-units) reference_units="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --model) model="$2"; shift 2 ;;
        --config) config="$2"; shift 2 ;;
        --scoring) scoring="$2"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-benchmark: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -f "$model" ] || { echo "bench-benchmark: no model at $model (run Tests/Scripts/fetch-models.sh)" >&2; exit 1; }
(cd "$root" && swift build -c release --product sdscm >/dev/null)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/.build/release/sdscm" benchmark --config "$config" --model "$model" --datasets 1 --units "$units" --seed 1 \
    --threads "$threads" ${scoring:+--scoring "$scoring"} --out "$work/out" >/dev/null 2>&1
python3 - "$work/out/manifest.json" > "$work/sdscm.txt" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
d = m["datasets"][0]
print(d["seconds"] / d["units"], d["tokens_evaluated"] / d["units"], d["units"], " ".join(map(str, d["phrasing_indices"])))
PY
ours_seconds=$(cut -d' ' -f1 "$work/sdscm.txt"); ours_tokens=$(cut -d' ' -f2 "$work/sdscm.txt")
phrasing=$(cut -d' ' -f4- "$work/sdscm.txt")
printf 'sdscm benchmark      : %d units, %.4f s/unit, %.0f tokens evaluated/unit (both arms, exact ground truth)\n' \
    "$units" "$ours_seconds" "$ours_tokens"
if [ -z "${LLAMA_CPP_PYTHON:-}" ]; then
    echo "reference algorithm  : skipped (set LLAMA_CPP_PYTHON to a Python with llama-cpp-python 0.3.36)"
    exit 0
fi
"$LLAMA_CPP_PYTHON" - "$model" "$config" "$reference_units" "$threads" "$ours_seconds" "$phrasing" <<'PY'
import json, sys, time
import numpy as np
import llama_cpp
model_path, config_path, n_units, threads, ours = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
phrasing = [int(x) for x in sys.argv[6].split()]
config = json.load(open(config_path))
if "setup_sequence_sample_space" in config:
    # The reference repository's format: same variables, parents by index, arms by candidate index.
    space = config["setup_sequence_sample_space"]
    variables = [{"name": v["variable_name"], "values": v["candidate_set"],
                  "phrasings": v["possible_prefix_suffix_pairs"],
                  "parents": [space[p]["variable_name"] for p in (v["parent_indices"] or [])]} for v in space]
    config = {"variables": variables, "treatment": variables[config["index_of_intervention"]]["name"],
              "outcome": variables[config["index_of_outcome"]]["name"]}
variables = config["variables"]
names = [v["name"] for v in variables]
treatment, outcome = names.index(config["treatment"]), names.index(config["outcome"])
llm = llama_cpp.Llama(model_path=model_path, n_ctx=2048, n_threads=threads, n_batch=512, logits_all=False, verbose=False)
rng = np.random.default_rng(0)
tokens = 0

def score(context, candidates):
    """sdscm.py's chunk_continuation: prefix once, each candidate from the prefix's cache, mean log-prob after it."""
    global tokens
    prefix = llm.tokenize(context.encode(), add_bos=True, special=False)
    llm.reset()
    llm.eval(prefix)
    tokens += len(prefix)
    scores = []
    for candidate in candidates:
        ids = llm.tokenize(candidate.encode(), add_bos=True, special=False)
        llm.n_tokens = len(prefix)  # rewind to the prefix (eval removes later cache entries)
        llm.eval(ids)
        tokens += len(ids)
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64)
        log_probs = logits - (logits.max() + np.log(np.exp(logits - logits.max()).sum()))
        scores.append(log_probs[ids].mean())
    return np.array(scores)

def text(i, value):
    prefix, suffix = variables[i]["phrasings"][phrasing[i]]
    return prefix + value + suffix

def context(i, values):
    parents = [names.index(p) for p in variables[i].get("parents", [])]
    return "".join(" " + text(p, values[p]) for p in sorted(parents)) + " " + variables[i]["phrasings"][phrasing[i]][0]

start = time.perf_counter()
for unit in range(n_units):
    values = [None] * len(variables)
    for i, v in enumerate(variables):
        s = score(context(i, values), v["values"])
        p = np.exp(s - s.max()); p /= p.sum()
        values[i] = v["values"][rng.choice(len(p), p=p)]
    for arm in range(len(variables[treatment]["values"])):
        counterfactual = list(values)
        counterfactual[treatment] = variables[treatment]["values"][arm]
        score(context(outcome, counterfactual), variables[outcome]["values"])
seconds = (time.perf_counter() - start) / n_units
print(f"reference algorithm  : {n_units} units, {seconds:.4f} s/unit, {tokens / n_units:.0f} tokens evaluated/unit (llama.cpp, same model and threads)")
print(f"speed-up per unit    : {seconds / ours:.1f}x")
PY

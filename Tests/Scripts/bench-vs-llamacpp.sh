#!/usr/bin/env bash
# Model throughput, SDSCM against llama.cpp on the same model and thread count, in one run.
#
#   Tests/Scripts/bench-vs-llamacpp.sh [--model FILE.gguf] [--threads N] [--prompt-tokens P] [--gen-tokens G]
#                                [--repetitions R] [--rounds K] [--requantize TYPE] [--numerics MODE]
#
# Builds llama.cpp's llama-bench once from the llama-cpp-python==0.3.36 source archive (CPU backend, native CPU
# flags; about 8 minutes on 2 cores) into $SDSCM_CACHE/llama.cpp-0.3.36 (default .cache at the package root,
# git-ignored); cmake comes from pip into a private virtual environment there. Then alternates K rounds (default 3)
# of `llama-bench` and `sdscm bench` with the same settings, and prints the median tokens/s of each, the ratios
# (SDSCM / llama.cpp) and SDSCM's peak RSS against the model's size. Defaults: SmolLM2 Q4_1, 2 threads, pp256, tg32,
# 5 repetitions per round. --requantize Q8_0 (or any llama-quantize type) first re-quantizes the model with
# llama.cpp's llama-quantize (built alongside llama-bench) into the cache and measures that file instead.
# --numerics exact|llama.cpp|both (default both): which of sdscm's numerics modes to measure (both: each round runs
# sdscm once per mode, and each mode gets its own row of ratios).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
model="${SDSCM_MODELS:-$root/.models}/SmolLM2-135M-Instruct.Q4_1.gguf"
threads=2 prompt=256 gen=32 reps=5 rounds=3 requantize="" numerics=both
while [ $# -gt 0 ]; do
    case "$1" in
        --model) model="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --prompt-tokens) prompt="$2"; shift 2 ;;
        --gen-tokens) gen="$2"; shift 2 ;;
        --repetitions) reps="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --requantize) requantize="$2"; shift 2 ;;
        --numerics) numerics="$2"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-vs-llamacpp: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$numerics" in
    both) modes="exact llama.cpp" ;;
    exact|llama.cpp) modes="$numerics" ;;
    *) echo "bench-vs-llamacpp: --numerics must be exact, llama.cpp or both, got '$numerics'" >&2; exit 2 ;;
esac
[ -f "$model" ] || { echo "bench-vs-llamacpp: no model at $model (run Tests/Scripts/fetch-models.sh)" >&2; exit 1; }
python=${PYTHON:-python3}

SDIST_NAME="llama_cpp_python-0.3.36.tar.gz"
SDIST_SHA256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
cache="${SDSCM_CACHE:-$root/.cache}/llama.cpp-0.3.36"
bench="$cache/bin/llama-bench"
quantize="$cache/bin/llama-quantize"

if [ ! -x "$bench" ] || { [ -n "$requantize" ] && [ ! -x "$quantize" ]; }; then
    echo "bench-vs-llamacpp: building llama-bench from the llama-cpp-python 0.3.36 source archive (once)" >&2
    mkdir -p "$cache"
    work="$cache/work"
    rm -rf "$work" && mkdir -p "$work"
    "$python" -m pip download --no-deps --no-binary llama-cpp-python --disable-pip-version-check --quiet -d "$work" \
        "llama-cpp-python==0.3.36"
    [ "$(sha256sum "$work/$SDIST_NAME" | cut -d' ' -f1)" = "$SDIST_SHA256" ] \
        || { echo "bench-vs-llamacpp: source archive checksum mismatch" >&2; exit 1; }
    tar -xzf "$work/$SDIST_NAME" -C "$work"
    source_dir="$work/llama_cpp_python-0.3.36/vendor/llama.cpp"
    if ! command -v cmake >/dev/null; then
        [ -x "$cache/venv/bin/cmake" ] || { "$python" -m venv "$cache/venv" \
            && "$cache/venv/bin/pip" install --disable-pip-version-check --quiet cmake; }
        export PATH="$cache/venv/bin:$PATH"
    fi
    cmake -S "$source_dir" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_OPENSSL=OFF \
        -DLLAMA_BUILD_TOOLS=ON >"$work/configure.log" 2>&1
    cmake --build "$work/build" --target llama-bench llama-quantize -j "$(nproc 2>/dev/null || echo 2)" >"$work/build.log" 2>&1 \
        || { tail -30 "$work/build.log" >&2; exit 1; }
    mkdir -p "$cache/bin"
    cp "$work/build/bin/llama-bench" "$bench"
    cp "$work/build/bin/llama-quantize" "$quantize"
    rm -rf "$work"
fi

if [ -n "$requantize" ]; then
    requantized="$cache/$(basename "$model" .gguf)-$requantize.gguf"
    [ -f "$requantized" ] || "$quantize" --allow-requantize "$model" "$requantized" "$requantize" >/dev/null 2>&1 \
        || { echo "bench-vs-llamacpp: llama-quantize to $requantize failed" >&2; exit 1; }
    model="$requantized"
fi

# SDSCM_BINARY: an sdscm built another way (e.g. SDSCM_TARGET_CPU=haswell in another scratch path) to compare.
if [ -n "${SDSCM_BINARY:-}" ]; then
    sdscm="$SDSCM_BINARY"
else
    (cd "$root" && swift build -c release --product sdscm >/dev/null)
    sdscm="$root/.build/release/sdscm"
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
for round in $(seq 1 "$rounds"); do
    "$bench" -m "$model" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" -o json >"$results/llama-$round.json" 2>/dev/null
    for mode in $modes; do
        "$sdscm" bench --model "$model" --threads "$threads" --prompt-tokens "$prompt" --gen-tokens "$gen" \
            --repetitions "$reps" --numerics "$mode" --json >"$results/sdscm-$mode-$round.json"
    done
done

"$python" - "$results" "$rounds" "$model" $modes <<'PY'
import json, os, statistics, sys
folder, rounds, model, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
llama_pp, llama_tg, rss = [], [], []
ours = {mode: ([], []) for mode in modes}
for r in range(1, rounds + 1):
    for test in json.load(open(os.path.join(folder, f"llama-{r}.json"))):
        samples = statistics.median(test["samples_ts"])
        (llama_pp if test["n_gen"] == 0 else llama_tg).append(samples)
    for mode in modes:
        run = json.load(open(os.path.join(folder, f"sdscm-{mode}-{r}.json")))
        ours[mode][0].append(run["pp"]["tokens_per_second"]); ours[mode][1].append(run["tg"]["tokens_per_second"])
        rss.append(run["rss_mb"]); threads = run["threads"]; pp_n = run["pp"]["tokens"]; tg_n = run["tg"]["tokens"]
model_mb = os.path.getsize(model) / 1048576
m = statistics.median
print(f"{os.path.basename(model)} ({model_mb:.1f} MB), {threads} threads, median of {rounds} rounds:")
print(f"  sdscm numerics  test   llama.cpp      sdscm    ratio")
for mode in modes:
    pp, tg = ours[mode]
    print(f"  {mode:<14}  pp{pp_n:<4} {m(llama_pp):10.1f} {m(pp):10.1f}    {m(pp) / m(llama_pp):.2f}x")
    print(f"  {mode:<14}  tg{tg_n:<4} {m(llama_tg):10.1f} {m(tg):10.1f}    {m(tg) / m(llama_tg):.2f}x")
print(f"  sdscm peak RSS {max(rss):.1f} MB = model + {max(rss) - model_mb:.1f} MB")
PY

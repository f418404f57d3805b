#!/usr/bin/env bash
# Tokenizer throughput, SDSCM against llama.cpp on the same 1 MB mixed corpus, one thread each, in one run.
# Also checks that both produce identical ids for the whole corpus.
#
#   LLAMA_CPP_PYTHON=/path/to/venv/bin/python Tests/Scripts/bench-tokenizer.sh [MODEL.gguf ...]
#
# LLAMA_CPP_PYTHON is a Python with llama-cpp-python 0.3.36 built from source (see
# Tests/Tools/tokenizer-fixtures/make_expected.py); without it only SDSCM is measured. Models default to SmolLM2 and
# Gemma-3 in the model directory ($SDSCM_MODELS or .models).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
models_dir="${SDSCM_MODELS:-$root/.models}"
[ $# -gt 0 ] || set -- "$models_dir/SmolLM2-135M-Instruct.Q4_1.gguf" "$models_dir/gemma-3-270m-q4_k_m.gguf"
runs="${RUNS:-7}"
(cd "$root" && swift build -c release --product sdscm >/dev/null)
sdscm="$root/.build/release/sdscm"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$sdscm" bench tokenizer --write-corpus "$work/corpus.txt" >/dev/null

for model in "$@"; do
    ours=$("$sdscm" bench tokenizer --model "$model" --input "$work/corpus.txt" --repeat "$runs" --json)
    echo "$ours" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["model"])
print("  sdscm     : %6.2f MB/s (%d tokens, median of %d)" % (d["megabytes_per_second"], d["tokens"], d["runs"]))'
    if [ -n "${LLAMA_CPP_PYTHON:-}" ]; then
        "$sdscm" tokenize --model "$model" --no-bos --ids-only - < "$work/corpus.txt" > "$work/ours.ids"
        "$LLAMA_CPP_PYTHON" - "$model" "$work/corpus.txt" "$work/ours.ids" "$runs" "$ours" <<'PY'
import json, sys, time
import llama_cpp
model, corpus_path, ours_path, runs, ours = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
data = open(corpus_path, "rb").read()
llm = llama_cpp.Llama(model_path=model, vocab_only=True, verbose=False)
vocab = llama_cpp.llama_model_get_vocab(llm.model)
buffer = (llama_cpp.llama_token * (len(data) + 16))()
times = []
for _ in range(runs):
    start = time.perf_counter()
    n = llama_cpp.llama_tokenize(vocab, data, len(data), buffer, len(data) + 16, False, False)
    times.append(time.perf_counter() - start)
ids = list(buffer[:n])
ours_ids = [int(x) for x in open(ours_path).read().split()]
median = sorted(times)[len(times) // 2]
mbps = len(data) / 1e6 / median
print(f"  llama.cpp : {mbps:6.2f} MB/s ({n} tokens, median of {runs})")
print(f"  ratio     : {ours['megabytes_per_second'] / mbps:.2f}x llama.cpp; ids identical: {ids == ours_ids}")
PY
    fi
done

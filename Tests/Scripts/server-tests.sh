#!/usr/bin/env bash
# Models on inference servers, tested against a real OpenAI-compatible server on loopback:
#   1. builds llama-cpp-python 0.3.36 from its source archive with the server extra into .venv-server (once; about
#      8 minutes on 2 cores) and writes a copy of SmolLM2 whose tokenizer adds BOS (its echoed log-probabilities are
#      right; the original's are one position off);
#   2. serves both on free loopback ports (`python -m llama_cpp.server --logits_all true`);
#   3. runs the RealServerTests in release (mechanisms and exact marginals vs the local engine on the same file,
#      a 500-unit sample vs exact through the server, check-server on both copies);
#   4. kills the server in the middle of a `sdscm sample` run (exit 1, clear error, no output file), restarts it,
#      reruns (completes from the cache) and compares with an uninterrupted run: byte-identical;
#   5. `sdscm check-server` on both (exit 0 / exit 1 naming the misalignment) and `sdscm bench --model URL
#      --reference` (printed, for Documentation/Performance.md).
# Skips (exit 0, saying so) when SmolLM2 has not been fetched.
#
#   Tests/Scripts/server-tests.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
models="${SDSCM_MODELS:-$root/.models}"
model="$models/SmolLM2-135M-Instruct.Q4_1.gguf"
bos="$models/SmolLM2-135M-Instruct.Q4_1.bos.gguf"
venv="$root/.venv-server"
[ -f "$model" ] || { echo "server-tests: skipped (no $model; run Tests/Scripts/fetch-models.sh)"; exit 0; }

if ! "$venv/bin/python" -c "import llama_cpp.server, gguf" 2>/dev/null; then
    echo "server-tests: building llama-cpp-python 0.3.36 with its server extra into $venv"
    python3 -m venv "$venv"
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$venv/bin/pip" install --quiet --disable-pip-version-check \
        --no-binary llama-cpp-python -r Tests/Tools/server/requirements.txt
fi
[ -f "$bos" ] || "$venv/bin/python" Tests/Tools/server/make_bos_copy.py "$model" "$bos" >/dev/null 2>&1

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
serve() {  # FILE PORT ALIAS -> starts a server, waits until it answers, sets $server_pid
    "$venv/bin/python" -m llama_cpp.server --model "$1" --logits_all true --host 127.0.0.1 --port "$2" \
        --model_alias "$3" --n_threads "$(nproc)" >"$work/server-$2.log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    for _ in $(seq 1 240); do
        curl -sf "http://127.0.0.1:$2/v1/models" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    echo "server-tests: the server on port $2 did not start" >&2; cat "$work/server-$2.log" >&2; exit 1
}
port_bos=$(free_port); port_plain=$(free_port)
serve "$bos" "$port_bos" smollm2-bos; bos_pid=$server_pid
serve "$model" "$port_plain" smollm2; plain_pid=$server_pid
url="http://127.0.0.1:$port_bos/v1"

echo "server-tests: RealServerTests (release) against $url"
SDSCM_TEST_SERVER="$url" SDSCM_TEST_SERVER_NO_BOS="http://127.0.0.1:$port_plain/v1" SDSCM_TEST_SERVER_GGUF="$bos" \
    swift test -c release --filter RealServerTests 2>&1 | tee "$work/tests.log" | grep -E "✔|✘|real server" || true
grep -q "✔ Test run with 3 tests" "$work/tests.log" || { echo "server-tests: RealServerTests failed" >&2; tail -40 "$work/tests.log" >&2; exit 1; }

swift build -c release --product sdscm >/dev/null
sdscm="$root/.build/release/sdscm"
sample() {  # CACHE OUT
    "$sdscm" sample --config Examples/configs/clinic.json --model "$url" --units 300 --seed 4 \
        --counterfactual treatment=chemotherapy --server-cache "$work/$1" --server-retries 2 --out "$work/$2"
}
echo "server-tests: a server killed mid-run"
set +e
sample cache resumed.csv 2>"$work/killed.err" &
run=$!
while [ "$(find "$work/cache" -name '*.json' 2>/dev/null | wc -l)" -lt 8 ]; do sleep 0.2; done
kill -9 "$bos_pid"
wait "$run"; status=$?
set -e
[ "$status" = 1 ] || { echo "server-tests: expected exit 1 after the server died, got $status" >&2; exit 1; }
grep -q "sdscm: error: server $url unreachable" "$work/killed.err" || { echo "server-tests: unclear error:" >&2; cat "$work/killed.err" >&2; exit 1; }
[ ! -e "$work/resumed.csv" ] || { echo "server-tests: a partial output file was written" >&2; exit 1; }
echo "  exit 1: $(cat "$work/killed.err")"
serve "$bos" "$port_bos" smollm2-bos; bos_pid=$server_pid
sample cache resumed.csv >/dev/null
sample fresh uninterrupted.csv >/dev/null
cmp "$work/resumed.csv" "$work/uninterrupted.csv"
echo "  restarted and resumed from the cache: byte-identical to an uninterrupted run ($(wc -l <"$work/resumed.csv") lines)"

echo "server-tests: check-server"
"$sdscm" check-server --model "$url" --reference "$bos"
set +e
"$sdscm" check-server --model "http://127.0.0.1:$port_plain/v1" >"$work/check.out" 2>&1; status=$?
set -e
cat "$work/check.out"
[ "$status" = 1 ] && grep -q "misaligned" "$work/check.out" || { echo "server-tests: check-server did not catch the shifted echo" >&2; exit 1; }

echo "server-tests: bench (same run, same file)"
"$sdscm" bench --model "$url" --requests 16 --repetitions 3 --reference "$bos"
echo "server-tests: passed"

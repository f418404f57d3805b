#!/usr/bin/env bash
# Times opening a GGUF file: `sdscm inspect --json` (release build) against gguf-py's GGUFReader, same file, same
# run. Prints the median wall time and peak RSS of N runs each.
#
#   Tests/Scripts/bench-gguf-open.sh [FILE] [RUNS]      (default: SmolLM2 from the model directory, 7 runs)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
file="${1:-${SDSCM_MODELS:-$root/.models}/SmolLM2-135M-Instruct.Q4_1.gguf}"
runs="${2:-7}"
[ -f "$file" ] || { echo "bench-gguf-open: $file not found (run Tests/Scripts/fetch-models.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-gguf-open: needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }

venv="$root/.venv-tools"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/Tools/gguf-fixtures/requirements.txt"
fi
(cd "$root" && swift build -c release --product sdscm >/dev/null)

median() {  # COMMAND... -> "seconds kilobytes" of the median run (by time)
    for _ in $(seq "$runs"); do
        local t0=$EPOCHREALTIME
        local kb
        kb=$(/usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1)
        echo "$(echo "$EPOCHREALTIME - $t0" | bc -l) $kb"
    done | sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'
}
read -r ours_s ours_kb <<< "$(median "$root/.build/release/sdscm" inspect --json "$file")"
read -r py_s py_kb <<< "$(median "$venv/bin/python" -c 'import sys, gguf; gguf.GGUFReader(sys.argv[1])' "$file")"
printf 'file: %s (%s runs each, median)\n' "$file" "$runs"
printf '  sdscm inspect --json : %6.3f s  %7.1f MB RSS\n' "$ours_s" "$(echo "$ours_kb / 1024" | bc -l)"
printf '  gguf-py GGUFReader   : %6.3f s  %7.1f MB RSS\n' "$py_s" "$(echo "$py_kb / 1024" | bc -l)"
printf '  ratio (gguf-py / ours): time %.0fx, memory %.1fx\n' \
    "$(echo "$py_s / $ours_s" | bc -l)" "$(echo "$py_kb / $ours_kb" | bc -l)"

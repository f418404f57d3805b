#!/usr/bin/env bash
# SDSCM as a dependency (what a user's package sees), checked the way a user would hit it:
#   1. `swift package describe`: the `SDSCM` target's transitive dependencies contain no engine target;
#   2. Examples/ (a package depending on SDSCM by path and on Tests/NameCollisionStandIn, whose targets are named
#      Tokenizers, Transformer, GGUF, …) resolves and builds; the products that import only `SDSCM` build from a
#      clean scratch folder without compiling one file of the engine (checked in the build log), and run;
#   3. with SmolLM2 fetched, the README's program and another example run a real model through the `SDSCMEngine`
#      product (release build).
#
#   Tests/Scripts/check-consumer.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
engine='SDSCMGGUF|SDSCMTensors|SDSCMTokenizers|SDSCMTransformer|SDSCMEngine'
cd "$root"

echo "check-consumer: SDSCM's transitive dependencies"
swift package describe --type json | python3 -c '
import json, re, sys
targets = {t["name"]: t for t in json.load(sys.stdin)["targets"]}
seen, stack = set(), ["SDSCM"]
while stack:
    name = stack.pop()
    for dep in targets[name].get("target_dependencies", []):
        if dep not in seen:
            seen.add(dep); stack.append(dep)
bad = sorted(d for d in seen if re.fullmatch(sys.argv[1], d))
print("  SDSCM depends on:", ", ".join(sorted(seen)) or "nothing")
if bad: sys.exit("check-consumer: the SDSCM target depends on engine targets: " + ", ".join(bad))
' "$engine"

cd "$root/Examples"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for product in OwnLanguageModel NameCollisions; do
    echo "check-consumer: building $product from scratch (no engine allowed)"
    swift build --product "$product" --scratch-path "$scratch/$product" 2>&1 | tee "$scratch/$product.log" | tail -1
    if grep -E "Compiling ($engine) " "$scratch/$product.log"; then
        echo "check-consumer: building $product compiled engine modules (above)" >&2
        exit 1
    fi
    "$scratch/$product/debug/$product"
done

echo "check-consumer: building every example (release)"
swift build -c release 2>&1 | tail -1
model="${SDSCM_MODELS:-$root/.models}/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ -f "$model" ]; then
    echo "check-consumer: the README's program (QuickStart) and ClinicCounterfactuals on SmolLM2 through SDSCMEngine"
    .build/release/QuickStart "$model"
    .build/release/ClinicCounterfactuals "$model"
else
    echo "check-consumer: SmolLM2 not fetched; skipped running ClinicCounterfactuals (run Tests/Scripts/fetch-models.sh)"
fi

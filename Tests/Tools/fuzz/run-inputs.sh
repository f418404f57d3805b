#!/usr/bin/env bash
# Builds the configuration + CSV fuzz target with libFuzzer + AddressSanitizer and runs RUNS inputs (default
# 1,000,000), seeded with the committed configurations and a CSV. Crashes go to Tests/Tools/fuzz/artifacts/.
#   Tests/Tools/fuzz/run-inputs.sh [RUNS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
out="$root/.build-fuzz-inputs"
mkdir -p "$out/corpus" "$root/Tests/Tools/fuzz/artifacts"
cp "$root"/Tests/Fixtures/configs/*.json "$root"/Examples/configs/*.json "$out/corpus/"
printf 'unit,a,"b ""q"""\n0,1.5,"x,y"\n1,-inf,\n' > "$out/corpus/table.csv"
flags=(-sanitize=fuzzer,address -O -g -wmo -package-name sdscm -I "$out")
swiftc "${flags[@]}" -parse-as-library -emit-module -emit-object -module-name SDSCMRandomness \
    -emit-module-path "$out/SDSCMRandomness.swiftmodule" -o "$out/Randomness.o" $(find "$root/Sources/SDSCMRandomness" -name '*.swift')
swiftc "${flags[@]}" -parse-as-library -emit-module -emit-object -module-name SDSCM \
    -emit-module-path "$out/SDSCM.swiftmodule" -o "$out/SDSCM.o" $(find "$root/Sources/SDSCM" -name '*.swift')
swiftc "${flags[@]}" -parse-as-library "$root/Tests/Tools/fuzz/FuzzInputs.swift" "$out/SDSCM.o" "$out/Randomness.o" \
    -o "$out/fuzz-inputs"
"$out/fuzz-inputs" -runs="${1:-1000000}" -max_len=4096 -artifact_prefix="$root/Tests/Tools/fuzz/artifacts/" "$out/corpus"

#!/usr/bin/env bash
# Builds the GGUF fuzz target with libFuzzer + AddressSanitizer and runs it for SECONDS (default 120), seeded
# with the committed fixtures. Crashes are written to Tests/Tools/fuzz/artifacts/ (git-ignored).
#   Tests/Tools/fuzz/run.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
out="$root/.build-fuzz"
mkdir -p "$out/corpus" "$root/Tests/Tools/fuzz/artifacts"
cp "$root"/Tests/Fixtures/gguf/*.gguf "$out/corpus/"
flags=(-sanitize=fuzzer,address -O -g -wmo -package-name sdscm -I "$out")
swiftc "${flags[@]}" -parse-as-library -emit-module -emit-object -module-name SDSCMGGUF \
    -emit-module-path "$out/SDSCMGGUF.swiftmodule" -o "$out/GGUF.o" "$root"/Sources/SDSCMGGUF/*.swift
swiftc "${flags[@]}" -parse-as-library -emit-module -emit-object -module-name SDSCMTensors \
    -emit-module-path "$out/SDSCMTensors.swiftmodule" -o "$out/Tensors.o" "$root"/Sources/SDSCMTensors/*.swift
swiftc "${flags[@]}" -parse-as-library "$root/Tests/Tools/fuzz/FuzzGGUF.swift" "$out/GGUF.o" "$out/Tensors.o" \
    -o "$out/fuzz-gguf"
"$out/fuzz-gguf" -max_total_time="${1:-120}" -max_len=8192 -artifact_prefix="$root/Tests/Tools/fuzz/artifacts/" \
    "$out/corpus"

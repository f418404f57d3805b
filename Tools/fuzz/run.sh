#!/usr/bin/env bash
# Builds the GGUF fuzz target with libFuzzer + AddressSanitizer and runs it for SECONDS (default 120), seeded
# with the committed fixtures. Crashes are written to Tools/fuzz/artifacts/ (git-ignored).
#   Tools/fuzz/run.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$root/.build-fuzz"
mkdir -p "$out/corpus" "$root/Tools/fuzz/artifacts"
cp "$root"/Tests/Fixtures/gguf/*.gguf "$out/corpus/"
flags=(-sanitize=fuzzer,address -O -g -wmo -package-name sdscm -I "$out")
swiftc "${flags[@]}" -parse-as-library -emit-module -emit-object -module-name GGUF \
    -emit-module-path "$out/GGUF.swiftmodule" -o "$out/GGUF.o" "$root"/Sources/GGUF/*.swift
swiftc "${flags[@]}" -parse-as-library -emit-module -emit-object -module-name Tensors \
    -emit-module-path "$out/Tensors.swiftmodule" -o "$out/Tensors.o" "$root"/Sources/Tensors/*.swift
swiftc "${flags[@]}" -parse-as-library "$root/Tools/fuzz/FuzzGGUF.swift" "$out/GGUF.o" "$out/Tensors.o" \
    -o "$out/fuzz-gguf"
"$out/fuzz-gguf" -max_total_time="${1:-120}" -max_len=8192 -artifact_prefix="$root/Tools/fuzz/artifacts/" \
    "$out/corpus"

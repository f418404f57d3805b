#!/usr/bin/env python3
"""Records llama.cpp's tokenization of the real SmolLM2 and Gemma-3 vocabularies, for SDSCM's parity tests.

llama.cpp is the oracle: llama-cpp-python 0.3.36, built from its source archive (the archive vendors llama.cpp
commit 0c1e570). Build it once into a throwaway virtual environment (about 8 minutes on 2 cores):

    python3 -m venv /tmp/venv-llama
    CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \\
        -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF" \\
        /tmp/venv-llama/bin/pip install --no-binary llama-cpp-python llama-cpp-python==0.3.36
    /tmp/venv-llama/bin/python Tests/Tools/tokenizer-fixtures/make_expected.py [MODEL_DIR] [OUT_DIR]

MODEL_DIR defaults to $SDSCM_MODELS or .models (Tests/Scripts/fetch-models.sh); OUT_DIR to Tests/Fixtures/tokenizers.
For every string in strings.json it stores, per model: the ids with add_special=false/parse_special=false (the
test-vector convention), with parse_special=true, and with add_special=true; llama_detokenize of the plain ids
(remove_special=false, unparse_special=false) as hex bytes; and, for a seeded sample of token ids plus every
special token, llama_token_to_piece with special=false and special=true. Only ids and bytes are committed, never
the models.
"""
import ctypes
import json
import os
import random
import sys
from pathlib import Path

import llama_cpp

HERE = Path(__file__).resolve().parent
MODELS = {
    "smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma3": "gemma-3-270m-q4_k_m.gguf",
}


def tokenize(vocab, data: bytes, add_special: bool, parse_special: bool):
    capacity = len(data) * 2 + 16
    buffer = (llama_cpp.llama_token * capacity)()
    n = llama_cpp.llama_tokenize(vocab, data, len(data), buffer, capacity, add_special, parse_special)
    assert n >= 0, n
    return list(buffer[:n])


def detokenize(vocab, ids, remove_special: bool, unparse_special: bool) -> bytes:
    array = (llama_cpp.llama_token * max(1, len(ids)))(*ids)
    capacity = 64 + 64 * len(ids)
    text = ctypes.create_string_buffer(capacity)
    n = llama_cpp.llama_detokenize(vocab, array, len(ids), text, capacity, remove_special, unparse_special)
    assert n >= 0, n
    return text.raw[:n]


def piece(vocab, token: int, special: bool) -> bytes:
    buffer = ctypes.create_string_buffer(256)
    n = llama_cpp.llama_token_to_piece(vocab, token, buffer, 256, 0, special)
    assert n >= 0, n
    return buffer.raw[:n]


def main():
    model_dir = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SDSCM_MODELS", ".models"))
    out_dir = Path(sys.argv[2] if len(sys.argv) > 2 else "Tests/Fixtures/tokenizers")
    out_dir.mkdir(parents=True, exist_ok=True)
    strings = json.loads((HERE / "strings.json").read_text(encoding="utf-8"))
    for name, file_name in MODELS.items():
        llm = llama_cpp.Llama(model_path=str(model_dir / file_name), vocab_only=True, verbose=False)
        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
        cases = []
        for text in strings:
            data = text.encode("utf-8")
            plain = tokenize(vocab, data, False, False)
            cases.append({
                "text": text,
                "ids": plain,
                "ids_parse_special": tokenize(vocab, data, False, True),
                "ids_add_special": tokenize(vocab, data, True, False),
                "detokenized_hex": detokenize(vocab, plain, False, False).hex(),
            })
        rng = random.Random(20261129)
        # Every control / user-defined / unknown token (the first 300 for Gemma's thousands), plus 500 random ids.
        special_mask = 1 << 0 | 1 << 3 | 1 << 4
        special = sorted(t for t in range(n_vocab) if llama_cpp.llama_vocab_get_attr(vocab, t) & special_mask)
        sample = sorted(set(rng.sample(range(n_vocab), 500)) | set(special[:300]))
        pieces = [{"id": t, "hex": piece(vocab, t, False).hex(), "special_hex": piece(vocab, t, True).hex()}
                  for t in sample]
        document = {
            "generator": "Tests/Tools/tokenizer-fixtures/make_expected.py",
            "oracle": "llama-cpp-python 0.3.36 (llama.cpp 0c1e570)",
            "model_file": file_name,
            "vocabulary_size": n_vocab,
            "cases": cases,
            "pieces": pieces,
        }
        path = out_dir / f"{name}-llamacpp.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        print(f"{path}: {len(cases)} strings, {len(pieces)} pieces")


if __name__ == "__main__":
    main()

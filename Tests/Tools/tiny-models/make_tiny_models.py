#!/usr/bin/env python3
"""Writes SDSCM's transformer test fixtures: tiny random-weight GGUF models and their expected logits.

For each architecture (llama, qwen2, qwen3, gpt2) and weight format (F32, F16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q6_K)
it writes a seeded random model with a small synthetic byte-level BPE vocabulary (printable ASCII, newline,
20 merges, <|endoftext|>), then records for two token sequences:
  - reference_logits: an independent float64 NumPy forward pass (reference_forward.py) on the dequantized weights;
  - llamacpp_logits: llama.cpp (llama-cpp-python 0.3.36 built from source) with an F32 KV cache and flash
    attention off, the pinned oracle configuration;
  - llamacpp_spread: the largest |Δlogit| between that configuration and llama.cpp's others (F16 KV cache;
    flash attention on) on the same input: how far llama.cpp moves from itself;
  - llamacpp_untiled_logits (K-quant models only): the pinned configuration with GGML_CPU_TILED_MM=0, which keeps
    llama.cpp on its vec_dot kernels for batches of 8 or more rows (its default, ggml-cpu/tiled, sums in another
    order), run in a child process because ggml reads the variable once.
Logits are stored as base64 little-endian float32 to keep the JSON small.

Block-32 formats use embedding 64 and two layers; K-quants need rows of 256, so their models use embedding 256
and one layer.

gemma3 (written to gemma3-expected.json, its own seed, so the fixtures above are unchanged) has its own shapes:
head width 32 from attention.key_length (query width 128 ≠ embedding 64), one KV head (MQA, as Gemma-3-270M),
GELU-gated feed-forward, post-attention/post-feed-forward norms, per-head Q/K norms, embeddings scaled by
√embedding and sliding-window layers. The block-32 formats (F32, Q8_0, Q5_0) mirror Gemma-3-270M's settings: six
layers in llama.cpp's default pattern (five local, one global), sliding window 8 (shorter than both sequences),
RoPE base 1e6 for the global layer and the default 10000 for the local ones. The K-quant formats (Q4_K, Q6_K;
embedding 256, two layers) exercise the optional keys instead: attention.sliding_window_pattern 2, window 5,
rope.freq_base_swa 5000, linear rope.scaling.factor 2 and final_logit_softcapping 30. gguf-py has no K-quant quantizer, so quantize_q4_k / quantize_q6_k below are simple
(min/max per sub-block) ones: any valid block is a valid weight, and both the reference and llama.cpp read the
stored blocks.

Usage (the llama.cpp part needs llama-cpp-python; see Tests/Tools/tokenizer-fixtures/make_expected.py for the build):
    /tmp/venv-llama/bin/python Tests/Tools/tiny-models/make_tiny_models.py [--only gemma3] [OUT_DIR]
        # default Tests/Fixtures/tiny-models; --only gemma3 writes just the gemma3 models and gemma3-expected.json
"""
import base64
import importlib.metadata
import json
import os
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_forward  # noqa: E402

SEED = 20261129
GEMMA_SEED = 20270301
GEMMA_SMALL_TYPES = [T.F32, T.Q8_0, T.Q5_0]
ARCHITECTURES = ["llama", "qwen2", "qwen3", "gpt2"]
SMALL_TYPES = [T.F32, T.F16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0]
K_TYPES = [T.Q4_K, T.Q6_K]
TEXTS = ["the cat sat on the mat, and then it ran.", "Hello world 123!\nIs this a test?"]
MERGES = ["Ġ t", "h e", "Ġt he", "i n", "e r", "a n", "Ġ a", "o n", "r e", "a t",
          "e n", "Ġ s", "o r", "i s", "Ġ o", "e s", "Ġ c", "a r", "o u", "Ġ w"]


def byte_char(b):
    """GPT-2's printable stand-in for byte b."""
    printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    if b in printable:
        return chr(b)
    return chr(256 + [x for x in range(256) if x not in printable].index(b))


def vocabulary():
    tokens = [byte_char(b) for b in [0x0A] + list(range(0x20, 0x7F))]
    for merge in MERGES:
        left, right = merge.split(" ")
        tokens.append(left + right)
    tokens.append("<|endoftext|>")
    types = [1] * (len(tokens) - 1) + [3]
    return tokens, types


def dims(arch, kquant):
    if arch == "gemma3":
        if kquant:
            return dict(embd=256, layers=2, heads=2, kv=1, head_dim=128, ff=256, ctx=64, window=5, pattern=2,
                        base=1e6, base_swa=5000.0, rope_factor=2.0, softcap=30.0)
        return dict(embd=64, layers=6, heads=4, kv=1, head_dim=32, ff=128, ctx=64, window=8, base=1e6)
    if kquant:
        return dict(embd=256, layers=1, heads=4, kv=2 if arch != "gpt2" else 4, ff=256, ctx=64)
    return dict(embd=64, layers=2, heads=4, kv=2 if arch != "gpt2" else 4, ff=128, ctx=64)


def random_weights(arch, d, vocab, rng):
    """name -> float32 array in numpy (rows, columns) order."""
    head_dim = d.get("head_dim", d["embd"] // d["heads"])
    q_dim, kv_dim = d["heads"] * head_dim, d["kv"] * head_dim
    W = {}
    normal = lambda *shape, scale=1.0: (rng.standard_normal(shape) * scale).astype(np.float32)
    matrix = lambda rows, cols: normal(rows, cols, scale=1.0 / np.sqrt(cols))
    norm = lambda n: (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)
    W["token_embd.weight"] = normal(vocab, d["embd"], scale=0.5)
    W["output_norm.weight"] = norm(d["embd"])
    if arch in ("llama", "gpt2"):
        W["output.weight"] = matrix(vocab, d["embd"])
    if arch == "gpt2":
        W["position_embd.weight"] = normal(d["ctx"], d["embd"], scale=0.1)
        W["output_norm.bias"] = normal(d["embd"], scale=0.05)
    for layer in range(d["layers"]):
        p = f"blk.{layer}."
        W[p + "attn_norm.weight"] = norm(d["embd"])
        W[p + "ffn_norm.weight"] = norm(d["embd"])
        W[p + "attn_output.weight"] = matrix(d["embd"], q_dim)
        W[p + "ffn_up.weight"] = matrix(d["ff"], d["embd"])
        W[p + "ffn_down.weight"] = matrix(d["embd"], d["ff"])
        if arch == "gpt2":
            W[p + "attn_norm.bias"] = normal(d["embd"], scale=0.05)
            W[p + "ffn_norm.bias"] = normal(d["embd"], scale=0.05)
            W[p + "attn_qkv.weight"] = matrix(q_dim + 2 * kv_dim, d["embd"])
            W[p + "attn_qkv.bias"] = normal(q_dim + 2 * kv_dim, scale=0.05)
            W[p + "attn_output.bias"] = normal(d["embd"], scale=0.05)
            W[p + "ffn_up.bias"] = normal(d["ff"], scale=0.05)
            W[p + "ffn_down.bias"] = normal(d["embd"], scale=0.05)
        else:
            W[p + "attn_q.weight"] = matrix(q_dim, d["embd"])
            W[p + "attn_k.weight"] = matrix(kv_dim, d["embd"])
            W[p + "attn_v.weight"] = matrix(kv_dim, d["embd"])
            W[p + "ffn_gate.weight"] = matrix(d["ff"], d["embd"])
        if arch == "qwen2":
            W[p + "attn_q.bias"] = normal(q_dim, scale=0.05)
            W[p + "attn_k.bias"] = normal(kv_dim, scale=0.05)
            W[p + "attn_v.bias"] = normal(kv_dim, scale=0.05)
        if arch in ("qwen3", "gemma3"):
            W[p + "attn_q_norm.weight"] = norm(head_dim)
            W[p + "attn_k_norm.weight"] = norm(head_dim)
        if arch == "gemma3":
            W[p + "post_attention_norm.weight"] = norm(d["embd"])
            W[p + "post_ffw_norm.weight"] = norm(d["embd"])
    return W


def f16(values):
    return np.asarray(values, dtype=np.float16).reshape(-1, 1).view(np.uint8)


def quantize_q4_k(x):
    """(rows, K) float -> (rows, K/256*144) uint8 blocks."""
    blocks = x.reshape(-1, 8, 32).astype(np.float64)
    lo = np.minimum(blocks.min(axis=-1), 0.0)
    scale = (blocks.max(axis=-1) - lo) / 15.0
    minimum = -lo
    d = np.maximum(scale.max(axis=-1) / 63.0, 1e-12)
    dmin = np.maximum(minimum.max(axis=-1) / 63.0, 1e-12)
    d = d.astype(np.float16).astype(np.float64)
    dmin = dmin.astype(np.float16).astype(np.float64)
    sc = np.clip(np.rint(scale / d[:, None]), 0, 63).astype(np.int64)
    m = np.clip(np.rint(minimum / dmin[:, None]), 0, 63).astype(np.int64)
    step = np.maximum(d[:, None] * sc, 1e-12)[..., None]
    q = np.clip(np.rint((blocks + (dmin[:, None] * m)[..., None]) / step), 0, 15).astype(np.uint8)
    out = np.zeros((blocks.shape[0], 144), dtype=np.uint8)
    out[:, 0:2] = f16(d).reshape(-1, 2)
    out[:, 2:4] = f16(dmin).reshape(-1, 2)
    for j in range(4):
        out[:, 4 + j] = (sc[:, j] | ((sc[:, j + 4] >> 4) << 6)).astype(np.uint8)
        out[:, 8 + j] = (m[:, j] | ((m[:, j + 4] >> 4) << 6)).astype(np.uint8)
        out[:, 12 + j] = ((sc[:, j + 4] & 0xF) | ((m[:, j + 4] & 0xF) << 4)).astype(np.uint8)
    for c in range(4):
        out[:, 16 + 32 * c:16 + 32 * (c + 1)] = q[:, 2 * c, :] | (q[:, 2 * c + 1, :] << 4)
    return out.reshape(x.shape[0], -1)


def quantize_q6_k(x):
    """(rows, K) float -> (rows, K/256*210) uint8 blocks."""
    blocks = x.reshape(-1, 16, 16).astype(np.float64)
    scale = np.abs(blocks).max(axis=-1) / 31.0
    d = np.maximum(scale.max(axis=-1) / 127.0, 1e-12).astype(np.float16).astype(np.float64)
    sc = np.clip(np.rint(scale / d[:, None]), 1, 127).astype(np.int64)
    q = np.clip(np.rint(blocks / (d[:, None] * sc)[..., None]), -32, 31).astype(np.int64) + 32
    q = q.reshape(-1, 256)
    out = np.zeros((q.shape[0], 210), dtype=np.uint8)
    for n in range(2):
        base = 128 * n
        for l in range(32):
            q0, q1, q2, q3 = q[:, base + l], q[:, base + l + 32], q[:, base + l + 64], q[:, base + l + 96]
            out[:, 64 * n + l] = ((q0 & 0xF) | ((q2 & 0xF) << 4)).astype(np.uint8)
            out[:, 64 * n + l + 32] = ((q1 & 0xF) | ((q3 & 0xF) << 4)).astype(np.uint8)
            out[:, 128 + 32 * n + l] = ((q0 >> 4) | ((q1 >> 4) << 2) | ((q2 >> 4) << 4) | ((q3 >> 4) << 6)).astype(np.uint8)
    out[:, 192:208] = sc.astype(np.int8).view(np.uint8)
    out[:, 208:210] = f16(d).reshape(-1, 2)
    return out.reshape(x.shape[0], -1)


def encode(values, qtype):
    """Returns (array, raw_dtype) for GGUFWriter.add_tensor."""
    if qtype == T.F32:
        return values.astype(np.float32), None
    if qtype == T.F16:
        return values.astype(np.float16), None
    if qtype == T.Q4_K:
        return quantize_q4_k(values), qtype
    if qtype == T.Q6_K:
        return quantize_q6_k(values), qtype
    return gguf.quants.quantize(values.astype(np.float32), qtype), qtype


def write_model(path, arch, d, weights, qtype, tokens, types):
    writer = gguf.GGUFWriter(str(path), arch)
    head_dim = d.get("head_dim", d["embd"] // d["heads"])
    writer.add_context_length(d["ctx"])
    writer.add_embedding_length(d["embd"])
    writer.add_block_count(d["layers"])
    writer.add_feed_forward_length(d["ff"])
    writer.add_head_count(d["heads"])
    writer.add_head_count_kv(d["kv"])
    if arch == "gpt2":
        writer.add_layer_norm_eps(1e-5)
    else:
        writer.add_layer_norm_rms_eps(1e-5)
        writer.add_rope_dimension_count(head_dim)
        writer.add_rope_freq_base(d.get("base", 10000.0))
    if arch == "gemma3":
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
        writer.add_sliding_window(d["window"])
        if "pattern" in d:
            writer.add_sliding_window_pattern(d["pattern"])
        if "base_swa" in d:
            writer.add_rope_freq_base_swa(d["base_swa"])
        if "rope_factor" in d:
            writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
            writer.add_rope_scaling_factor(d["rope_factor"])
        if "softcap" in d:
            writer.add_final_logit_softcapping(d["softcap"])
    writer.add_file_type(int(qtype) if qtype in (T.F32, T.F16) else 0)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(MERGES)
    writer.add_bos_token_id(len(tokens) - 1)
    writer.add_eos_token_id(len(tokens) - 1)
    writer.add_add_bos_token(False)
    for name, values in weights.items():
        if values.ndim == 2:
            array, raw = encode(values, qtype)
            writer.add_tensor(name, array, raw_dtype=raw)
        else:
            writer.add_tensor(name, values.astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def pack(logits):
    return base64.b64encode(np.asarray(logits, dtype="<f4").tobytes()).decode("ascii")


def llama_logits(path, ids, **config):
    import llama_cpp
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=64, n_batch=64, logits_all=True, n_threads=2,
                          verbose=False, **config)
    llm.reset()
    llm.eval(ids)
    return np.array(llm.scores[: len(ids)], dtype=np.float64)


def llama_untiled_logits(path, ids):
    """llama_logits in the pinned configuration with llama.cpp's tiled K-quant kernels off (a child process)."""
    import subprocess
    code = ("import json, sys; sys.path.insert(0, %r); import make_tiny_models as m; "
            "print(json.dumps(m.llama_logits(sys.argv[1], json.loads(sys.argv[2]), type_k=0, type_v=0, "
            "flash_attn=False).tolist()))" % str(Path(__file__).resolve().parent))
    env = dict(os.environ, GGML_CPU_TILED_MM="0")
    out = subprocess.run([sys.executable, "-c", code, str(path), json.dumps([int(i) for i in ids])], env=env,
                         check=True, capture_output=True, text=True).stdout
    return np.array(json.loads(out.strip().splitlines()[-1]), dtype=np.float64)


def llama_tokenize(path, texts):
    import llama_cpp
    llm = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    return [llm.tokenize(text.encode(), add_bos=False, special=False) for text in texts]


def write_fixtures(out_dir, architectures, seed, small_types, expected_name):
    tokens, types = vocabulary()
    rng = np.random.default_rng(seed)
    fixtures = []
    sequences = None
    for arch in architectures:
        for kquant, qtypes in ((False, small_types), (True, K_TYPES)):
            d = dims(arch, kquant)
            weights = random_weights(arch, d, len(tokens), rng)
            for qtype in qtypes:
                name = f"tiny-{arch}-{qtype.name.lower()}.gguf"
                path = out_dir / name
                write_model(path, arch, d, weights, qtype, tokens, types)
                if sequences is None:
                    sequences = llama_tokenize(path, TEXTS)
                entry = {"file": name, "architecture": arch, "type": qtype.name, "sequences": []}
                for ids in sequences:
                    reference = reference_forward.forward(str(path), ids)
                    pinned = llama_logits(path, ids, type_k=0, type_v=0, flash_attn=False)
                    f16_cache = llama_logits(path, ids, type_k=1, type_v=1, flash_attn=False)
                    flash = llama_logits(path, ids, type_k=0, type_v=0, flash_attn=True)
                    spread = float(max(np.abs(f16_cache - pinned).max(), np.abs(flash - pinned).max()))
                    sequence = {
                        "ids": [int(i) for i in ids],
                        "reference_logits": pack(reference),
                        "llamacpp_logits": pack(pinned),
                        "llamacpp_spread": spread,
                        "reference_vs_llamacpp": float(np.abs(reference - pinned).max()),
                    }
                    if kquant:
                        sequence["llamacpp_untiled_logits"] = pack(llama_untiled_logits(path, ids))
                    entry["sequences"].append(sequence)
                fixtures.append(entry)
                print(f"{name}: {path.stat().st_size} bytes, llama.cpp spread "
                      f"{max(s['llamacpp_spread'] for s in entry['sequences']):.2e}, reference vs llama.cpp "
                      f"{max(s['reference_vs_llamacpp'] for s in entry['sequences']):.2e}")
    document = {
        "generator": "Tests/Tools/tiny-models/make_tiny_models.py" + (" --only gemma3" if architectures == ["gemma3"] else ""),
        "gguf_py": importlib.metadata.version("gguf"),
        "oracle": "llama-cpp-python 0.3.36 (llama.cpp 0c1e570), type_k=type_v=F32, flash_attn off",
        "vocabulary_size": len(tokens),
        "texts": TEXTS,
        "fixtures": fixtures,
    }
    (out_dir / expected_name).write_text(json.dumps(document, indent=1) + "\n")


def main():
    args = sys.argv[1:]
    only = None
    if args[:1] == ["--only"]:
        only, args = args[1], args[2:]
    out_dir = Path(args[0] if args else "Tests/Fixtures/tiny-models")
    out_dir.mkdir(parents=True, exist_ok=True)
    if only not in (None, "gemma3"):
        sys.exit(f"unknown --only {only} (expected gemma3)")
    if only is None:
        write_fixtures(out_dir, ARCHITECTURES, SEED, SMALL_TYPES, "expected.json")
    write_fixtures(out_dir, ["gemma3"], GEMMA_SEED, GEMMA_SMALL_TYPES, "gemma3-expected.json")


if __name__ == "__main__":
    main()

"""llama.cpp's own intermediate tensors on two tiny models, for LlamaCppIntermediatesTests.

Evaluates one token sequence of Tests/Fixtures/tiny-models/tiny-llama-q6_k.gguf (adjacent-pair RoPE) and of
tiny-qwen2-q6_k.gguf (NeoX RoPE) with llama-cpp-python's low-level API (F32 KV cache, flash attention off, one batch,
as the tiny-model fixtures; GGML_CPU_TILED_MM=0, as their llamacpp_untiled_logits) and reads tensors of layer 0 through llama.cpp's evaluation callback (`cb_eval`), by
operation: the inputs and outputs of ROPE, GLU (SwiGLU) and SOFT_MAX, the attention result (the MUL_MAT named
kqv-0), and the final RMSNorm with its weight (of the second sequence, which includes a row where the float rounding of the
squares matters). Values are written as base64 little-endian float32 to Tests/Fixtures/llama-cpp-intermediates.json.

    /tmp/venv-llama/bin/python Tests/Tools/kernel-fixtures/make_llama_intermediates.py /path/to/site-packages/llama_cpp/lib

The library must be llama-cpp-python 0.3.36 built from source on an x86_64 machine with AVX-512 (its `GGML_NATIVE`
build), the one the tiny-model fixtures were made with.
"""
import base64
import ctypes
import json
import os
import sys
from pathlib import Path

import numpy as np

# llama.cpp's tiled K-quant kernels off (read when ggml starts): the layer inputs are then those of the vec_dot
# kernels SDSCM reproduces, and the final norm's input includes the row where float squares matter.
os.environ["GGML_CPU_TILED_MM"] = "0"
import llama_cpp  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
MODELS = ROOT / "Tests/Fixtures/tiny-models"
OUT = ROOT / "Tests/Fixtures/llama-cpp-intermediates.json"


class Tensor(ctypes.Structure):
    """`struct ggml_tensor` of ggml.h (GGML_MAX_DIMS 4, GGML_MAX_OP_PARAMS 64, GGML_MAX_SRC 10, GGML_MAX_NAME 64)."""


Tensor._fields_ = [("type", ctypes.c_int), ("buffer", ctypes.c_void_p), ("ne", ctypes.c_int64 * 4),
                   ("nb", ctypes.c_size_t * 4), ("op", ctypes.c_int), ("op_params", ctypes.c_int32 * 16),
                   ("flags", ctypes.c_int32), ("src", ctypes.POINTER(Tensor) * 10), ("view_src", ctypes.c_void_p),
                   ("view_offs", ctypes.c_size_t), ("data", ctypes.c_void_p), ("name", ctypes.c_char * 64),
                   ("extra", ctypes.c_void_p), ("padding", ctypes.c_char * 8)]


def values(t):
    """An F32 tensor's elements as an array of shape (ne3, ne2, ne1, ne0), following its strides."""
    assert t.type == 0, t.name
    ne = [t.ne[i] for i in range(4)]
    nb = [t.nb[i] for i in range(4)]
    size = sum((n - 1) * b for n, b in zip(ne, nb)) + 4
    raw = ctypes.string_at(t.data, size)
    flat = np.frombuffer(raw + b"\0" * 4, dtype=np.float32)
    return np.lib.stride_tricks.as_strided(flat, shape=ne[::-1], strides=nb[::-1]).copy()


def capture(model_path, ids, op_name):
    """{(operation, tensor name): [output, src0, src1]} for every layer-0 tensor llama.cpp computes, and the final
    norm ("norm", then "result_norm", its product with the weight)."""
    store = {}

    def callback(pointer, ask, _user):
        if ask:
            return True
        t = ctypes.cast(pointer, ctypes.POINTER(Tensor)).contents
        name = t.name.decode()
        if t.type != 0 or not (name.endswith("-0") or name in ("norm", "result_norm")):
            return True
        op = op_name(t.op).decode()
        sources = [values(t.src[i].contents) if t.src[i] and t.src[i].contents.type == 0 else None for i in range(2)]
        store.setdefault((op, name), [values(t)] + sources)
        return True

    keep = llama_cpp.ggml_backend_sched_eval_callback(callback)
    model = llama_cpp.llama_model_load_from_file(str(model_path).encode(), llama_cpp.llama_model_default_params())
    params = llama_cpp.llama_context_default_params()
    params.n_ctx = params.n_batch = params.n_ubatch = 64
    params.n_threads = params.n_threads_batch = 2
    params.type_k = params.type_v = 0
    params.flash_attn_type = 0
    params.cb_eval = keep
    context = llama_cpp.llama_init_from_model(model, params)
    batch = llama_cpp.llama_batch_init(len(ids), 0, 1)
    for i, token in enumerate(ids):
        batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = token, i, 1, 1
        batch.seq_id[i][0] = 0
    batch.n_tokens = len(ids)
    assert llama_cpp.llama_decode(context, batch) == 0
    llama_cpp.llama_batch_free(batch)
    llama_cpp.llama_free(context)
    llama_cpp.llama_model_free(model)
    return store


def pack(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def one(store, op, name):
    matches = [v for (o, n), v in store.items() if o == op and n == name]
    assert len(matches) == 1, (op, name, sorted(store))
    return matches[0]


def main():
    lib = Path(sys.argv[1])
    base = ctypes.CDLL(str(lib / "libggml-base.so"))
    base.ggml_op_name.restype = ctypes.c_char_p
    base.ggml_op_name.argtypes = [ctypes.c_int]
    expected = json.loads((MODELS / "expected.json").read_text())
    ids = next(e for e in expected["fixtures"] if e["file"] == "tiny-llama-q6_k.gguf")["sequences"][0]["ids"]
    rows = 8  # rows of the norm and SwiGLU tensors kept (the attention keeps every position)

    llama = capture(MODELS / "tiny-llama-q6_k.gguf", ids, base.ggml_op_name)
    q_out, q_in, _ = one(llama, "ROPE", "Qcur-0")      # (1, T, H, D)
    k_out, _, _ = one(llama, "ROPE", "Kcur-0")
    v = [t for (o, n), t in llama.items() if n == "Vcur-0" and o != "ROPE"][-1][0]
    soft_max, _, _ = one(llama, "SOFT_MAX", "kq_soft_max-0")   # (1, H, T, n_kv)
    kqv, _, _ = one(llama, "MUL_MAT", "kqv-0")                  # (1, H, T, D)
    # The final norm of the second sequence: its row 3 is one where squaring in Double would give another mean.
    second = next(e for e in expected["fixtures"] if e["file"] == "tiny-llama-q6_k.gguf")["sequences"][1]["ids"]
    # ggml's CPU backend fuses RMS_NORM with the following MUL, so the product is the tensor to read.
    final = capture(MODELS / "tiny-llama-q6_k.gguf", second, base.ggml_op_name)
    # (Read from the node that made it: ggml's allocator lets later nodes reuse an input's memory.)
    norm_in = one(final, "ADD", "l_out-0")[0]
    norm_out, _, norm_weight = one(final, "MUL", "result_norm")
    glu_out = one(llama, "GLU", "ffn_swiglu-0")[0]
    gate, up = one(llama, "MUL_MAT", "ffn_gate-0")[0], one(llama, "MUL_MAT", "ffn_up-0")[0]
    t_count = len(ids)
    heads, dimension = q_out.shape[2], q_out.shape[3]
    document = {
        "generator": "Tests/Tools/kernel-fixtures/make_llama_intermediates.py",
        "oracle": "llama-cpp-python 0.3.36 (llama.cpp 0c1e570), AVX-512 build, F32 KV cache, flash attention off",
        "llama": {
            "file": "tiny-llama-q6_k.gguf", "ids": ids, "heads": int(heads), "kv_heads": int(k_out.shape[2]),
            "dimension": int(dimension), "rope_base": 10000.0, "epsilon": 1e-5,
            "rope_in": pack(q_in.reshape(t_count, heads, dimension)),
            "rope_out": pack(q_out.reshape(t_count, heads, dimension)),
            "keys": pack(k_out.reshape(t_count, -1, dimension)),
            "values": pack(v.reshape(t_count, -1, dimension)),
            "soft_max": pack(soft_max[0][:, :, :t_count]),
            "attention": pack(kqv[0]),
            "norm_in": pack(norm_in.reshape(len(second), -1)[:rows]),
            "norm_weight": pack(norm_weight.reshape(-1)),
            "norm_out": pack(norm_out.reshape(len(second), -1)[:rows]),
            "gate": pack(gate.reshape(t_count, -1)[:rows]),
            "up": pack(up.reshape(t_count, -1)[:rows]),
            "swiglu": pack(glu_out.reshape(t_count, -1)[:rows]),
        },
    }
    qwen = capture(MODELS / "tiny-qwen2-q6_k.gguf", ids, base.ggml_op_name)
    q_out, q_in, _ = one(qwen, "ROPE", "Qcur-0")
    document["qwen2"] = {
        "file": "tiny-qwen2-q6_k.gguf", "heads": int(q_out.shape[2]), "dimension": int(q_out.shape[3]),
        "rope_base": 10000.0,
        "rope_in": pack(q_in.reshape(t_count, q_out.shape[2], -1)),
        "rope_out": pack(q_out.reshape(t_count, q_out.shape[2], -1)),
    }
    OUT.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

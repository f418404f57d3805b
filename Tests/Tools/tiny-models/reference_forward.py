"""An independent float64 NumPy forward pass for the architectures SDSCM implements (llama, qwen2, qwen3, gpt2,
gemma3).

It reads a GGUF file with gguf-py, dequantizes every tensor with gguf-py's reference dequantizers, and evaluates
a token sequence with textbook formulas in float64: no KV cache, no fused kernels, nothing shared with SDSCM or
llama.cpp apart from the file format. Used by make_tiny_models.py and check_real_model.py.
"""
import numpy as np
import gguf


def load(path):
    reader = gguf.GGUFReader(path)
    fields = {}
    for name, field in reader.fields.items():
        if name.startswith("GGUF."):
            continue
        fields[name] = field.contents()
    tensors = {}
    for t in reader.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float64)
        shape = [int(x) for x in reversed(t.shape)]  # numpy order: rows, columns
        tensors[t.name] = values.reshape(shape)
    return fields, tensors


def rms_norm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def layer_norm(x, weight, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def rope(x, positions, base, dims, adjacent, position_scale=1.0):
    """x: (T, heads, D). Rotates the first `dims` channels of each head (positions times `position_scale`: linear
    RoPE scaling)."""
    x = x.copy()
    half = dims // 2
    inv = base ** (-2.0 * np.arange(half) / dims)
    theta = (positions * position_scale)[:, None] * inv[None, :]  # (T, half)
    cos, sin = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
    if adjacent:
        a, b = x[..., 0:dims:2].copy(), x[..., 1:dims:2].copy()
        x[..., 0:dims:2] = a * cos - b * sin
        x[..., 1:dims:2] = a * sin + b * cos
    else:
        a, b = x[..., :half].copy(), x[..., half:dims].copy()
        x[..., :half] = a * cos - b * sin
        x[..., half:dims] = a * sin + b * cos
    return x


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x / (1 + np.exp(-x))


def sliding_layers(n_layer, pattern):
    """Gemma 3's interleaving: groups of `pattern` layers whose last one is global (0: every layer slides)."""
    return [pattern == 0 or layer % pattern < pattern - 1 for layer in range(n_layer)]


def forward(path, ids):
    """Logits (T, vocab) for every position of `ids`."""
    fields, W = load(path)
    arch = fields["general.architecture"]
    get = lambda key, default=None: fields.get(f"{arch}.{key}", default)
    n_embd, n_layer = int(get("embedding_length")), int(get("block_count"))
    n_head = int(get("attention.head_count"))
    n_kv = int(get("attention.head_count_kv", n_head))
    head_dim = int(get("attention.key_length", n_embd // n_head))
    rope_dims = int(get("rope.dimension_count", head_dim))
    base = float(get("rope.freq_base", 10000.0))
    ids = np.asarray(ids)
    T = len(ids)
    positions = np.arange(T, dtype=np.float64)
    mask = np.triu(np.full((T, T), -np.inf), k=1)
    gemma = arch == "gemma3"
    window = int(get("attention.sliding_window", 0)) if gemma else 0
    if window > 0:
        pattern = get("attention.sliding_window_pattern", 6)
        sliding = list(pattern) if isinstance(pattern, list) else sliding_layers(n_layer, int(pattern))
        # A query at position p sees keys p - window + 1 .. p.
        distance = positions[:, None] - positions[None, :]
        window_mask = np.where(distance >= window, -np.inf, 0.0) + mask
    else:
        sliding = [False] * n_layer
        window_mask = mask
    factor = float(get("rope.scaling.factor", 0.0))
    global_scale = 1.0 / factor if factor else 1.0
    local_base = float(get("rope.freq_base_swa", 10000.0))
    scale = 1.0 / np.sqrt(head_dim)
    softcap = float(get("final_logit_softcapping", 0.0)) if gemma else 0.0

    x = W["token_embd.weight"][ids]
    if gemma:
        x = x * np.sqrt(n_embd)
    if arch == "gpt2":
        eps = float(get("attention.layer_norm_epsilon", 1e-5))
        norm = lambda h, name: layer_norm(h, W[name + ".weight"], W[name + ".bias"], eps)
        x = x + W["position_embd.weight"][np.arange(T)]
    else:
        eps = float(get("attention.layer_norm_rms_epsilon", 1e-5))
        norm = lambda h, name: rms_norm(h, W[name + ".weight"], eps)

    def linear(h, name):
        y = h @ W[name + ".weight"].T
        if name + ".bias" in W:
            y = y + W[name + ".bias"]
        return y

    for layer in range(n_layer):
        p = f"blk.{layer}."
        h = norm(x, p + "attn_norm")
        if arch == "gpt2":
            qkv = linear(h, p + "attn_qkv")
            q, k, v = np.split(qkv, [n_head * head_dim, n_head * head_dim + n_kv * head_dim], axis=-1)
        else:
            q, k, v = linear(h, p + "attn_q"), linear(h, p + "attn_k"), linear(h, p + "attn_v")
        q = q.reshape(T, n_head, head_dim)
        k = k.reshape(T, n_kv, head_dim)
        v = v.reshape(T, n_kv, head_dim)
        if arch in ("qwen3", "gemma3"):
            q = rms_norm(q, W[p + "attn_q_norm.weight"], eps)
            k = rms_norm(k, W[p + "attn_k_norm.weight"], eps)
        if arch != "gpt2":
            adjacent = arch == "llama"
            layer_base, layer_scale = (local_base, 1.0) if sliding[layer] else (base, global_scale)
            q = rope(q, positions, layer_base, rope_dims, adjacent, layer_scale)
            k = rope(k, positions, layer_base, rope_dims, adjacent, layer_scale)
        group = n_head // n_kv
        out = np.zeros((T, n_head, head_dim))
        for head in range(n_head):
            kv = head // group
            scores = q[:, head, :] @ k[:, kv, :].T * scale + (window_mask if sliding[layer] else mask)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            out[:, head, :] = scores @ v[:, kv, :]
        attended = linear(out.reshape(T, n_head * head_dim), p + "attn_output")
        if gemma:
            attended = norm(attended, p + "post_attention_norm")
        x = x + attended
        h = norm(x, p + "ffn_norm")
        if arch == "gpt2":
            x = x + linear(gelu(linear(h, p + "ffn_up")), p + "ffn_down")
        elif gemma:
            x = x + norm(linear(gelu(linear(h, p + "ffn_gate")) * linear(h, p + "ffn_up"), p + "ffn_down"),
                         p + "post_ffw_norm")
        else:
            x = x + linear(silu(linear(h, p + "ffn_gate")) * linear(h, p + "ffn_up"), p + "ffn_down")

    x = norm(x, "output_norm")
    output = W["output.weight"] if "output.weight" in W else W["token_embd.weight"]
    logits = x @ output.T
    if softcap:
        logits = softcap * np.tanh(logits / softcap)
    return logits

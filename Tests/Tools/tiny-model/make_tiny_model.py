#!/usr/bin/env python3
"""Trains SDSCM's bundled tiny model on a known causal world and exports everything the package ships.

    python -m venv .venv && .venv/bin/pip install -r Tests/Tools/tiny-model/requirements.txt
    .venv/bin/python Tests/Tools/tiny-model/make_tiny_model.py [--seed 0] [--steps 6000] [--out Sources/SDSCMBundledModels/Resources]

Steps, all seeded:
  1. sample a corpus from the world (world.py): each document is a target variable's sentence after its parents'
     sentences and each other earlier one with probability 0.3 (at 0.2 training stays on the marginals), in
     random phrasings;
  2. train a byte-level BPE tokenizer (at most 640 tokens, two of them control tokens; this corpus runs out of
     merges at 469) with `tokenizers`;
  3. train a llama-architecture model (4 layers, width 96, 4 query / 2 key-value heads, SwiGLU 256, tied
     embeddings; about 0.46 M parameters) with AdamW in JAX (XLA on the CPU; two runs on the same machine give
     identical bytes);
  4. measure how far the model's SD-SCM conditional tables (phrasing 0, chain-rule scoring of each candidate after
     its parents' sentences, as SDSCM scores them) are from the world's tables (total variation);
  5. write tiny-world.gguf (F32), tiny-world-q8_0.gguf, tiny-world.json (the world as an SDSCM configuration),
     tiny-world-tables.json (the true tables, marginals and ATE, and the model's measured distances) and
     tiny-world-logits.json (the trainer's own logits for fixed prompts, for the Swift forward-pass test).
"""
import argparse
import base64
import hashlib
import json
import os
import pathlib
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import gguf  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402

import world  # noqa: E402

jax.config.update("jax_default_matmul_precision", "highest")

SHAPE = dict(vocab=640, d=96, layers=4, heads=4, kv=2, ff=256, ctx=128)
LENGTH = 48          # tokens per training row (documents are padded; none is longer)
BOS, EOS = "<|bos|>", "<|eos|>"
EPS = 1e-5
ROPE_BASE = 10000.0


# ---------------------------------------------------------------------------------------------------------------
# Corpus and tokenizer

def corpus(seed, count):
    rng = np.random.default_rng(seed)
    return [world.document(rng) for _ in range(count)]


def train_tokenizer(documents):
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=SHAPE["vocab"], min_frequency=2, special_tokens=[BOS, EOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(documents, trainer=trainer)
    return tokenizer


def encode(tokenizer, text, bos=True):
    ids = tokenizer.encode(text).ids
    return ([tokenizer.token_to_id(BOS)] if bos else []) + ids


# ---------------------------------------------------------------------------------------------------------------
# Model (llama: RMSNorm, adjacent-pair RoPE, grouped-query attention, SwiGLU, tied output)

def init_params(key):
    d, ff, heads, kv = SHAPE["d"], SHAPE["ff"], SHAPE["heads"], SHAPE["kv"]
    head_dim = d // heads
    keys = iter(jax.random.split(key, 64))
    normal = lambda shape, scale=0.02: scale * jax.random.normal(next(keys), shape, dtype=jnp.float32)
    layers = []
    for _ in range(SHAPE["layers"]):
        layers.append({
            "attn_norm": jnp.ones((d,), jnp.float32),
            "wq": normal((d, d)), "wk": normal((kv * head_dim, d)), "wv": normal((kv * head_dim, d)),
            "wo": normal((d, d), 0.02 / np.sqrt(2 * SHAPE["layers"])),
            "ffn_norm": jnp.ones((d,), jnp.float32),
            "w_gate": normal((ff, d)), "w_up": normal((ff, d)),
            "w_down": normal((d, ff), 0.02 / np.sqrt(2 * SHAPE["layers"])),
        })
    return {"embed": normal((SHAPE["vocab"], d)), "layers": layers, "norm": jnp.ones((d,), jnp.float32)}


def rms_norm(x, weight):
    return x * jax.lax.rsqrt(jnp.mean(x * x, axis=-1, keepdims=True) + EPS) * weight


def rope(x, positions):
    """Rotates adjacent pairs (x[2i], x[2i+1]) by position·base^(−2i/head_dim): llama.cpp's NORM RoPE."""
    head_dim = x.shape[-1]
    inverse = ROPE_BASE ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    angles = positions[:, None].astype(jnp.float32) * jnp.asarray(inverse, jnp.float32)[None, :]
    cos, sin = jnp.cos(angles)[None, :, None, :], jnp.sin(angles)[None, :, None, :]
    even, odd = x[..., 0::2], x[..., 1::2]
    return jnp.stack([even * cos - odd * sin, even * sin + odd * cos], axis=-1).reshape(x.shape)


def forward(params, tokens):
    batch, length = tokens.shape
    d, heads, kv = SHAPE["d"], SHAPE["heads"], SHAPE["kv"]
    head_dim = d // heads
    positions = jnp.arange(length)
    mask = jnp.tril(jnp.ones((length, length), bool))
    x = params["embed"][tokens]
    for layer in params["layers"]:
        h = rms_norm(x, layer["attn_norm"])
        q = (h @ layer["wq"].T).reshape(batch, length, heads, head_dim)
        k = (h @ layer["wk"].T).reshape(batch, length, kv, head_dim)
        v = (h @ layer["wv"].T).reshape(batch, length, kv, head_dim)
        q, k = rope(q, positions), rope(k, positions)
        k = jnp.repeat(k, heads // kv, axis=2)  # query head h reads key/value head h // (heads / kv)
        v = jnp.repeat(v, heads // kv, axis=2)
        scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(head_dim)
        scores = jnp.where(mask[None, None], scores, -1e30)
        attention = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(scores, axis=-1), v).reshape(batch, length, d)
        x = x + attention @ layer["wo"].T
        h = rms_norm(x, layer["ffn_norm"])
        x = x + (jax.nn.silu(h @ layer["w_gate"].T) * (h @ layer["w_up"].T)) @ layer["w_down"].T
    return rms_norm(x, params["norm"]) @ params["embed"].T


def loss_fn(params, tokens, weights):
    logits = forward(params, tokens[:, :-1])
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    picked = jnp.take_along_axis(log_probs, tokens[:, 1:, None], axis=-1)[..., 0]
    return -jnp.sum(picked * weights) / jnp.sum(weights)


@jax.jit
def train_step(params, opt, tokens, weights, lr):
    loss, grads = jax.value_and_grad(loss_fn)(params, tokens, weights)
    norm = jnp.sqrt(sum(jnp.sum(g * g) for g in jax.tree_util.tree_leaves(grads)))
    scale = jnp.minimum(1.0, 1.0 / (norm + 1e-6))
    grads = jax.tree_util.tree_map(lambda g: g * scale, grads)
    step = opt["step"] + 1
    m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, opt["m"], grads)
    v = jax.tree_util.tree_map(lambda v, g: 0.99 * v + 0.01 * g * g, opt["v"], grads)
    correction1, correction2 = 1 - 0.9 ** step, 1 - 0.99 ** step
    params = jax.tree_util.tree_map(
        lambda p, m, v: p - lr * (m / correction1) / (jnp.sqrt(v / correction2) + 1e-8), params, m, v)
    return params, {"m": m, "v": v, "step": step}, loss


def learning_rate(step, steps, peak, warmup=300):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * progress)))


# ---------------------------------------------------------------------------------------------------------------
# SD-SCM tables of the trained model (as SDSCM's `sum` scoring computes them)

def candidate_distribution(params, tokenizer, context, candidates):
    sequences = [encode(tokenizer, context + c) for c in candidates]
    shared = min(len(s) for s in sequences)
    for s in sequences[1:]:
        shared = min(shared, next((i for i, (a, b) in enumerate(zip(sequences[0], s)) if a != b), min(len(s), len(sequences[0]))))
    scores = []
    for s in sequences:
        logits = np.asarray(forward(params, jnp.asarray([s])))[0]
        log_probs = logits - np.log(np.sum(np.exp(logits - logits.max(-1, keepdims=True)), -1, keepdims=True)) - logits.max(-1, keepdims=True)
        scores.append(sum(log_probs[i - 1, s[i]] for i in range(shared, len(s))))
    scores = np.array(scores)
    p = np.exp(scores - scores.max())
    return p / p.sum()


def model_tables(params, tokenizer):
    """For every categorical variable and parent assignment: the model's distribution and its TV to the world."""
    result = {}
    for v in world.VARIABLES:
        if "table" not in v:
            continue
        rows = []
        for key, truth in v["table"].items():
            parents = [world.render(world.BY_NAME[p], value, 0) for p, value in zip(v["parents"], key)]
            prefix = v["phrasings"][0][0]
            context = " ".join(parents) + " " + prefix if parents else prefix
            p = candidate_distribution(params, tokenizer, context, v["values"])
            rows.append({"parents": dict(zip(v["parents"], key)), "model": [float(x) for x in p],
                         "world": truth, "total_variation": float(0.5 * np.abs(p - np.array(truth)).sum())})
        result[v["name"]] = rows
    return result


# ---------------------------------------------------------------------------------------------------------------
# Export

def gguf_tokens(tokenizer):
    vocab = tokenizer.get_vocab()
    tokens = [None] * len(vocab)
    for text, index in vocab.items():
        tokens[index] = text
    types = [gguf.TokenType.CONTROL if t in (BOS, EOS) else gguf.TokenType.NORMAL for t in tokens]
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in merges]
    return tokens, types, merges


def write_gguf(path, params, tokenizer, quantize):
    tokens, types, merges = gguf_tokens(tokenizer)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("sdscm-tiny-world")
    writer.add_context_length(SHAPE["ctx"])
    writer.add_embedding_length(SHAPE["d"])
    writer.add_block_count(SHAPE["layers"])
    writer.add_feed_forward_length(SHAPE["ff"])
    writer.add_head_count(SHAPE["heads"])
    writer.add_head_count_kv(SHAPE["kv"])
    writer.add_layer_norm_rms_eps(EPS)
    writer.add_rope_dimension_count(SHAPE["d"] // SHAPE["heads"])
    writer.add_rope_freq_base(ROPE_BASE)
    writer.add_file_type(7 if quantize else 0)  # MOSTLY_Q8_0 or ALL_F32
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(tokenizer.token_to_id(BOS))
    writer.add_eos_token_id(tokenizer.token_to_id(EOS))
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)

    def matrix(name, value):
        value = np.asarray(value, np.float32)
        if quantize:
            writer.add_tensor(name, gguf.quants.quantize(value, gguf.GGMLQuantizationType.Q8_0),
                              raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(name, value)

    matrix("token_embd.weight", params["embed"])
    for i, layer in enumerate(params["layers"]):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.asarray(layer["attn_norm"], np.float32))
        matrix(f"blk.{i}.attn_q.weight", layer["wq"])
        matrix(f"blk.{i}.attn_k.weight", layer["wk"])
        matrix(f"blk.{i}.attn_v.weight", layer["wv"])
        matrix(f"blk.{i}.attn_output.weight", layer["wo"])
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.asarray(layer["ffn_norm"], np.float32))
        matrix(f"blk.{i}.ffn_gate.weight", layer["w_gate"])
        matrix(f"blk.{i}.ffn_up.weight", layer["w_up"])
        matrix(f"blk.{i}.ffn_down.weight", layer["w_down"])
    writer.add_tensor("output_norm.weight", np.asarray(params["norm"], np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


PROMPTS = [
    "The patient is old. The illness is severe. The doctor prescribes",
    "She is given drug. Adherence is",
    "The illness is mild. The doctor prescribes rest. Adherence is high. A week later she is",
    "A week later she is unwell. Note: she",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--documents", type=int, default=150_000)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--eval-every", type=int, default=2000)
    parser.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parents[3] / "Sources/SDSCMBundledModels/Resources"))
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()

    documents = corpus(args.seed, args.documents)
    tokenizer = train_tokenizer(documents)
    # The corpus's words are few: BPE runs out of merges below the requested size; the model uses what it has.
    SHAPE["vocab"] = tokenizer.get_vocab_size()
    eos = tokenizer.token_to_id(EOS)
    rows = np.full((len(documents), LENGTH), eos, np.int32)
    weights = np.zeros((len(documents), LENGTH - 1), np.float32)
    for index, text in enumerate(documents):
        ids = encode(tokenizer, text) + [eos]
        assert len(ids) <= LENGTH, f"document {index} has {len(ids)} tokens"
        rows[index, :len(ids)] = ids
        weights[index, :len(ids) - 1] = 1
    print(f"corpus: {len(documents)} documents, {int(weights.sum())} predicted tokens, vocabulary {tokenizer.get_vocab_size()}")

    params = init_params(jax.random.PRNGKey(args.seed))
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    opt = {"m": zeros, "v": zeros, "step": jnp.zeros((), jnp.float32)}
    order = np.random.default_rng(args.seed + 1)
    permutation = order.permutation(len(documents))
    cursor = 0
    for step in range(args.steps):
        if cursor + args.batch > len(permutation):
            permutation, cursor = order.permutation(len(documents)), 0
        batch = permutation[cursor:cursor + args.batch]
        cursor += args.batch
        params, opt, loss = train_step(params, opt, jnp.asarray(rows[batch]), jnp.asarray(weights[batch]),
                                       jnp.float32(learning_rate(step, args.steps, args.lr)))
        if step % 500 == 0 or step == args.steps - 1:
            print(f"step {step:5d}  loss {float(loss):.4f}  ({time.time() - started:.0f} s)", flush=True)
        if args.eval_every and step % args.eval_every == args.eval_every - 1:
            tables = model_tables(params, tokenizer)
            worst = max(row["total_variation"] for rows in tables.values() for row in rows)
            print(f"step {step:5d}  worst total variation {worst:.4f}", flush=True)

    tables = model_tables(params, tokenizer)
    worst = max(row["total_variation"] for rows in tables.values() for row in rows)
    print(f"worst total variation between model and world tables: {worst:.4f}")

    write_gguf(out / "tiny-world.gguf", params, tokenizer, quantize=False)
    write_gguf(out / "tiny-world-q8_0.gguf", params, tokenizer, quantize=True)
    (out / "tiny-world.json").write_text(json.dumps(world.configuration(), indent=2) + "\n")
    categorical = [v["name"] for v in world.VARIABLES if "table" in v]
    summary = {
        "generator": "Tests/Tools/tiny-model/make_tiny_model.py", "seed": args.seed, "steps": args.steps,
        "documents": args.documents, "shape": SHAPE,
        "world_tables": world.tables(),
        "world_marginals": {name: world.exact_marginal(name) for name in categorical},
        "world_interventional": {f"do({world.TREATMENT}={t})": {name: world.exact_marginal(name, {world.TREATMENT: t})
                                                                 for name in categorical}
                                 for t in world.BY_NAME[world.TREATMENT]["values"]},
        "world_ate": world.true_ate(),
        "model_tables": tables, "worst_total_variation": worst,
    }
    (out / "tiny-world-tables.json").write_text(json.dumps(summary, indent=1) + "\n")
    logits = []
    for prompt in PROMPTS:
        ids = encode(tokenizer, prompt)
        values = np.asarray(forward(params, jnp.asarray([ids])), np.float32)[0]
        logits.append({"prompt": prompt, "ids": ids, "logits": base64.b64encode(values.tobytes()).decode()})
    (pathlib.Path(__file__).resolve().parents[3] / "Tests/Fixtures/tiny-world-logits.json").write_text(
        json.dumps({"generator": "Tests/Tools/tiny-model/make_tiny_model.py", "vocabulary": SHAPE["vocab"], "prompts": logits}) + "\n")
    for name in ["tiny-world.gguf", "tiny-world-q8_0.gguf"]:
        print(name, hashlib.sha256((out / name).read_bytes()).hexdigest())
    print(f"done in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()

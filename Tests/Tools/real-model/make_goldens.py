#!/usr/bin/env python3
"""Records llama.cpp's next-token log-probabilities on SmolLM2-135M-Instruct Q4_1 for SDSCM's real-model test.

Oracle: llama-cpp-python 0.3.36 built from source (llama.cpp 0c1e570), pinned to an F32 KV cache and flash
attention off, 2 threads. For each prompt it stores the prompt ids (llama.cpp's tokenization, BOS per file) and
the top 10 next tokens with their log-probabilities; for reference it also stores llama.cpp's default
configuration (F16 KV cache) top 10, which shows how much llama.cpp itself moves, and llama.cpp's top 10 on a
copy of the model with every tensor dequantized to F32 (written here with gguf-py; about 540 MB, deleted
afterwards): the same weight values evaluated without llama.cpp's 8-bit activation quantization, which is the
like-for-like reference for an engine that multiplies dequantized weights in float.

    /tmp/venv-llama/bin/python Tests/Tools/real-model/make_goldens.py [MODEL] [OUT]
"""
import json
import os
import sys
import tempfile

import gguf

import numpy as np
import llama_cpp

PROMPTS = [
    "The capital of France is",
    "A 45-year-old woman presents to the oncology clinic with",
    "The patient's tumour is PD-L1 positive, so the recommended therapy is",
    "def fibonacci(n):\n    return",
    "Once upon a time, there was a",
    "The quick brown fox jumps over the",
    "Water boils at a temperature of",
    "In 1969, Neil Armstrong became the first person to",
    "<|im_start|>user\nWhat is the largest planet?<|im_end|>\n<|im_start|>assistant\n",
    "1, 2, 3, 4, 5,",
    "Translate to French: cat =",
    "The treatment was effective because",
]


def top(llm, ids, k=10):
    llm.reset()
    llm.eval(ids)
    logits = np.array(llm.scores[len(ids) - 1], dtype=np.float64)
    logprobs = logits - (logits.max() + np.log(np.exp(logits - logits.max()).sum()))
    order = np.argsort(-logprobs)[:k]
    return [{"id": int(i), "logprob": float(logprobs[i])} for i in order]


def dequantized_copy(model, path):
    """Writes `model` with every tensor dequantized to F32 (same metadata, same tensor order)."""
    reader = gguf.GGUFReader(model)
    writer = gguf.GGUFWriter(path, reader.fields["general.architecture"].contents())
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name in ("general.architecture", "general.alignment"):
            continue
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), value_type, sub_type=sub_type)
    for tensor in reader.tensors:
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        writer.add_tensor(tensor.name, values.reshape([int(x) for x in reversed(tensor.shape)]))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_goldens(model, prompts, out, generator, settings):
    """llama.cpp's top-10 next-token log-probabilities after every prompt, in three configurations: F32 KV cache
    without flash attention ("top"), llama.cpp's defaults ("default_config_top"), and a copy of the file with every
    weight dequantized to F32 ("dequantized_f32_top"); written to `out` as JSON."""
    pinned = llama_cpp.Llama(model_path=model, type_k=0, type_v=0, flash_attn=False, **settings)
    default = llama_cpp.Llama(model_path=model, **settings)
    cases = []
    for prompt in prompts:
        ids = pinned.tokenize(prompt.encode(), add_bos=True, special=True)
        cases.append({"prompt": prompt, "ids": ids, "top": top(pinned, ids), "default_config_top": top(default, ids)})
        print(len(ids), prompt[-40:].replace("\n", "\\n"), cases[-1]["top"][0])
    del pinned, default
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "dequantized-f32.gguf")
        dequantized_copy(model, path)
        exact = llama_cpp.Llama(model_path=path, type_k=0, type_v=0, flash_attn=False, **settings)
        for case in cases:
            case["dequantized_f32_top"] = top(exact, case["ids"])
        del exact
    document = {"generator": generator,
                "oracle": "llama-cpp-python 0.3.36 (llama.cpp 0c1e570), type_k=type_v=F32, flash_attn off, 2 threads",
                "model_file": os.path.basename(model), "cases": cases}
    with open(out, "w") as f:
        json.dump(document, f, indent=1, ensure_ascii=False)
        f.write("\n")


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("SDSCM_MODELS", ".models"),
                                                               "SmolLM2-135M-Instruct.Q4_1.gguf")
    out = sys.argv[2] if len(sys.argv) > 2 else "Tests/Fixtures/smollm2-llamacpp-logprobs.json"
    write_goldens(model, PROMPTS, out, "Tests/Tools/real-model/make_goldens.py",
                  dict(n_ctx=256, logits_all=True, n_threads=2, verbose=False))


if __name__ == "__main__":
    main()

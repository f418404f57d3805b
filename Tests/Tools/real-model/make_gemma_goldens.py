#!/usr/bin/env python3
"""Records llama.cpp's next-token log-probabilities on Gemma-3-270M Q4_K_M for SDSCM's gemma3 real-model test.

Same oracle and layout as make_goldens.py (SmolLM2): llama-cpp-python 0.3.36 built from source (llama.cpp
0c1e570), F32 KV cache, flash attention off, 2 threads. For each prompt it stores llama.cpp's tokenization (BOS
added, as the file asks) and the top 10 next tokens with their log-probabilities; for reference also llama.cpp's
default configuration (F16 KV cache) and llama.cpp on a copy of the model with every tensor dequantized to F32
(written with gguf-py, about 1.1 GB, deleted afterwards), the like-for-like reference for an engine that
multiplies dequantized weights in float.

Gemma 3 attends within 512 positions in five of every six layers, so three prompts are longer than that: a
seeded sensor log, a count, and a fact stated before 600 tokens of filler and asked for at the end (only the
global layers can still see it).

    /tmp/venv-llama/bin/python Tests/Tools/real-model/make_gemma_goldens.py [MODEL] [OUT]
"""
import os
import random
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_goldens import write_goldens  # noqa: E402


def sensor_log(lines, seed):
    rng = random.Random(seed)
    rooms = ["kitchen", "hallway", "garage", "attic", "cellar", "study"]
    return "".join(f"Day {day}: the {rng.choice(rooms)} sensor read {rng.randint(12, 29)} degrees and "
                   f"{rng.randint(30, 70)}% humidity.\n" for day in range(1, lines + 1))


PROMPTS = [
    "The capital of France is",
    "A 45-year-old woman presents to the oncology clinic with",
    "def fibonacci(n):\n    return",
    "Once upon a time, there was a",
    "In 1969, Neil Armstrong became the first person to",
    "Translate to French: cat =",
    "The treatment was effective because",
    sensor_log(40, 1) + "Day 41: the",
    ", ".join(str(n) for n in range(1, 181)) + ",",
    "The secret password is BLUE-FALCON-42. Remember it.\n" + sensor_log(38, 2)
    + "Question: what is the secret password?\nAnswer: The secret password is",
]


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("SDSCM_MODELS", ".models"),
                                                               "gemma-3-270m-q4_k_m.gguf")
    out = sys.argv[2] if len(sys.argv) > 2 else "Tests/Fixtures/gemma3-llamacpp-logprobs.json"
    write_goldens(model, PROMPTS, out, "Tests/Tools/real-model/make_gemma_goldens.py",
                  dict(n_ctx=1024, n_batch=1024, logits_all=True, n_threads=2, verbose=False))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints Philox4x64-10 known-answer vectors from NumPy's independent implementation, as Swift literals for
Tests/RandomnessTests/PhiloxTests.swift.

NumPy's bit generator adds one to its 256-bit counter before computing each block, so to get the block for
counter c we start it at c - 1 (with borrow)."""
import numpy as np

MASK = (1 << 256) - 1
cases = [
    ((0, 0), (0, 0, 0, 0)),
    ((0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF), (0xFFFFFFFFFFFFFFFF,) * 4),
    ((0xA4093822299F31D0, 0x082EFA98EC4E6C89), (0x243F6A8885A308D3, 0x13198A2E03707344, 0, 0)),
    ((42, 0x67656E6572617465), (0, 0, 17, 1234)),
    ((7, 3), (5, 11, 0, 49151)),
]
for key, counter in cases:
    value = sum(word << (64 * i) for i, word in enumerate(counter))
    previous = (value - 1) & MASK
    start = np.array([(previous >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(4)], dtype=np.uint64)
    generator = np.random.Philox(key=np.array(key, dtype=np.uint64), counter=start)
    block = [int(x) for x in generator.random_raw(4)]
    hexes = lambda words: ", ".join(f"0x{w:016X}" for w in words)
    print(f"        (key: ({hexes(key)}), counter: ({hexes(counter)}),")
    print(f"         block: ({hexes(block)})),")

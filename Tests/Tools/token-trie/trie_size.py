#!/usr/bin/env python3
"""Counts the nodes of the trie of every token sequence in a trace written by the logging patch (README.md).

That count is the fewest tokens any evaluator that caches every prefix must evaluate for the traced run; compare it
with the run's `tokens_evaluated` (manifest.json).
"""
import sys


def main(path: str) -> None:
    root: dict = {}
    nodes = sequences = batches = 0
    seen = set()
    with open(path) as trace:
        for line in trace:
            if line.startswith("B"):
                batches += 1
                continue
            _, *tokens = line.split()
            sequence = tuple(map(int, tokens))
            sequences += 1
            seen.add(sequence)
            node = root
            for token in sequence:
                if token not in node:
                    node[token] = {}
                    nodes += 1
                node = node[token]
    print(f"batches {batches}, contexts {sequences} ({len(seen)} distinct), trie nodes {nodes}")


if __name__ == "__main__":
    main(sys.argv[1])

"""Writes a copy of a GGUF model whose tokenizer adds a BOS token (tokenizer.ggml.add_bos_token = true).

llama-cpp-python 0.3.36's server echoes prompt log-probabilities one position off for models that add no BOS token
(see ../shared/spec/inference-servers.md); with the copy its echo is right, and the local engine runs the same file.
Uses gguf-py's own copy routine (pinned in requirements.txt).

    python make_bos_copy.py SmolLM2-135M-Instruct.Q4_1.gguf SmolLM2-135M-Instruct.Q4_1.bos.gguf
"""
import sys

import gguf
from gguf.scripts.gguf_new_metadata import MetadataDetails, copy_with_new_metadata, get_field_data


def main(source: str, target: str) -> None:
    reader = gguf.GGUFReader(source, "r")
    writer = gguf.GGUFWriter(target, arch=get_field_data(reader, gguf.Keys.General.ARCHITECTURE), endianess=reader.endianess)
    alignment = get_field_data(reader, gguf.Keys.General.ALIGNMENT)
    if alignment is not None:
        writer.data_alignment = alignment
    new_metadata = {gguf.Keys.Tokenizer.ADD_BOS: MetadataDetails(gguf.GGUFValueType.BOOL, True)}
    copy_with_new_metadata(reader, writer, new_metadata, [])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

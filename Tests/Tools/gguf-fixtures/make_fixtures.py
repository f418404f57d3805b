#!/usr/bin/env python3
"""Writes the GGUF reader's test fixtures with gguf-py, an implementation independent of ours.

Outputs (committed under Tests/Fixtures/gguf/):
  formats.gguf / formats.json    one tensor per supported ggml type, filled with seeded random blocks; the JSON
                                 holds the floats gguf-py's reference dequantizers produce (as little-endian
                                 float32 hex, so the Swift test can compare bit for bit) and the data offsets
                                 gguf-py's own reader reports.
  metadata.gguf / metadata.json  every metadata value type, arrays of each, nested arrays, unicode strings and a
                                 non-default general.alignment; the JSON is checked against gguf-py's reader.

Q8_K has no dequantizer in gguf-py (it is an activation-only format), so its expected values are computed here
directly from the block layout in ggml-common.h: y = d * q with d a float32.

Usage: python3 make_fixtures.py OUTPUT_DIR    (deterministic: same seed, same bytes)
"""
import importlib.metadata
import json
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T, GGUFValueType as V

SEED = 20261129
ROW_LENGTH = 512  # a multiple of every block size used here (32 and 256)
ROWS = 3

# Byte offsets of the IEEE-half scale fields inside one block; they must hold finite values, every other byte
# of a block is a valid quant for any bit pattern.
HALF_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
TYPES = [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0,
         T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.Q8_K]


def finite_halves(rng, n):
    """Random finite half bit patterns, covering zeros, subnormals and the full exponent range."""
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint32)
    exponent_all_ones = (bits & 0x7C00) == 0x7C00
    bits[exponent_all_ones] &= ~np.uint32(0x4000)  # clear one exponent bit: finite, still varied
    return bits.astype(np.uint16)


def block_bytes(rng, qtype, blocks):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    if qtype == T.F32:
        values = rng.standard_normal(blocks).astype(np.float32) * np.float32(3.0)
        return values.view(np.uint8).reshape(blocks, 4)
    if qtype == T.F16:
        return finite_halves(rng, blocks).view(np.uint8).reshape(blocks, 2)
    if qtype == T.BF16:
        bits = rng.integers(0, 1 << 16, size=blocks, dtype=np.uint32)
        bits[(bits & 0x7F80) == 0x7F80] &= ~np.uint32(0x4000)
        return bits.astype(np.uint16).view(np.uint8).reshape(blocks, 2)
    raw = rng.integers(0, 256, size=(blocks, type_size), dtype=np.uint8)
    if qtype == T.Q8_K:
        d = (rng.standard_normal(blocks) * 0.01).astype(np.float32)
        raw[:, 0:4] = d.view(np.uint8).reshape(blocks, 4)
        return raw
    for offset in HALF_FIELDS[qtype]:
        raw[:, offset:offset + 2] = finite_halves(rng, blocks).view(np.uint8).reshape(blocks, 2)
    return raw


def reference_dequantize(raw_rows, qtype):
    if qtype == T.Q8_K:
        blocks = raw_rows.reshape(-1, 292)
        d = blocks[:, 0:4].copy().view(np.float32)
        q = blocks[:, 4:260].copy().view(np.int8).astype(np.float32)
        return (d * q).reshape(raw_rows.shape[0], -1)
    return gguf.quants.dequantize(raw_rows, qtype)


def make_formats(out_dir, rng):
    path = out_dir / "formats.gguf"
    writer = gguf.GGUFWriter(str(path), "fixture")
    expected = []
    for qtype in TYPES:
        block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
        blocks_per_row = ROW_LENGTH // block_size
        raw = block_bytes(rng, qtype, blocks_per_row * ROWS).reshape(ROWS, blocks_per_row * type_size)
        floats = np.ascontiguousarray(reference_dequantize(raw, qtype), dtype=np.float32)
        assert floats.shape == (ROWS, ROW_LENGTH), (qtype.name, floats.shape)
        assert np.isfinite(floats).all(), qtype.name
        name = qtype.name.lower()
        writer.add_tensor(name, raw, raw_dtype=qtype)
        expected.append({"name": name, "type": qtype.name, "shape": [ROW_LENGTH, ROWS],
                         "float32_le_hex": floats.astype("<f4").tobytes().hex()})
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    reader = gguf.GGUFReader(str(path))
    by_name = {t.name: t for t in reader.tensors}
    for entry in expected:
        tensor = by_name[entry["name"]]
        entry["absolute_offset"] = int(tensor.data_offset)
        entry["byte_count"] = int(tensor.n_bytes)
        assert [int(x) for x in tensor.shape] == entry["shape"]
    document = {"generator": "Tests/Tools/gguf-fixtures/make_fixtures.py", "gguf_py": importlib.metadata.version("gguf"),
                "data_offset": int(reader.data_offset), "alignment": int(reader.alignment), "tensors": expected}
    (out_dir / "formats.json").write_text(json.dumps(document, indent=1) + "\n")


# (key, value type, value, element type for arrays). Nested arrays take their element types from the values.
METADATA = [
    ("fixture.uint8", V.UINT8, 200, None),
    ("fixture.int8", V.INT8, -100, None),
    ("fixture.uint16", V.UINT16, 60000, None),
    ("fixture.int16", V.INT16, -30000, None),
    ("fixture.uint32", V.UINT32, 4000000000, None),
    ("fixture.int32", V.INT32, -2000000000, None),
    ("fixture.float32", V.FLOAT32, 3.14159265, None),
    ("fixture.bool_true", V.BOOL, True, None),
    ("fixture.bool_false", V.BOOL, False, None),
    ("fixture.string", V.STRING, "héllo, 世界 🌍 \"quoted\" \\ tab\t", None),
    ("fixture.empty_string", V.STRING, "", None),
    ("fixture.uint64", V.UINT64, (1 << 63) + 5, None),
    ("fixture.int64", V.INT64, -(1 << 62) - 7, None),
    ("fixture.float64", V.FLOAT64, 2.718281828459045, None),
    ("fixture.array.uint8", V.ARRAY, [0, 1, 255], V.UINT8),
    ("fixture.array.int8", V.ARRAY, [-128, 0, 127], V.INT8),
    ("fixture.array.uint16", V.ARRAY, [0, 65535], V.UINT16),
    ("fixture.array.int16", V.ARRAY, [-32768, 32767], V.INT16),
    ("fixture.array.uint32", V.ARRAY, [7, 4294967295], V.UINT32),
    ("fixture.array.int32", V.ARRAY, [-5, 2147483647, -2147483648], V.INT32),
    ("fixture.array.float32", V.ARRAY, [0.5, -1.25, 1e-5], V.FLOAT32),
    ("fixture.array.bool", V.ARRAY, [True, False, True], V.BOOL),
    ("fixture.array.string", V.ARRAY, ["a", "", "ü", "<|im_start|>"], V.STRING),
    ("fixture.array.uint64", V.ARRAY, [0, (1 << 64) - 1], V.UINT64),
    ("fixture.array.int64", V.ARRAY, [-(1 << 63), (1 << 63) - 1], V.INT64),
    ("fixture.array.float64", V.ARRAY, [0.1, -2.5e300], V.FLOAT64),
    ("fixture.array.nested_ints", V.ARRAY, [[1, 2, 3], [4, 5]], None),
    ("fixture.array.nested_strings", V.ARRAY, [["x", "y"], ["z"]], None),
    ("fixture.array.nested_deep", V.ARRAY, [[[1.5], [2.5, 3.5]]], None),
]


def python_type(value):
    return V.get_type(value)


def typed_json(value, vtype, element_type=None):
    """The JSON description of one value: {type, value} with 64-bit integers as strings (exact in any parser)."""
    if vtype == V.ARRAY:
        element_type = python_type(value[0]) if element_type is None else element_type
        return {"type": "ARRAY", "element_type": element_type.name,
                "value": [typed_json(v, element_type)["value"] if element_type != V.ARRAY else typed_json(v, V.ARRAY)
                          for v in value]}
    if vtype in (V.UINT64, V.INT64):
        return {"type": vtype.name, "value": str(value)}
    if vtype == V.FLOAT32:
        return {"type": vtype.name, "value": float(np.float32(value))}
    return {"type": vtype.name, "value": value}


def make_metadata(out_dir, rng):
    path = out_dir / "metadata.gguf"
    writer = gguf.GGUFWriter(str(path), "fixture")
    writer.add_custom_alignment(64)
    for key, vtype, value, element_type in METADATA:
        writer.add_key_value(key, value, vtype, sub_type=element_type)
    small = (rng.standard_normal((2, 4)) * 2).astype(np.float32)
    writer.add_tensor("small.f32", small)
    writer.add_tensor("small.f16", rng.standard_normal(8).astype(np.float16))
    q8 = gguf.quants.quantize(rng.standard_normal((2, 32)).astype(np.float32), T.Q8_0)
    writer.add_tensor("small.q8_0", q8, raw_dtype=T.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    reader = gguf.GGUFReader(str(path))
    entries = [{"key": "general.architecture", "type": "STRING", "value": "fixture"},
               {"key": "general.alignment", "type": "UINT32", "value": 64}]
    for key, vtype, value, element_type in METADATA:
        entries.append({"key": key, **typed_json(value, vtype, element_type)})
    read_keys = [name for name in reader.fields if not name.startswith("GGUF.")]
    assert read_keys == [e["key"] for e in entries], read_keys
    for key, vtype, value, element_type in METADATA:
        contents = reader.fields[key].contents()
        if vtype == V.FLOAT32:
            assert np.float32(contents) == np.float32(value), key
        elif vtype == V.ARRAY and (python_type(value[0]) if element_type is None else element_type) == V.FLOAT32:
            assert np.allclose(contents, value), key
        elif vtype != V.ARRAY or element_type is not None:
            assert contents == value, (key, contents, value)
    tensors = [{"name": t.name, "type": t.tensor_type.name, "shape": [int(x) for x in t.shape],
                "absolute_offset": int(t.data_offset), "byte_count": int(t.n_bytes)} for t in reader.tensors]
    document = {"generator": "Tests/Tools/gguf-fixtures/make_fixtures.py", "version": 3, "alignment": int(reader.alignment),
                "data_offset": int(reader.data_offset), "metadata": entries, "tensors": tensors,
                "small_f32": [float(x) for x in small.reshape(-1)]}
    (out_dir / "metadata.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")


def main():
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/gguf")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    make_formats(out_dir, rng)
    make_metadata(out_dir, rng)
    print(f"wrote fixtures to {out_dir}")


if __name__ == "__main__":
    main()

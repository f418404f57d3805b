"""ggml's own integer dot products on the weight-format fixture, for IntegerKernelTests.

Runs llama.cpp's CPU kernels (`ggml_get_type_traits_cpu(type)->from_float` of the activation format, then
`->vec_dot`) through ctypes on every row of the Q4_1, Q5_0, Q8_0, Q6_K and Q4_0 tensors of Tests/Fixtures/gguf/formats.gguf,
for a few activation rows (ties, zero blocks, mixed magnitudes), and writes inputs and outputs as float32 bit patterns
to Tests/Fixtures/ggml-vec-dot.json.

    python make_ggml_dot_expected.py /path/to/site-packages/llama_cpp/lib

The library must be llama-cpp-python 0.3.36 built from source on an x86_64 machine with AVX2 and FMA (its
`GGML_NATIVE` build), as Tests/Scripts/bench-vs-llamacpp.sh builds it.
"""
import ctypes
import json
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
FORMATS = ROOT / "Tests/Fixtures/gguf/formats.gguf"
OUT = ROOT / "Tests/Fixtures/ggml-vec-dot.json"
TYPES = {"q4_1": 3, "q5_0": 6, "q8_0": 8, "q6_k": 14, "q4_0": 2}  # q4_0 last: earlier cases keep their inputs
BLOCK_BYTES = {2: (32, 18), 3: (32, 20), 6: (32, 22), 8: (32, 34), 14: (256, 210)}
ACTIVATION_BYTES = {8: (32, 34), 9: (32, 36), 15: (256, 292)}


def read_gguf(path):
    """Tensor table of a GGUF file: name -> (type, dims, absolute offset)."""
    data = path.read_bytes()
    offset = 4
    _version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, offset)
    offset += 20

    def string(at):
        (n,) = struct.unpack_from("<Q", data, at)
        return data[at + 8:at + 8 + n].decode(), at + 8 + n

    scalar = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}

    def value(kind, at):
        if kind == 8:
            return string(at)
        if kind == 9:
            element, count = struct.unpack_from("<IQ", data, at)
            at += 12
            items = []
            for _ in range(count):
                item, at = value(element, at)
                items.append(item)
            return items, at
        return struct.unpack_from(scalar[kind], data, at)[0], at + struct.calcsize(scalar[kind])

    alignment = 32
    for _ in range(n_kv):
        key, offset = string(offset)
        (kind,) = struct.unpack_from("<I", data, offset)
        item, offset = value(kind, offset + 4)
        if key == "general.alignment":
            alignment = item
    tensors = {}
    for _ in range(n_tensors):
        name, offset = string(offset)
        (dims,) = struct.unpack_from("<I", data, offset)
        shape = struct.unpack_from("<%dQ" % dims, data, offset + 4)
        offset += 4 + 8 * dims
        kind, relative = struct.unpack_from("<IQ", data, offset)
        offset += 12
        tensors[name] = (kind, shape, relative)
    start = (offset + alignment - 1) // alignment * alignment
    return data, {name: (kind, shape, start + relative) for name, (kind, shape, relative) in tensors.items()}


def main():
    lib = ctypes.CDLL(str(Path(sys.argv[1]) / "libggml-cpu.so"))

    class Traits(ctypes.Structure):
        _fields_ = [("from_float", ctypes.c_void_p), ("vec_dot", ctypes.c_void_p),
                    ("vec_dot_type", ctypes.c_int), ("nrows", ctypes.c_int64)]

    from_float_t = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
    vec_dot_t = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
                                 ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    lib.ggml_get_type_traits_cpu.restype = ctypes.POINTER(Traits)
    lib.ggml_cpu_init()

    data, tensors = read_gguf(FORMATS)
    rng = np.random.default_rng(20261207)
    cases = []
    for name, kind in TYPES.items():
        file_kind, shape, start = tensors[name]
        assert file_kind == kind, name
        k, rows = shape
        elements, block_bytes = BLOCK_BYTES[kind]
        row_bytes = k // elements * block_bytes
        traits = lib.ggml_get_type_traits_cpu(kind).contents
        activation = lib.ggml_get_type_traits_cpu(traits.vec_dot_type).contents
        a_elements, a_bytes = ACTIVATION_BYTES[traits.vec_dot_type]
        inputs = [
            rng.uniform(-2, 2, k),
            rng.normal(0, 1, k) * np.exp(rng.normal(0, 2, k)),
            np.where(np.arange(k) < 64, 0.0, rng.uniform(-1, 1, k)),
        ]
        # Exact ties of x·127/amax (n + 1/2) in every 32-block.
        tie = rng.uniform(-1, 1, k)
        tie[0::32] = 127.0
        tie[1::32] = 0.5
        inputs.append(tie)
        for x in inputs:
            x = np.ascontiguousarray(x, dtype=np.float32)
            quantized = ctypes.create_string_buffer(k // a_elements * a_bytes)
            from_float_t(activation.from_float)(x.ctypes.data, ctypes.addressof(quantized), k)
            outputs = []
            for row in range(rows):
                weights = ctypes.create_string_buffer(data[start + row * row_bytes:start + (row + 1) * row_bytes])
                result = ctypes.c_float()
                vec_dot_t(traits.vec_dot)(k, ctypes.addressof(result), 0, ctypes.addressof(weights), 0,
                                          ctypes.addressof(quantized), 0, 1)
                outputs.append(struct.unpack("<I", struct.pack("<f", result.value))[0])
            cases.append({"tensor": name, "input": x.view(np.uint32).tolist(), "output": outputs})
    OUT.write_text(json.dumps({"oracle": "ggml (llama-cpp-python 0.3.36, GGML_NATIVE, x86_64 AVX2+FMA) "
                               "from_float + vec_dot", "cases": cases}) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()

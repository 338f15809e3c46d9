#!/usr/bin/env python3
"""Regenerates Tests/GGUFTests/Fixtures from the `gguf` Python package (the reference) and, when
present, the real Qwen2.5-Coder-0.5B mixed-quant model fetched by shared/tools/get-reference-model.sh.

Run with the venv that script creates:
  ~/.cache/miller-refs/qwen2.5-coder-0.5b/venv/bin/python Tests/GGUFTests/make-fixtures.py

Writes, per case, `<case>.in` (raw input bytes) and `<case>.out` (expected output bytes), listed
in `index.tsv` as: case, operation (dequantize|quantize), type, element count, source.
Also writes `qwen-mixed-manifest.tsv` describing every tensor of the real model with a checksum
of python's dequantization (see `checksum`), so the Swift test can compare all 291 tensors.
"""
import os, sys
import numpy as np
from gguf import GGUFReader, GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "Fixtures")
model = os.path.expanduser("~/.cache/miller-refs/qwen2.5-coder-0.5b/qwen2.5-coder-0.5b-instruct-mixed.gguf")
rng = np.random.default_rng(20261123)
index = []

BLOCK = {T.F32: (1, 4), T.F16: (1, 2), T.BF16: (1, 2), T.Q4_0: (32, 18), T.Q4_1: (32, 20),
         T.Q5_0: (32, 22), T.Q5_1: (32, 24), T.Q8_0: (32, 34), T.Q4_K: (256, 144),
         T.Q5_K: (256, 176), T.Q6_K: (256, 210)}
# Byte offsets of f16 scale fields inside one block (random bytes there could be inf/NaN).
HALF_FIELDS = {T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
               T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}


def emit(case, op, qtype, count, source, raw_in, raw_out):
    with open(os.path.join(out_dir, case + ".in"), "wb") as f: f.write(raw_in)
    with open(os.path.join(out_dir, case + ".out"), "wb") as f: f.write(raw_out)
    index.append(f"{case}\t{op}\t{qtype.name}\t{count}\t{source}")


def deq(raw, qtype):
    return np.ascontiguousarray(dequantize(np.frombuffer(raw, dtype=np.uint8).copy(), qtype), dtype=np.float32).reshape(-1)


# Synthetic blocks of every supported type: random bytes, with finite random f16 scales.
for qtype, (bs, size) in BLOCK.items():
    nblocks = 16 if bs > 1 else 512
    raw = bytearray(rng.integers(0, 256, nblocks * size, dtype=np.uint8).tobytes())
    if qtype in HALF_FIELDS:
        for b in range(nblocks):
            for off in HALF_FIELDS[qtype]:
                raw[b * size + off: b * size + off + 2] = np.float16(rng.uniform(-2, 2) * 10.0 ** rng.integers(-6, 1)).tobytes()
    elif qtype == T.F16:
        specials = np.array([0.0, -0.0, np.inf, -np.inf, 65504, -65504, 6.1e-5, 5.96e-8, -5.96e-8, 1e-6], dtype=np.float16)
        raw[:specials.nbytes] = specials.tobytes()
    elif qtype == T.F32:
        raw = bytearray(rng.standard_normal(nblocks, dtype=np.float32).tobytes())
    y = deq(bytes(raw), qtype)
    emit(f"synthetic-{qtype.name}", "dequantize", qtype, nblocks * bs, "random bytes", bytes(raw), y.tobytes())

# Q8_0 quantization: random rows at many scales, an all-zero block, and exact ties (d = 1).
x = np.concatenate([
    (rng.standard_normal(32 * 24) * np.repeat(10.0 ** rng.integers(-8, 4, 24), 32)).astype(np.float32),
    np.zeros(32, dtype=np.float32),
    np.array([127, -0.5, 0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -126.5] + [3.5] * 23, dtype=np.float32),
    np.array([-127, 63.5, -63.5] + list(np.arange(29) + 0.5), dtype=np.float32),
])
q = quantize(x.reshape(1, -1), T.Q8_0)
emit("quantize-Q8_0", "quantize", T.Q8_0, x.size, "random and tie values", x.tobytes(), q.tobytes())


def checksum(y):
    """Sum over i of bits(y[i]) * (i mod 65521 + 1), mod 2^64: exact, order-sensitive, cheap in numpy."""
    total = 0
    y = y.reshape(-1)
    for start in range(0, y.size, 1 << 22):
        part = y[start:start + (1 << 22)].view(np.uint32).astype(np.uint64)
        w = (np.arange(start, start + part.size, dtype=np.uint64) % np.uint64(65521)) + np.uint64(1)
        total = (total + int(np.sum(part * w, dtype=np.uint64))) % (1 << 64)
    return total


if os.path.exists(model):
    r = GGUFReader(model)
    taken = set()
    manifest = []
    for t in r.tensors:
        raw = np.asarray(t.data).view(np.uint8).reshape(-1)
        bs, size = BLOCK[t.tensor_type]
        y = deq(raw.tobytes(), t.tensor_type)
        shape = ",".join(str(int(d)) for d in t.shape)
        manifest.append(f"{t.name}\t{t.tensor_type.name}\t{shape}\t{int(t.data_offset) - r.data_offset}\t{int(t.n_bytes)}\t{checksum(y)}")
        # A few real blocks of each type: the first blocks and some from the last row.
        if t.tensor_type not in taken and (t.tensor_type != T.F32 or len(t.shape) == 1):
            taken.add(t.tensor_type)
            n = 8 if bs > 1 else 256
            for part, start in (("head", 0), ("tail", raw.size // size - n)):
                chunk = raw[start * size:(start + n) * size].tobytes()
                emit(f"qwen-{t.tensor_type.name}-{part}", "dequantize", t.tensor_type, n * bs,
                     f"{t.name} blocks {start}..<{start + n}", chunk, deq(chunk, t.tensor_type).tobytes())
    with open(os.path.join(out_dir, "qwen-mixed-manifest.tsv"), "w") as f:
        f.write("# name\ttype\tshape(ne0 first)\tdata offset\tbytes\tchecksum of python gguf dequantize\n")
        keys = [k for k in r.fields if not k.startswith("GGUF.")]
        f.write("# keys\t" + "\t".join(keys) + "\n")
        f.write("\n".join(manifest) + "\n")
else:
    print(f"note: {model} not found; only synthetic fixtures written", file=sys.stderr)

with open(os.path.join(out_dir, "index.tsv"), "w") as f:
    f.write("# case\toperation\ttype\telements\tsource\n" + "\n".join(index) + "\n")

#!/usr/bin/env python3
"""Write the tokenizer-only GGUF fixture: the real model's `general.architecture`, `general.name` and every
`tokenizer.*` key, and no tensors, so the tokenizer goldens run in `make test` without the model.

usage: tokenizer-goldens-fixture.py MODEL.gguf OUT.gguf   (needs the `gguf` package)
"""
import sys
from gguf import GGUFReader, GGUFWriter
from gguf.constants import GGUFValueType as V

src, out = sys.argv[1], sys.argv[2]
r = GGUFReader(src)
w = GGUFWriter(out, r.fields["general.architecture"].contents())
for name, f in r.fields.items():
    if not (name.startswith("tokenizer.") or name == "general.name"):
        continue
    vt = f.types[0]
    if vt == V.ARRAY:
        w.add_array(name, f.contents())
    elif vt == V.STRING:
        w.add_string(name, f.contents())
    else:
        w.add_key_value(name, f.contents(), vt)
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()

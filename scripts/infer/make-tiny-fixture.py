#!/usr/bin/env python3
"""Write the tiny random Qwen2 GGUF that Tests/InferTests compares against llama.cpp.

2 layers, width 64, feed-forward 128, 4 query heads / 2 KV heads, vocab 300 (256 byte tokens,
41 merges, 3 special tokens), Q8_0 matrices, F32 norms and biases, untied output.
Needs the `gguf` and `numpy` packages (the venv of shared/tools/get-reference-model.sh has them).
Usage: make-tiny-fixture.py OUT.gguf
"""
import sys
import numpy as np
from gguf import GGUFWriter, GGMLQuantizationType as T
from gguf.quants import quantize

out = sys.argv[1]
rng = np.random.default_rng(20261123)
d, ff, heads, kv_heads, layers = 64, 128, 4, 2, 2
hd = d // heads
kv = kv_heads * hd

# GPT-2 byte-level alphabet: printable bytes map to themselves, the rest to U+0100 upwards.
printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
byte_char, extra = {}, 0
for b in range(256):
    if b in printable:
        byte_char[b] = chr(b)
    else:
        byte_char[b] = chr(256 + extra)
        extra += 1
tokens = [byte_char[b] for b in range(256)]
merges = []
pairs = ["Ġ t", "h e", "i n", "Ġ a", "e r", "o n", "Ġ th", "r e", "a n", "Ġ s", "o u", "e n", "Ġ w",
         "i s", "o r", "i t", "Ġ c", "e s", "a t", "Ġ o", "l e", "Ġ f", "a r", "a l", "e d", "Ġ b",
         "Ġ m", "i c", "Ġ p", "Ġ d", "Ġ h", "a s", "Ġ i", "Ġ in", "i ng", "n g", "o m", "Ġ l", "e l",
         "c t", "Ġ n"]
for p in pairs:
    a, b = p.split(" ")
    if a + b not in tokens and a in tokens and b in tokens:
        merges.append(p)
        tokens.append(a + b)
while len(tokens) < 297:
    tokens.append(f"<unused{len(tokens)}>")
specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
tokens += specials
types = [1] * 297 + [3, 3, 3]
vocab = len(tokens)

w = GGUFWriter(out, "qwen2")
w.add_name("miller-tiny-qwen2")
w.add_block_count(layers)
w.add_context_length(256)
w.add_embedding_length(d)
w.add_feed_forward_length(ff)
w.add_head_count(heads)
w.add_head_count_kv(kv_heads)
w.add_rope_freq_base(10000.0)
w.add_layer_norm_rms_eps(1e-6)
w.add_file_type(7)
w.add_tokenizer_model("gpt2")
w.add_tokenizer_pre("qwen2")
w.add_token_list(tokens)
w.add_token_types(types)
w.add_token_merges(merges)
w.add_eos_token_id(vocab - 1)
w.add_bos_token_id(vocab - 3)
w.add_add_bos_token(False)


def mat(name, rows, cols, scale=None):
    x = rng.uniform(-1, 1, size=(rows, cols)).astype(np.float32) * (scale or 1.7 / np.sqrt(cols))
    q = quantize(x, T.Q8_0)
    w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=T.Q8_0)


def vec(name, n, scale, offset=0.0):
    w.add_tensor(name, (offset + scale * rng.uniform(-1, 1, size=n)).astype(np.float32))


mat("token_embd.weight", vocab, d, scale=4 * 1.7 / np.sqrt(d))
for l in range(layers):
    p = f"blk.{l}."
    vec(p + "attn_norm.weight", d, 0.2, 1.0)
    mat(p + "attn_q.weight", d, d); vec(p + "attn_q.bias", d, 0.3)
    mat(p + "attn_k.weight", kv, d); vec(p + "attn_k.bias", kv, 0.3)
    mat(p + "attn_v.weight", kv, d); vec(p + "attn_v.bias", kv, 0.3)
    mat(p + "attn_output.weight", d, d)
    vec(p + "ffn_norm.weight", d, 0.2, 1.0)
    mat(p + "ffn_gate.weight", ff, d)
    mat(p + "ffn_up.weight", ff, d)
    mat(p + "ffn_down.weight", d, ff)
vec("output_norm.weight", d, 0.2, 1.0)
mat("output.weight", vocab, d)
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()

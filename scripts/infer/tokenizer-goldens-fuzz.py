#!/usr/bin/env python3
"""Differential fuzz of `miller tokenize` against `llama-tokenize`: random 150 kB byte files mixing
scripts, whitespace, contractions, digits, special-token text and invalid UTF-8; both special-token modes.

usage: tokenizer-goldens-fuzz.py LLAMA_BIN_DIR MODEL.gguf MILLER_BINARY [SEEDS=4] [BYTES=150000]
Exit status 1 if any output differs.
"""
import os, random, subprocess, sys, tempfile

ALPHA = [" ", "  ", "\t", "\n", "\r\n", "\r", "'", "'s", "'S", "'ll", "'LL", "'re", "'Ve", "'d", "'M", "'T", "a",
         "Z", "é", "ß", "Ω", "я", "你", "好", "の", "ア", "한", "ا", "ה", "क", "ि", "ก", "0", "7", "٣", "³", "½", "Ⅻ",
         "!", "?", ".", ",", ";", "(", ")", "{", "}", "<", ">", "|", "_", "-", "=", "\\", "\"", "`", "😀", "👍🏽",
         "\u200d", "\u00a0", "\u3000", "\u2003", "\u0085", "\u2028", "\u001c", "\u0301", "\ufe0f", "\ua7cb",
         "\U0001ccf0", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<tool_call>", "</tool_call>",
         "<|fim_prefix|>", "<|im_", "|>", "[PAD151700]", "hello", " world", "The", " the", "ing", "123"]
BAD = [b"\x80", b"\xff", b"\xc3", b"\xe4\xbd", b"\xed\xa0\x80", b"\xc0\x80", b"\xf0\x9f\x98"]


def sample(seed, size):
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        out += rng.choice(BAD) if rng.random() < 0.03 else rng.choice(ALPHA).encode()
    return bytes(out)


def main():
    bindir, model, miller = sys.argv[1:4]
    seeds = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    size = int(sys.argv[5]) if len(sys.argv) > 5 else 150000
    failed = False
    for seed in range(1, seeds + 1):
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(sample(seed, size))
            path = f.name
        for extra in ([], ["--no-parse-special"]):
            ref = subprocess.run([os.path.join(bindir, "llama-tokenize"), "-m", model, "--ids", "--log-disable",
                                  "--no-escape", "--file", path] + extra, capture_output=True, check=True).stdout
            got = subprocess.run([miller, "tokenize", "-m", model, "--no-escape", "--file", path] + extra,
                                 capture_output=True, check=True).stdout
            same = ref.strip() == got.strip()
            failed |= not same
            print(f"seed {seed} {' '.join(extra) or 'parse-special'}: {'same' if same else 'DIFFERENT'}")
        os.unlink(path)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

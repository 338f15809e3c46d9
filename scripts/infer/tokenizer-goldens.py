#!/usr/bin/env python3
"""Regenerate the tokenizer goldens: a corpus of >= 2000 byte strings and the token ids llama.cpp's
`llama-tokenize` gives for each, with and without special-token parsing.

usage: tokenizer-goldens.py LLAMA_BIN_DIR MODEL.gguf OUT.bin

The corpus is built deterministically (fixed seed) from hand-written cases, chunks of Python's standard
library sources, generated mixes, random Unicode and invalid UTF-8. To keep it fast, cases are joined
with the user-defined token text `</tool_call>` (cut out before pre-tokenization in both modes, so every
case is tokenized exactly as on its own) and tokenized in one call per mode; cases that contain the
separator text themselves are tokenized one by one. A sample is re-checked one by one.

Output format (little-endian): b"MTKG", u32 version=1, u32 case count; per case: u8 flags
(bit 0: parse special), u32 byte length, bytes, u32 token count, i32 ids.
"""
import glob, os, random, struct, subprocess, sys, tempfile

SEP = b"</tool_call>"


def hand_cases():
    c = [
        "Hello world", "Hello, world!", " Hello", "  Hello", "Hello ", "Hello  ", "hello\nworld", "a\r\nb",
        "I'm you're we've they'll she'd it's", "I'M YOU'RE WE'VE THEY'LL SHE'D IT'S", "'S 'LL 'Re 'vE 'd 'M 'T",
        "don't DON'T Don'T", "''s '''ll ' s", "rock'n'roll", "l'été", "a's", "'", "''", "'x", "'re", "'Ll",
        "1234567890", "3.14159265358979", "1,000,000", "0x7fffffff", "1e-10", "v1.2.3", "２０２６年", "٣٤٥", "Ⅻ ½ ²",
        "\t", "\t\t", " \t ", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", "\r", " \n ", "a  \n  b", "trailing   ",
        "   leading", "x\t\ty", "x \t\n y", "\u00a0nbsp\u00a0", "ideographic\u3000space", "\u2028line\u2029para",
        "next\u0085line", "em\u2003space", "\u000b\u000c", "\x1c\x1d\x1e\x1f", "zero\u200bwidth", "a\u0000b",
        "<|im_start|>user\nHi<|im_end|>", "<|endoftext|>", "<|im_start|><|im_end|>", "<|im_start", "im_end|>",
        "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>", "<tool_call>{\"a\":1}</tool_call>",
        "< |im_start| >", "<<|im_start|>>", "<|im_start|><|im_start|>", "text<|endoftext|>text", "<|vision_pad|>x",
        "[PAD151665]", "<|repo_name|>miller<|file_sep|>main.swift",
        "你好，世界！", "我爱北京天安门。", "中文和English混合", "日本語のテキストです。", "カタカナとひらがな",
        "東京都渋谷区", "한국어 텍스트", "Привет, мир!", "Ελληνικά", "مرحبا بالعالم", "שלום עולם", "हिन्दी",
        "ภาษาไทย", "Tiếng Việt có dấu", "naïve café résumé", "e\u0301 a\u0300 o\u0308", "Å Å", "ﬁ ﬂ", "İstanbul ıi",
        "😀", "😀😃😄", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇯🇵🇺🇸", "❤️", "1️⃣", "👩🏻‍💻 codes", "emoji😀inside",
        "∑∫∂√∞≠≤≥", "→←↑↓", "©®™", "§¶†‡", "€£¥₹", "“quotes” ‘single’", "« guillemets »", "—–-", "…",
        "    def __init__(self):\n        pass\n", "if (x) {\n\treturn y;\n}\n", "int main(void) { return 0; }",
        "SELECT * FROM t WHERE a = 'b';", "<div class=\"x\">hi</div>", "{\"key\": [1, 2.5, true, null]}",
        "R1 in out 1k\nC1 out 0 1u\n.tran 1u 1m\n.end", "M1 d g s b nmos W=10u L=0.18u", "x += 1 // comment",
        "fn main() { println!(\"hi\"); }", "let x: [Int] = [1, 2, 3]", "#include <stdio.h>", "$ ls -la | grep x",
        "ALLCAPS WORDS", "camelCaseWord", "snake_case_word", "kebab-case-word", "PascalCase", "__dunder__",
        "a" * 100, " " * 50, "\n" * 20, "ab" * 60, "!!!???", "...", "---", "===", "***", "###", "@@@", "~~~",
        "", " ", "a", "A", "0", ".", ",", "\\", "\\n", "\"", "`", "``` code ```",
    ]
    return [s.encode("utf-8") for s in c]


def stdlib_chunks(rng, n):
    files = sorted(glob.glob("/usr/lib/python3*/*.py"))
    texts = []
    for f in files:
        try:
            texts.append(open(f, "rb").read())
        except OSError:
            pass
    if not texts:
        return []
    out = []
    for _ in range(n):
        t = rng.choice(texts)
        if len(t) < 10:
            continue
        size = rng.choice([20, 40, 80, 160, 320, 640])
        start = rng.randrange(0, max(1, len(t) - size))
        chunk = t[start:start + size]
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError:
            continue
        out.append(chunk)
    return out


WORDS = ("the quick brown fox jumps over lazy dog amplifier gain bandwidth phase margin transistor "
         "resistor capacitor voltage current sizing netlist simulation Miller compensation slew rate "
         "offset noise PSRR CMRR differential pair mirror load bias cascode").split()
SEPS = [" ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n", "\t\n", ", ", ". ", "; ", "' ", "'s ", "'LL "]
PIECES = ["你好", "世界", "こんにちは", "😀", "👍🏽", "123", "4567", "３", "٣", "é", "ß", "Ω", "√", "<|im_end|>",
          "<|im_start|>", "<|endoftext|>", "\u00a0", "\u3000", "\u2003", "'t", "'RE", "#", "$$", "{}", "()", "[]",
          "->", "=>", "::", "...", "\\t", "'", "\"", "`", "<", ">", "|"]


def mixes(rng, n):
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randrange(1, 14)):
            r = rng.random()
            if r < 0.5:
                w = rng.choice(WORDS)
                w = rng.choice([w, w.upper(), w.capitalize()])
                parts.append(w)
            elif r < 0.8:
                parts.append(rng.choice(PIECES))
            else:
                parts.append(str(rng.randrange(0, 10 ** rng.randrange(1, 12))))
            parts.append(rng.choice(SEPS) if rng.random() < 0.7 else "")
        out.append("".join(parts).encode("utf-8"))
    return out


RANGES = [(0x20, 0x7E), (0x09, 0x0D), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
          (0x590, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x1680, 0x1680), (0x2000, 0x206F), (0x20A0, 0x20CF),
          (0x2100, 0x23FF), (0x2460, 0x24FF), (0x3000, 0x30FF), (0x4E00, 0x4FFF), (0xAC00, 0xAD00),
          (0xFF00, 0xFFEF), (0x1F300, 0x1F64F), (0x1F900, 0x1F9FF), (0x10000, 0x1007F), (0xE000, 0xE0FF),
          (0x1D400, 0x1D4FF), (0x85, 0x85), (0xFE00, 0xFE0F), (0x200D, 0x200D)]


def random_unicode(rng, n):
    out = []
    for _ in range(n):
        s = []
        for _ in range(rng.randrange(1, 30)):
            lo, hi = rng.choice(RANGES)
            s.append(chr(rng.randint(lo, hi)))
        out.append("".join(s).encode("utf-8"))
    return out


def invalid_utf8(rng, n):
    bad = [b"\x80", b"\xbf", b"\xff", b"\xfe", b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"\xed\xa0\x80",
           b"\xed\xbf\xbf", b"\xf0\x80\x80\x80", b"\xc3", b"\xe4\xbd", b"\xf0\x9f\x98",
           b"\xf8\x88\x80\x80\x80", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc", b"\x00"]
    good = ["abc", " ", "你好", "😀", "'s", "123", "\n", "x y", "é"]
    out = []
    for _ in range(n):
        b = b""
        for _ in range(rng.randrange(1, 8)):
            b += rng.choice(bad) if rng.random() < 0.5 else rng.choice(good).encode("utf-8")
        out.append(b)
    return out


def corpus():
    rng = random.Random(20261123)
    cases = hand_cases()
    cases += stdlib_chunks(rng, 700)
    cases += mixes(rng, 600)
    cases += random_unicode(rng, 400)
    cases += invalid_utf8(rng, 250)
    seen, out = set(), []
    for c in cases:
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


def run_tokenize(binary, model, data, parse_special):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(data)
        path = f.name
    try:
        cmd = [binary, "-m", model, "--ids", "--log-disable", "--no-escape", "--file", path]
        if not parse_special:
            cmd.append("--no-parse-special")   # parsing special tokens is llama-tokenize's default
        out = subprocess.run(cmd, check=True, capture_output=True).stdout.decode()
    finally:
        os.unlink(path)
    line = out.strip().splitlines()[-1]
    assert line.startswith("[") and line.endswith("]"), line
    body = line[1:-1].strip()
    return [int(x) for x in body.split(",")] if body else []


def main():
    bindir, model, out_path = sys.argv[1:4]
    binary = os.path.join(bindir, "llama-tokenize")
    cases = corpus()
    sep_ids = run_tokenize(binary, model, SEP, True)
    assert len(sep_ids) == 1, sep_ids
    sep = sep_ids[0]
    results = {}
    for parse_special in (True, False):
        batch = [c for c in cases if SEP not in c]
        ids = run_tokenize(binary, model, SEP.join(batch), parse_special)
        pieces, cur = [], []
        for t in ids:
            if t == sep:
                pieces.append(cur); cur = []
            else:
                cur.append(t)
        pieces.append(cur)
        assert len(pieces) == len(batch), (len(pieces), len(batch))
        for c, p in zip(batch, pieces):
            results[(c, parse_special)] = p
        for c in cases:
            if SEP in c:
                results[(c, parse_special)] = run_tokenize(binary, model, c, parse_special)
        # Re-check a sample one by one.
        rng = random.Random(7)
        for c in rng.sample(cases, 40):
            assert run_tokenize(binary, model, c, parse_special) == results[(c, parse_special)], c
    with open(out_path, "wb") as f:
        f.write(b"MTKG" + struct.pack("<II", 1, 2 * len(cases)))
        for parse_special in (True, False):
            for c in cases:
                ids = results[(c, parse_special)]
                f.write(struct.pack("<BI", 1 if parse_special else 0, len(c)) + c)
                f.write(struct.pack("<I", len(ids)) + struct.pack("<%di" % len(ids), *ids))
    print(f"{len(cases)} cases x 2 modes -> {out_path}")


if __name__ == "__main__":
    main()

"""Benchmark: cs.screen.ScreenText vs pyte on the same Claude-Code-like bytes.

    .venv/bin/python bench/bench_render.py [--mb 3] [--write-doc]

Generates a few MB of output like Claude Code's (lines streamed in several
redraws, words separated by cursor-move gaps, a spinner, an input box redrawn
below, colours, repaints of only changed cells) mixed with ordinary coloured
shell output; feeds it in realistic chunks to both renderers, checks they end
with the same screen text, and reports MB/s and the ratio.
"""

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cs.screen import ScreenText  # noqa: E402

WORDS = ("the build failed with error in module foo because linker could not find symbol "
         "please rerun configure step debug flag enabled and check output again everything "
         "else compiled cleanly tests passed retry cache network timeout parser config "
         "database index search replay session terminal cursor screen résumé naïve café "
         "日本語 テスト 🚀").split()
SPINNER = "·✢✳✶✻✽"
GRAY, WHITE, ORANGE, RESET = "\x1b[38;5;246m", "\x1b[38;5;231m", "\x1b[38;5;174m", "\x1b[39m"


def _gapped(words):
    """Ink style: words joined by a cursor-forward gap instead of spaces."""
    return "\x1b[1C".join(words)


def _wrap(words, width):
    lines, cur, n = [], [], 0
    for w in words:
        wl = len(w) + (1 if any(ord(c) > 0x2e80 for c in w) else 0) * len(w)
        if cur and n + 1 + wl > width:
            lines.append(cur)
            cur, n = [], 0
        n += (1 if cur else 0) + wl
        cur.append(w)
    if cur:
        lines.append(cur)
    return lines


class ClaudeLike:
    """Writes frames the way Ink's log-update does: erase the previous dynamic
    block line by line, move up, then print the new block."""

    def __init__(self, rng, cols):
        self.rng, self.cols, self.prev_height = rng, cols, 0
        self.chunks = []

    def frame(self, lines, static=()):
        out = ["\x1b[2K\x1b[1A" * max(0, self.prev_height - 1), "\x1b[2K\x1b[G"]
        for s in static:
            out.append(s + "\r\n")
        out.append("\r\n".join(lines))
        self.prev_height = len(lines)
        self.chunks.append("".join(out).encode())

    def box(self, typed=""):
        return ["\x1b[38;5;244m" + "─" * self.cols + RESET,
                GRAY + "❯\xa0" + RESET + typed + "\x1b[7m \x1b[27m",
                "\x1b[38;5;244m" + "─" * self.cols + RESET,
                GRAY + "  ⏵⏵ auto mode on (shift+tab to cycle)" + RESET]

    def turn(self):
        rng = self.rng
        prompt = " ".join(rng.choice(WORDS[:40]) for _ in range(rng.randint(3, 8)))
        for i in range(1, len(prompt) + 1, 2):  # typing, box redrawn each keystroke
            self.frame(self.box(prompt[:i]))
        self.frame(self.box(), static=[GRAY + "❯ " + RESET + prompt, ""])
        for t in range(rng.randint(5, 15)):  # spinner redrawn in place
            glyph = SPINNER[t % len(SPINNER)]
            self.frame([ORANGE + glyph + RESET + " Cooking… " + GRAY + "(%ds · esc to interrupt)"
                        % (t // 5) + RESET, ""] + self.box())
        reply = [rng.choice(WORDS) for _ in range(rng.randint(30, 120))]
        wrapped = _wrap(reply, self.cols - 4)
        shown = 0
        while shown < len(reply):  # streaming: the reply grows a few words per frame
            shown = min(len(reply), shown + rng.randint(2, 6))
            part = _wrap(reply[:shown], self.cols - 4)
            lines = [WHITE + "● " + RESET + _gapped(part[0])] + ["  " + _gapped(ws) for ws in part[1:]]
            self.frame(lines + ["", ORANGE + "✻" + RESET + " Cooking…"] + self.box())
        static = [WHITE + "● " + RESET + _gapped(wrapped[0])] + ["  " + _gapped(ws) for ws in wrapped[1:]]
        self.frame(self.box(), static=static + [""])
        # Differential repaint: only changed cells rewritten with cursor moves.
        n = len(self.box())
        for _ in range(3):
            word = rng.choice(WORDS[:40])
            self.chunks.append(("\x1b[%dA\x1b[3G%s\x1b[K\x1b[%dB\x1b[G" % (n - 1, word, n - 1)).encode())
            self.chunks.append(("\x1b[%dA\x1b[3G\x1b[K\x1b[%dB\x1b[G" % (n - 1, n - 1)).encode())


def shell_output(rng, lines):
    """Ordinary coloured shell output, like `ls -la --color` and compiler logs."""
    out = []
    for i in range(lines):
        name = "_".join(rng.choice(WORDS[:40]) for _ in range(rng.randint(1, 3)))
        out.append("-rw-r--r--  1 user staff %8d Nov %2d 12:%02d \x1b[01;34m%s\x1b[0m\r\n"
                   % (rng.randint(0, 10**7), rng.randint(1, 30), rng.randint(0, 59), name))
    data = "".join(out).encode()
    return [data[i:i + 4096] for i in range(0, len(data), 4096)]


def make_corpus(mb: float, cols: int = 100, seed: int = 7):
    rng = random.Random(seed)
    gen = ClaudeLike(rng, cols)
    chunks, size = [], 0
    while size < mb * 1e6:
        before = len(gen.chunks)
        gen.turn()
        new = gen.chunks[before:]
        new += shell_output(rng, rng.randint(20, 200))
        gen.prev_height = 0
        chunks += new
        size += sum(map(len, new))
    return chunks


def run_ours(chunks, cols, rows):
    s = ScreenText(cols, rows)
    n = 0
    t = time.perf_counter()
    for i, c in enumerate(chunks):
        s.feed(c, mark=i)
        if i % 20 == 0:  # the indexer pops after a batch of chunks
            n += len(s.pop_finished())
    n += len(s.pop_finished())
    elapsed = time.perf_counter() - t
    return elapsed, s.display(), n


def run_pyte(chunks, cols, rows):
    import pyte
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    t = time.perf_counter()
    for c in chunks:
        stream.feed(c)
    elapsed = time.perf_counter() - t
    return elapsed, [line.rstrip() for line in screen.display]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=3.0, help="corpus size in MB (default 3)")
    ap.add_argument("--pyte-mb", type=float, default=1.0,
                    help="pyte is slow: time it on the first N MB of the same corpus (default 1)")
    ap.add_argument("--write-doc", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args(argv)
    cols, rows = 100, 30
    chunks = make_corpus(args.mb, cols)
    total = sum(map(len, chunks))

    ours_t, ours_display, n_lines = run_ours(chunks, cols, rows)
    # Same bytes for both on the pyte-sized prefix (also the equality check).
    prefix, size = [], 0
    for c in chunks:
        if size >= args.pyte_mb * 1e6:
            break
        prefix.append(c)
        size += len(c)
    pyte_t, pyte_display = run_pyte(prefix, cols, rows)
    ours_prefix_t, ours_prefix_display, _ = run_ours(prefix, cols, rows)
    same = ours_prefix_display == pyte_display

    ours_mbs, pyte_mbs = total / ours_t / 1e6, size / pyte_t / 1e6
    ours_prefix_mbs = size / ours_prefix_t / 1e6
    ratio = ours_prefix_mbs / pyte_mbs
    report = {
        "corpus_mb": round(total / 1e6, 2), "chunks": len(chunks), "lines_finished": n_lines,
        "ours_mb_s": round(ours_mbs, 1), "pyte_prefix_mb": round(size / 1e6, 2),
        "pyte_mb_s": round(pyte_mbs, 2), "ours_on_prefix_mb_s": round(ours_prefix_mbs, 1),
        "ratio": round(ratio, 1), "same_final_text": same,
    }
    for k, v in report.items():
        print(f"{k:>22}: {v}")
    if not same:
        for a, b in zip(ours_prefix_display, pyte_display):
            if a != b:
                print("ours:", repr(a), "\npyte:", repr(b))
    if args.write_doc:
        write_doc(report, args)
    return 0 if same else 1


def write_doc(r, args):
    import platform
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    section = f"""## Renderer (cs.screen.ScreenText vs pyte)

Reproduce: `.venv/bin/python bench/bench_render.py --mb {args.mb:g} --pyte-mb {args.pyte_mb:g} --write-doc`

Corpus: {r['corpus_mb']} MB of generated Claude-Code-like output in {r['chunks']} chunks (Ink
frames: a reply streamed in several redraws with `ESC[1C` gaps between words, a spinner
redrawn in place, an input box redrawn below each keystroke, colours, repaints of only
changed cells) mixed with coloured `ls -la`-style shell output; 100x30 screen; both fed
chunk by chunk; ours pops finished lines every 20 chunks as the indexer does.
Machine: {platform.python_implementation()} {platform.python_version()}, {platform.machine()}.

| renderer | bytes | MB/s |
|---|---|---|
| ScreenText (whole corpus) | {r['corpus_mb']} MB | {r['ours_mb_s']} |
| ScreenText (first {r['pyte_prefix_mb']} MB) | {r['pyte_prefix_mb']} MB | {r['ours_on_prefix_mb_s']} |
| pyte 0.8 Screen + ByteStream (first {r['pyte_prefix_mb']} MB) | {r['pyte_prefix_mb']} MB | {r['pyte_mb_s']} |

Ratio on the same bytes: **{r['ratio']}x** pyte. Same final screen text as pyte:
**{'yes' if r['same_final_text'] else 'NO'}**. Finished lines produced: {r['lines_finished']}.
"""
    start = text.find("## Renderer")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.parent.mkdir(exist_ok=True)
    doc.write_text(text)


if __name__ == "__main__":
    sys.exit(main())

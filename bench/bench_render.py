"""Benchmark: cs.index.screen's renderers (the native core and the pure-Python
reference ScreenText) vs pyte on the same Claude-Code-like bytes.

    .venv/bin/python bench/bench_render.py [--mb 3] [--write-doc]

Generates a few MB of output like Claude Code's (lines streamed in several
redraws, words separated by cursor-move gaps, a spinner, an input box redrawn
below, colours, repaints of only changed cells) mixed with ordinary coloured
shell output; feeds it in realistic chunks to each renderer, checks that the
native core and the reference return the same lines and that ours and pyte end
with the same screen text, and reports MB/s and the ratio to pyte.
"""

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cs.index.screen import NativeScreenText, ScreenText  # noqa: E402

WORDS = (
    "the build failed with error in module foo because linker could not find symbol "
    "please rerun configure step debug flag enabled and check output again everything "
    "else compiled cleanly tests passed retry cache network timeout parser config "
    "database index search replay session terminal cursor screen résumé naïve café "
    "日本語 テスト 🚀"
).split()
SPINNER = "·✢✳✶✻✽"
GRAY, WHITE, ORANGE, RESET = "\x1b[38;5;246m", "\x1b[38;5;231m", "\x1b[38;5;174m", "\x1b[39m"


def _gapped(words):
    """Ink style: words joined by a cursor-forward gap instead of spaces."""
    return "\x1b[1C".join(words)


def _wrap(words, width):
    lines, cur, n = [], [], 0
    for w in words:
        wl = len(w) + (1 if any(ord(c) > 0x2E80 for c in w) else 0) * len(w)
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
        return [
            "\x1b[38;5;244m" + "─" * self.cols + RESET,
            GRAY + "❯\xa0" + RESET + typed + "\x1b[7m \x1b[27m",
            "\x1b[38;5;244m" + "─" * self.cols + RESET,
            GRAY + "  ⏵⏵ auto mode on (shift+tab to cycle)" + RESET,
        ]

    def turn(self):
        rng = self.rng
        prompt = " ".join(rng.choice(WORDS[:40]) for _ in range(rng.randint(3, 8)))
        for i in range(1, len(prompt) + 1, 2):  # typing, box redrawn each keystroke
            self.frame(self.box(prompt[:i]))
        self.frame(self.box(), static=[GRAY + "❯ " + RESET + prompt, ""])
        for t in range(rng.randint(5, 15)):  # spinner redrawn in place
            glyph = SPINNER[t % len(SPINNER)]
            self.frame(
                [ORANGE + glyph + RESET + " Cooking… " + GRAY + "(%ds · esc to interrupt)" % (t // 5) + RESET, ""]
                + self.box()
            )
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


class FullScreenLike:
    """Claude Code 2.x style: the alternate screen, rows repainted in place
    with cursor moves, each word placed with a column move (ESC[nG), only
    the changed cells repainted on each keystroke."""

    def __init__(self, rng, cols, rows):
        self.rng, self.cols, self.rows = rng, cols, rows
        self.chunks = []
        self.transcript = []  # rows of words above the spinner and the box

    def paint(self, row, words, prefix=""):
        out, col = [f"\x1b[H\r\x1b[{row}B{prefix}"], len(prefix) + 1
        for w in words:
            out.append(f"\x1b[{col}G{w}")
            col += len(w) + 1 + sum(1 for c in w if ord(c) > 0x2E80)
        out.append("\x1b[K")
        return "".join(out)

    def park(self, x):
        return f"\x1b[{self.rows};1H\x1b[{self.rows - 2};{x}H"

    def frame(self, spinner, typed=""):
        top = self.rows - 6
        rows = self.transcript[-top:]
        out = [self.paint(i, ws, WHITE + "● " + RESET if i == 0 else "  ") for i, ws in enumerate(rows)]
        out.append(f"\x1b[H\r\x1b[{top + 1}B" + ORANGE + spinner + RESET + "\x1b[K")
        out.append(f"\x1b[H\r\x1b[{top + 3}B" + GRAY + "❯\xa0" + RESET + typed + "\x1b[K")
        out.append(self.park(3 + len(typed)))
        self.chunks.append("".join(out).encode())

    def session(self, turns):
        rng = self.rng
        self.chunks.append(b"\x1b[?1049h\x1b[2J\x1b[H\x1b[?25l")
        self.frame("")
        for _ in range(turns):
            prompt = " ".join(rng.choice(WORDS[:40]) for _ in range(rng.randint(3, 8)))
            for i, ch in enumerate(prompt):  # keystroke echo: only the new cells
                self.chunks.append(
                    (f"\x1b[H\r\x1b[{2 + i}C\x1b[{self.rows - 3}B{ch}\x1b[7m \x1b[27m" + self.park(4 + i)).encode()
                )
            self.transcript.append(["❯", *prompt.split()])
            for t in range(rng.randint(5, 15)):
                self.frame(SPINNER[t % 6] + f" Cooking… ({t // 5}s · esc to interrupt)")
            reply = [rng.choice(WORDS) for _ in range(rng.randint(30, 120))]
            start = len(self.transcript)
            shown = 0
            while shown < len(reply):
                shown = min(len(reply), shown + rng.randint(2, 6))
                del self.transcript[start:]
                self.transcript += _wrap(reply[:shown], self.cols - 4)
                self.frame("✻ Cooking…")
            self.frame("")
        self.chunks.append(b"\x1b[?25h\x1b[?1049l")


def shell_output(rng, lines):
    """Ordinary coloured shell output, like `ls -la --color` and compiler logs."""
    out = []
    for _i in range(lines):
        name = "_".join(rng.choice(WORDS[:40]) for _ in range(rng.randint(1, 3)))
        out.append(
            "-rw-r--r--  1 user staff %8d Nov %2d 12:%02d \x1b[01;34m%s\x1b[0m\r\n"
            % (rng.randint(0, 10**7), rng.randint(1, 30), rng.randint(0, 59), name)
        )
    data = "".join(out).encode()
    return [data[i : i + 4096] for i in range(0, len(data), 4096)]


def make_corpus(mb: float, kind: str = "mixed", cols: int = 100, rows: int = 30, seed: int = 7):
    """kind: ink (Ink log-update frames in the main screen), fullscreen
    (Claude Code 2.x style on the alternate screen), shell (plain coloured
    output), or mixed (all three, in turn)."""
    rng = random.Random(seed)
    chunks, size = [], 0
    while size < mb * 1e6:
        new = []
        if kind in ("ink", "mixed"):
            gen = ClaudeLike(rng, cols)
            gen.turn()
            new += gen.chunks
        if kind in ("fullscreen", "mixed"):
            full = FullScreenLike(rng, cols, rows)
            full.session(rng.randint(1, 3))
            # pyte has no alternate screen: clear so both end on the same text
            new += full.chunks + [b"\x1b[2J\x1b[H"]
        if kind in ("shell", "mixed"):
            new += shell_output(rng, rng.randint(20, 200) * (5 if kind == "shell" else 1))
        chunks += new
        size += sum(map(len, new))
    return chunks


def run_ours(chunks, cols, rows, cls=None):
    s = (cls or NativeScreenText or ScreenText)(cols, rows)
    lines = []
    t = time.process_time()
    for i, c in enumerate(chunks):
        s.feed(c, mark=i)
        lines += s.pop_finished()  # as cs/index/indexer.py does, after every output chunk
    lines += s.pop_finished()
    elapsed = time.process_time() - t
    return elapsed, s.display(), lines


def run_pyte(chunks, cols, rows):
    import pyte

    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    t = time.process_time()
    for c in chunks:
        stream.feed(c)
    elapsed = time.process_time() - t
    return elapsed, [line.rstrip() for line in screen.display]


def measure(kind, mb, pyte_mb, cols=100, rows=30, repeat=3):
    chunks = claude_corpus(mb, cols, rows) if kind == "claude" else make_corpus(mb, kind, cols, rows)
    if chunks is None:
        print(f"{kind}: skipped (the claude CLI is not installed)")
        return None
    total = sum(map(len, chunks))
    ours_t, ours_display, lines = min((run_ours(chunks, cols, rows) for _ in range(repeat)), key=lambda r: r[0])
    # The reference, once (it is the slow one): same lines, same order?
    py_t, py_display, py_lines = run_ours(chunks, cols, rows, ScreenText)
    prefix, size = [], 0
    for c in chunks:  # pyte is slow: time both on the same leading part
        if size >= pyte_mb * 1e6:
            break
        prefix.append(c)
        size += len(c)
    pyte_t, pyte_display = run_pyte(prefix, cols, rows)
    runs = [run_ours(prefix, cols, rows) for _ in range(repeat)]
    ours_prefix_t = min(r[0] for r in runs)
    py_prefix_t = run_ours(prefix, cols, rows, ScreenText)[0]
    return {
        "kind": kind,
        "mb": round(total / 1e6, 2),
        "chunks": len(chunks),
        "lines": len(lines),
        "native": NativeScreenText is not None,
        "ours_mb_s": round(total / ours_t / 1e6, 1),
        "python_mb_s": round(total / py_t / 1e6, 1),
        "prefix_mb": round(size / 1e6, 2),
        "ours_prefix_mb_s": round(size / ours_prefix_t / 1e6, 1),
        "pyte_mb_s": round(size / pyte_t / 1e6, 2),
        "ratio": round(pyte_t / ours_prefix_t, 1),
        "python_ratio": round(pyte_t / py_prefix_t, 1),
        "same_lines": lines == py_lines and ours_display == py_display,
        "same_final_text": runs[0][1] == pyte_display,
    }


def record_claude(turns=4, cols=100, rows=30):
    """A real Claude Code session in a PTY against the loopback fake API
    (tests/helpers/fake_anthropic.py): a few prompts typed, long replies. Returns the
    output chunks as read, or None if the CLI is not installed."""
    import os
    import select
    import shutil
    import tempfile

    import ptyprocess

    sys.path.insert(0, str(ROOT))  # the repository, for tests.helpers
    from tests.helpers.fake_anthropic import FakeAnthropic, claude_home, find_claude

    claude = find_claude()
    if not claude:
        return None
    reply = (
        " ".join(
            ["The build failed with error E1234 in module foo because the linker could not find the symbol bar_init."]
            * 6
        )
        + "\n\n"
        + "\n".join(f"- step {i}: rerun the configure step with the debug flag enabled" for i in range(12))
    )
    tmp = tempfile.mkdtemp()
    cwd = os.path.join(tmp, "project")
    os.mkdir(cwd)
    key = "sk-ant-bench-" + "k" * 40
    chunks = []
    with FakeAnthropic(reply) as api:
        env = dict(os.environ, **claude_home(tmp, cwd, key, base_url=api.url))
        proc = ptyprocess.PtyProcess.spawn([claude], cwd=cwd, env=env, dimensions=(rows, cols))

        def pump(seconds):
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                if select.select([proc.fd], [], [], 0.05)[0]:
                    try:
                        chunks.append(os.read(proc.fd, 65536))
                    except OSError:
                        return

        pump(6)
        for turn in range(turns):
            for ch in f"question number {turn}: why did the build fail this time?":
                proc.write(ch.encode())
                pump(0.03)
            proc.write(b"\r")
            pump(8)
        proc.write(b"\x03")
        pump(0.5)
        proc.write(b"\x03")
        pump(3)
        proc.terminate(force=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return chunks


def claude_corpus(mb, cols=100, rows=30):
    """The recorded session with its alternate-screen part repeated to reach
    `mb` MB (the entry and exit once), then a clear so pyte (which has no
    alternate screen) ends on the same text."""
    chunks = record_claude(cols=cols, rows=rows)
    if not chunks:
        return None
    start = next(i for i, c in enumerate(chunks) if b"\x1b[?1049h" in c) + 1
    end = max(i for i, c in enumerate(chunks) if b"\x1b[?1049l" in c)
    middle = chunks[start:end]
    repeat = max(1, int(mb * 1e6 / max(1, sum(map(len, middle)))))
    return chunks[:start] + middle * repeat + chunks[end:] + [b"\x1b[2J\x1b[H"]


KINDS = ("fullscreen", "ink", "shell", "mixed", "claude")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=3.0, help="corpus size per kind in MB (default 3)")
    ap.add_argument(
        "--pyte-mb",
        type=float,
        default=0.5,
        help="pyte is slow: compare on the first N MB of each corpus (default 0.5)",
    )
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated: " + ", ".join(KINDS))
    ap.add_argument("--write-doc", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args(argv)
    results = []
    for kind in args.kinds.split(","):
        r = measure(kind, args.mb, args.pyte_mb)
        if r is None:
            continue
        results.append(r)
        print("  ".join(f"{k}={v}" for k, v in r.items()), flush=True)
    if args.write_doc:
        write_doc(results, args)
    return 0 if all(r["same_final_text"] and r["same_lines"] for r in results) else 1


def write_doc(results, args):
    import platform

    import pyte

    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    rows = "\n".join(
        f"| {r['kind']} | {r['mb']} | {r['ours_mb_s']} | {r['python_mb_s']} | {r['pyte_mb_s']} "
        f"| **{r['ratio']}x** | {r['python_ratio']}x | {'yes' if r['same_lines'] else 'NO'} "
        f"| {'yes' if r['same_final_text'] else 'NO'} | {r['lines']} |"
        for r in results
    )
    section = f"""## Renderer (cs.index.screen: native core and Python reference vs pyte)

Reproduce: `.venv/bin/python bench/bench_render.py --mb {args.mb:g} --pyte-mb {args.pyte_mb:g} --write-doc`

Generated output, fed chunk by chunk (as recorded) to each renderer on a 100x30 screen; ours
pops finished lines after every chunk. CPU time (`time.process_time`), best of 3 for the native
core (cs/index/_screen.c, what `cs` uses when it is built), once for the pure-Python reference
(`CS_PURE_PYTHON=1`); pyte {getattr(pyte, "__version__", "0.8")} `Screen` + `ByteStream`, timed on
the first {args.pyte_mb:g} MB of each corpus, and both of ours again on exactly those bytes for the
ratios. "Same lines": the native core returned exactly the reference's lines, marks and order, and
the same final screen. "Same text": our final screen is pyte's, row by row.

- **fullscreen**: Claude Code 2.x style (what the installed CLI 2.1.330 emits): alternate screen,
  rows repainted with `ESC[H`/`ESC[nB`, each word placed with `ESC[nG`, keystroke echo repainting
  only the changed cells, spinner, streamed reply growing a few words per frame.
- **ink**: Ink log-update style: each frame erases the previous block (`ESC[2K ESC[1A` ...) and
  reprints it; words separated by `ESC[1C`; input box redrawn below each keystroke; colours.
- **shell**: coloured `ls -la`-style lines in 4 KB reads.
- **mixed**: the three in turn.
- **claude**: a real Claude Code 2.1.330 session recorded at run time in a 100x30 PTY against the
  loopback fake API (`tests/helpers/fake_anthropic.py`): four prompts typed, long replies streamed, in
  the reads the PTY gave (about 100 bytes each); its alternate-screen part is repeated to reach the
  size (about 40 s to record).

| corpus | MB | native MB/s | Python MB/s | pyte MB/s | native vs pyte | Python vs pyte | same lines | same text | lines |
|---|---|---|---|---|---|---|---|---|---|
{rows}

Machine: {platform.python_implementation()} {platform.python_version()} on {platform.machine()},
2 cores shared with two other engineers' builds and test suites while this ran (figures vary by
10-20 % between runs; the ratios, measured in the same run, less).
"""
    start = text.find("## Renderer")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.parent.mkdir(exist_ok=True)
    doc.write_text(text)


if __name__ == "__main__":
    sys.exit(main())

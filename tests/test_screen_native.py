"""The native renderer core (cs/index/_screen.c) against the pure-Python
reference (cs.index.screen.ScreenText): identical lines, marks and order, on
the benchmark corpora (and both against pyte's final screen) and on generated
escape-sequence soup (hypothesis), through every call the indexer makes
(pop_finished, take_retired, visible, resize, pickling mid-stream). The
recordings of real programs (tests/test_screen_recordings.py) and the
synthetic streams (tests/test_screen.py) run on both as well."""

import os
import pickle
import subprocess
import sys

import pyte
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.bench_render import make_corpus
from cs.index import screen as screen_mod
from tests.helpers.screens import lines_of, renderer

# Fragments that make escape-sequence soup: every sequence the renderer models,
# cut and glued at random, with text (narrow, wide, combining, zero-width),
# controls, C1 bytes, invalid UTF-8 and strings (OSC/DCS) left open.
FRAGMENTS = [
    "\x1b",
    "\x1b[",
    "\x1b]",
    "\x1bP",
    "\x1b_",
    "\x1b\\",
    "\x07",
    "\x18",
    "\r",
    "\n",
    "\r\n",
    "\b",
    "\t",
    "\x0b",
    "\x0c",
    "\x00",
    "\x7f",
    "\x9b",
    "\x85",
    "[",
    "]",
    ";",
    ":",
    "?",
    "<",
    ">",
    " ",
    "!",
    "0",
    "1",
    "2",
    "7",
    "9",
    "99999",
    "1049",
    "47",
    "1047",
    "1048",
    "25",
    "2004",
    "m",
    "h",
    "l",
    "H",
    "f",
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "`",
    "a",
    "d",
    "e",
    "J",
    "K",
    "@",
    "P",
    "X",
    "L",
    "M",
    "S",
    "T",
    "r",
    "s",
    "u",
    "I",
    "Z",
    "c",
    "7",
    "8",
    "\x1b[0m",
    "\x1b[38;5;174m",
    "\x1b[2K",
    "\x1b[1A",
    "\x1b[G",
    "\x1b[1C",
    "\x1b[3;5H",
    "\x1b[H",
    "\x1b[?7l",
    "\x1b[?7h",
    "\x1b[?1049h",
    "\x1b[?1049l",
    "\x1b[?47h",
    "\x1b[?47l",
    "\x1b[2;4r",
    "\x1b[r",
    "\x1bM",
    "\x1bD",
    "\x1bE",
    "\x1b7",
    "\x1b8",
    "\x1bc",
    "\x1b(B",
    "\x1b]0;title\x07",
    "\x1b]8;;http://x\x1b\\",
    "\x1bPq\x1b\\",
    "\x1b[2J",
    "\x1b[1J",
    "\x1b[J",
    "\x1b[1K",
    "\x1b[K",
    "\x1b[3X",
    "\x1b[2@",
    "\x1b[2P",
    "\x1b[2L",
    "\x1b[2M",
    "\x1b[2S",
    "\x1b[2T",
    "\x1b[5d",
    "\x1b[2I",
    "\x1b[Z",
    "\x1b[s",
    "\x1b[u",
    "\x1b[?1048h",
    "\x1b[?1048l",
    "hello",
    "the build failed with",
    "word",
    "x" * 23,
    "  ",
    "é",
    "e\u0301",
    "\u0301",
    "日本語",
    "🚀",
    "\u200d",
    "\xad",
    "\xa0",
    "❯\xa0",
    "─" * 9,
    "✻ Cooking… (3s)",
    # word letters as re sees them (same_line's word sets): numerics that are no decimal digit, _
    "a²b",
    "Ⅻx",
    "٣٣",
    "foo_bar",
    "x1y",
    "ǅa",
    "the",
    "build",
    "failed",
]


def soup_bytes(pieces):
    out = bytearray()
    for p in pieces:
        out += p if isinstance(p, bytes) else p.encode()
    return bytes(out)


piece = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.binary(min_size=1, max_size=4),  # invalid and cut UTF-8
    st.text(min_size=1, max_size=6),
)
OPS = ["pop", "pop", "pop", "none", "retired", "visible", "display", "pickle", (12, 4), (30, 6), (5, 2), (40, 10)]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(piece, min_size=1, max_size=120),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
    ops=st.lists(st.sampled_from(OPS), min_size=13, max_size=13),
    cols=st.sampled_from([1, 2, 3, 4, 5, 8, 9, 10, 16, 23, 40]),  # small: the edges get hit
    rows=st.integers(min_value=1, max_value=6),
)
def test_soup_same_lines(pieces, cuts, ops, cols, rows):
    data = soup_bytes(pieces)
    cuts = sorted({c % (len(data) + 1) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
    ops = [ops[i % len(ops)] for i in range(len(chunks))]
    python = lines_of(renderer("python"), chunks, cols, rows, ops)
    native = lines_of(renderer("native"), chunks, cols, rows, ops)
    assert native == python


def pyte_display(chunks, cols, rows):
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    for c in chunks:
        stream.feed(c)
    return [line.rstrip() for line in screen.display]


@pytest.mark.parametrize("kind", ["fullscreen", "ink", "shell", "mixed"])
def test_bench_corpora_same_lines(kind):
    chunks = make_corpus(0.15, kind, 100, 30, seed=3)
    python = lines_of(renderer("python"), chunks, 100, 30)
    native = lines_of(renderer("native"), chunks, 100, 30)
    assert sum(len(lines) for op, lines in python if op != "display") > 30  # something was rendered
    assert native == python
    # and both end on pyte's screen (the reference emulator)
    s = renderer("native")(100, 30)
    for c in chunks:
        s.feed(c, None)
    assert s.display() == pyte_display(chunks, 100, 30)


def test_hand_over_mid_stream_both_ways():
    """A renderer's state() loaded into the other implementation continues with
    the same lines (how a pickle made by one is read by the other)."""
    chunks = make_corpus(0.05, "mixed", 60, 12, seed=5)
    py, nat = renderer("python"), renderer("native")
    whole = lines_of(py, chunks, 60, 12)
    for cut in (1, len(chunks) // 3, len(chunks) // 2):
        for first, second in ((py, nat), (nat, py)):
            a = first(60, 12)
            out = []
            for i, c in enumerate(chunks[:cut]):
                a.feed(c, (i, "mark"))
                out.append(("pop", a.pop_finished()))
            b = second(1, 1)
            b.load_state(a.state())
            for i, c in enumerate(chunks[cut:], cut):
                b.feed(c, (i, "mark"))
                out.append(("pop", b.pop_finished()))
            out += [("close", b.close()), ("display", b.display())]
            assert out == whole, (first, cut)


def test_native_is_selected_and_pure_python_forces_the_reference():
    native = renderer("native")
    assert screen_mod.Screen is native
    code = "from cs.index import screen; print(screen.Screen is screen.ScreenText, screen.NativeScreenText)"
    env = dict(os.environ, CS_PURE_PYTHON="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "None"]


def test_native_pickle_loads_into_the_reference():
    """A live session pickled by a native indexer, resumed by one that runs
    the pure-Python renderer (CS_PURE_PYTHON=1, or an install without a
    compiler): the same lines as rendering it whole."""
    chunks = make_corpus(0.03, "ink", 50, 10, seed=9)
    whole = lines_of(renderer("python"), chunks, 50, 10)
    a = renderer("native")(50, 10)
    out = []
    half = len(chunks) // 2
    for i, c in enumerate(chunks[:half]):
        a.feed(c, (i, "mark"))
        out.append(("pop", a.pop_finished()))
    blob = pickle.dumps((a, chunks[half:], half))
    code = (
        "import pickle, sys\n"
        "from cs.index import screen\n"
        "s, rest, start = pickle.loads(sys.stdin.buffer.read())\n"
        "assert type(s) is screen.ScreenText, type(s)\n"
        "out = []\n"
        "for i, c in enumerate(rest, start):\n"
        "    s.feed(c, (i, 'mark'))\n"
        "    out.append(('pop', s.pop_finished()))\n"
        "out += [('close', s.close()), ('display', s.display())]\n"
        "sys.stdout.buffer.write(pickle.dumps(out))\n"
    )
    env = dict(os.environ, CS_PURE_PYTHON="1")
    proc = subprocess.run([sys.executable, "-c", code], input=blob, env=env, capture_output=True, check=True)
    assert out + pickle.loads(proc.stdout) == whole


@pytest.mark.parametrize("cols,rows", [(65535, 65535), (10**30, 10**30), (0, 0), (-5, 3), (-(10**30), 2.7)])
def test_native_grid_is_bounded_like_the_reference(cols, rows):
    for name in ("python", "native"):
        s = renderer(name)(cols, rows)
        assert 1 <= s.cols <= screen_mod.MAX_COLS and 1 <= s.rows <= screen_mod.MAX_ROWS
        s.resize(cols, rows)
        assert (s.cols, s.rows) == screen_mod.clamp_size(cols, rows)

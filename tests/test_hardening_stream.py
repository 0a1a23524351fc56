"""Numbers from the byte stream are untrusted (issue 12): every count and size a
program prints is capped to what a terminal can show, the grid is bounded, a
cell holds a bounded number of combining marks, an unterminated OSC/DCS string
is dropped (never indexed as text), and rendering time grows linearly with a
chunk's size. Each case runs against a deadline far above its normal cost, so
a loop over 99999999999 iterations, or quadratic time, fails the test."""

import subprocess
import sys
import time

import pytest

from cs.index import screen as screen_mod
from cs.index.screen import ScreenText
from tests.helpers.logs import LogWriter
from tests.helpers.screens import RENDERERS, renderer

MARK = (1, 0, "2026-01-01T00:00:00.000Z")


def rendered(chunks, cols=80, rows=24):
    """The lines of both renderers (the pure-Python reference and the native
    core, tests/helpers/screens.py), which must agree."""
    out = []
    for name in RENDERERS:
        s = renderer(name)(cols, rows)
        for c in chunks:
            s.feed(c, MARK)
        out.append([t for t, _ in s.close()])
    assert out[1] == out[0]
    return out[0]


def timed(fn, limit):
    t = time.monotonic()
    out = fn()
    took = time.monotonic() - t
    assert took < limit, f"took {took:.2f}s (limit {limit}s)"
    return out


HUGE = b"99999999999"


@pytest.mark.parametrize("final", list(b"@ABCDEFGIJKLMPSTXZ`abdefr") + [ord("b")])
@pytest.mark.parametrize("param", [HUGE, b"9" * 5000, HUGE + b";" + HUGE, b"0;" + HUGE])
def test_huge_csi_parameters_are_capped(final, param):
    seq = b"A\x1b[" + param + bytes([final]) + b"B\r\nafter\r\n"
    lines = timed(lambda: rendered([seq]), 2.0)
    assert "after" in lines


def test_cursor_moves_stay_on_the_grid():
    s = ScreenText(20, 5)
    s.feed(b"\x1b[" + HUGE + b";" + HUGE + b"Hx" + b"\x1b[" + HUGE + b"Cy\x1b[" + HUGE + b"Az", MARK)
    assert 0 <= s.x <= s.cols and 0 <= s.y < s.rows
    assert len(s.grid) == 5 and all(len(r.cells) == 20 for r in s.grid)


@pytest.mark.parametrize("cols,rows", [(65535, 65535), (10**30, 10**30), (0, 0), (-5, 3)])
def test_grid_is_bounded(cols, rows):
    s = ScreenText(cols, rows)
    assert 1 <= s.cols <= screen_mod.MAX_COLS and 1 <= s.rows <= screen_mod.MAX_ROWS
    s.resize(cols, rows)
    assert 1 <= s.cols <= screen_mod.MAX_COLS and 1 <= s.rows <= screen_mod.MAX_ROWS
    s.feed(b"hello\r\n", MARK)
    assert "hello" in "".join(t for t, _ in s.close())  # (a 1x1 screen shows it a letter at a time)


@pytest.mark.parametrize("n", [10_000, 100_000])
def test_combining_marks_on_one_cell_are_bounded(n):
    data = ("e" + "\u0301" * n + "x\r\n").encode()
    lines = timed(lambda: rendered([data]), 2.0)
    assert lines and lines[0].startswith("\u00e9") and lines[0].endswith("x")
    assert len(lines[0]) <= screen_mod._MAX_CELL + 1


@pytest.mark.parametrize("intro", [b"\x1b]0;", b"\x1b]8;;", b"\x1bP", b"\x1b_", b"\x1b^", b"\x1bX"])
@pytest.mark.parametrize("end", [b"\x07", b"\x1b\\", b"\x1b[0m"])
def test_unterminated_string_is_dropped(intro, end):
    """A 10 MB string cut into chunks: nothing of its body is text; the text
    after its end is."""
    if intro != b"\x1b]0;" and end == b"\x07" and intro[1:2] != b"]":
        end = b"\x1b\\"
    body = b"junk line\r\n" * 100_000  # 1.1 MB per chunk
    chunks = [b"before\r\n" + intro + body] + [body] * 8 + [body + end + b"after\r\n"]
    lines = timed(lambda: rendered(chunks), 20.0)
    assert "before" in lines and "after" in lines
    assert not any("junk" in line for line in lines)


def test_string_terminator_split_across_chunks():
    lines = rendered([b"a\r\n\x1b]0;title" + b"t" * 70000 + b"\x1b", b"\\visible\r\n"])
    assert lines == ["a", "visible"]


@pytest.mark.parametrize("kind", ["no newline", "lines", "wide"])
def test_linear_in_chunk_size(kind):
    """16 MB in one chunk renders in well under the deadline (a hang guard, not
    a benchmark: the old line wrapping copied the rest of the run on every
    wrap, which took minutes at this size; now it is about a second)."""
    unit = {"no newline": b"x", "lines": b"output line 1234 here\r\n", "wide": "\u4e2d".encode()}[kind]
    timed(lambda: rendered([unit * ((16 << 20) // len(unit))]), 60.0)


@pytest.mark.parametrize("mb", [4, 16])
def test_memory_per_chunk_is_bounded(cs_exe, logs, mb):
    """Indexing one chunk of `mb` MB holds about the chunk a few times over
    (its base64 line, its bytes, its text), never a row object per line it
    scrolled (which took 330 MB for 37 MB)."""
    w = LogWriter(logs)
    w.output(b"a flood of output, line after line\r\n" * ((mb << 20) // 36)).output("tail\r\n").end()
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run([sys.argv[1], 'index'], capture_output=True)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    proc = subprocess.run([sys.executable, "-c", probe, cs_exe], capture_output=True, text=True, timeout=120)
    code, rss_kb = proc.stdout.split()
    assert code == "0"
    assert int(rss_kb) / 1024 < 60 + 8 * mb, rss_kb
    found = subprocess.run([cs_exe, "search", "tail"], capture_output=True, timeout=60)
    assert found.returncode == 0 and w.sid[:8].encode() in found.stdout


def test_hostile_session_does_not_stop_search_for_others(cs_exe, logs):
    """31 bytes in one session (the issue's example) must not make reading
    commands hang for the others."""
    good = LogWriter(logs).output("a perfectly findable line\r\n").end()
    for seq in (b"A\x1b[99999999999I", b"A\x1b[99999999999Z", b"A\x1b[" + b"9" * 5000 + b"@"):
        LogWriter(logs).output(seq).output(b"\r\nsecond\r\n").end()
    proc = timed(lambda: subprocess.run([cs_exe, "search", "findable"], capture_output=True, timeout=60), 30.0)
    assert proc.returncode == 0, proc.stderr
    assert good.sid[:8].encode() in proc.stdout
    assert b"Traceback" not in proc.stderr


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

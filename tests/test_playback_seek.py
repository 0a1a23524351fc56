"""`cs replay --at`: the screen rebuilt at a moment is the screen played from the start.

The reference is pyte fed every output byte before the moment; ours is pyte fed
only the repaint that a seek writes. Both must agree cell by cell (character,
colours, bold, reverse) and on the cursor.
"""

import base64
import json

import pytest

from cs.log import store
from cs.playback import seek
from cs.playback.terminal import ScreenModel
from tests.helpers.logs import LogWriter
from tests.helpers.playback import pyte_screen, record_claude, run, screen_state


def reference_at(logs, sid, pos):
    """pyte fed the session's output (and resizes) from the start up to `pos`."""
    screen = stream = None
    for n, offset, _end, record in store.iter_session_records(logs, sid):
        if (n, offset) >= pos:
            break
        if record.get("type") in ("start", "resize") and record.get("cols"):
            if screen is None:
                screen, stream = pyte_screen(record["cols"], record["rows"])
            else:
                screen.resize(record["rows"], record["cols"])
        elif record.get("direction") == "output":
            stream.feed(base64.b64decode(record["data"]))
    return screen


def repainted(logs, sid, pos):
    state = seek.seek(logs, sid, seek.Target(pos=pos))
    cols, rows = state.model.size
    screen, stream = pyte_screen(cols, rows)
    stream.feed(b"junk on the user's screen\r\n" * 3)  # a repaint starts from whatever was there
    stream.feed(state.model.repaint())
    return screen


def output_positions(logs, sid):
    return [(n, offset) for n, offset, _e, r in store.iter_session_records(logs, sid) if r.get("direction") == "output"]


def assert_same_screens(logs, sid, positions):
    for pos in positions:
        want, got = reference_at(logs, sid, pos), repainted(logs, sid, pos)
        assert screen_state(got) == screen_state(want), (
            f"screens differ at {pos}:\n"
            + "\n".join(got.display)
            + "\n--- played from the start:\n"
            + "\n".join(want.display)
        )


@pytest.fixture(params=["inline", "forked reader"])
def both_ways(request, monkeypatch):
    """Run the test with the log read in-process, and by a forked reader
    feeding the emulator through a pipe (what big logs get)."""
    if request.param == "forked reader":
        monkeypatch.setattr(seek, "PARALLEL_MIN_BYTES", 0)
        monkeypatch.setattr(seek.os, "cpu_count", lambda: 2)
    return request.param


@pytest.mark.usefixtures("both_ways")
def test_seek_rebuilds_colours_wide_chars_scroll_region_and_both_screens(logs):
    w = LogWriter(logs, cols=40, rows=10)
    for i in range(30):
        w.output(f"\x1b[3{i % 8}mline {i} \u4e2d\u6587 \x1b[1mbold\x1b[0m\r\n")
    # (pyte leaves the cursor where it was on ESC[r; xterm and avt move it home: say where.)
    w.output("\x1b[3;8r\x1b[5;1Hin region\x1b[K\r\n" * 8 + "\x1b[r\x1b[10;1H")
    w.output("\x1b[?1049h\x1b[2J\x1b[H\x1b[7malt screen\x1b[27m\x1b[5;5H\x1b[44mblue\x1b[0m")
    w.resize(50, 12)
    w.output("\x1b[12;1Hafter resize\x1b[?25l")
    w.output("\x1b[?1049lback on main\r\n")
    w.end()
    positions = output_positions(logs, w.sid)
    assert_same_screens(logs, w.sid, positions[1:])


@pytest.mark.usefixtures("both_ways")
def test_seek_across_rotated_and_compressed_segments(logs):
    import gzip
    import os

    w = LogWriter(logs, cols=30, rows=6)
    for i in range(12):
        w.output(f"first {i}\r\n")
    w.rotate()
    for i in range(12):
        w.output(f"\x1b[32msecond {i}\x1b[0m\r\n")
    w.end()
    first = logs / store.segment_name(w.sid, 1)
    with open(first, "rb") as src, gzip.open(str(first) + ".gz", "wb") as dst:
        dst.write(src.read())
    os.unlink(first)
    positions = output_positions(logs, w.sid)
    assert positions[-1][0] == 2
    assert_same_screens(logs, w.sid, positions[5::4])


def test_at_accepts_every_way_of_saying_when():
    assert seek.parse_at("12345") == seek.Target(pos=(1, 12345))
    assert seek.parse_at("2:77") == seek.Target(pos=(2, 77))
    assert seek.parse_at("90s") == seek.Target(seconds=90)
    assert seek.parse_at("1h2m") == seek.Target(seconds=3720)
    assert seek.parse_at("40%") == seek.Target(fraction=0.4)
    assert seek.parse_at("2026-01-02T03:04:05Z").moment == 1767323045
    for bad in ("soonish", "101%", "-5s"):
        with pytest.raises(seek.UsageError):
            seek.parse_at(bad)


def test_time_and_percentage_land_on_the_event_of_that_moment(logs):
    w = LogWriter(logs, cols=20, rows=4, t0=1_000_000.0)
    for i in range(10):
        w.output(f"\r\nsecond {i}", dt=1.0)  # event i at t0 + i + 1
    w.end()
    state = seek.seek(logs, w.sid, seek.parse_at("5s"))
    assert next(state.rest).data == b"\r\nsecond 4"
    assert state.model.text()[-1] == "second 3"
    state = seek.seek(logs, w.sid, seek.parse_at("50%"))  # the end line is at t0 + 10.01
    assert next(state.rest).data == b"\r\nsecond 5"
    with pytest.raises(seek.NotFound):
        seek.seek(logs, w.sid, seek.parse_at("99999999"))


@pytest.mark.usefixtures("both_ways")
def test_markers_are_the_prompts_submitted_before_the_moment(logs):
    w = LogWriter(logs)
    w.input("first question\r").output("answer one\r\n")
    w.input("second\r").output("answer two\r\n")
    w.output("more\r\n")
    w.end()
    state = seek.seek(logs, w.sid, seek.Target(pos=output_positions(logs, w.sid)[-1]))
    assert [m.label for m in state.markers] == ["first question", "second"]


def test_cli_at_on_a_pipe_writes_the_repaint_then_the_rest(cs_exe, logs):
    w = LogWriter(logs, cols=30, rows=5)
    for i in range(20):
        w.output(f"row {i}\r\n")
    w.end()
    positions = output_positions(logs, w.sid)
    at = positions[10]
    out = run(cs_exe, "replay", w.sid[:8], "--at", str(at[1])).stdout
    want = reference_at(logs, w.sid, at)
    rest = b"".join(f"row {i}\r\n".encode() for i in range(10, 20))
    assert out.endswith(rest)
    screen, stream = pyte_screen(30, 5)
    stream.feed(out[: -len(rest)])
    assert screen_state(screen) == screen_state(want)
    alias = run(cs_exe, "replay", w.sid[:8], "--from", str(at[1])).stdout
    assert alias == out


def test_seek_into_a_real_claude_code_session(cs_exe, cs_home, tmp_path, claude_bin, monkeypatch):
    sid = record_claude(cs_exe, cs_home, tmp_path, claude_bin)
    logs = cs_home / "logs"
    # pyte has no alternate screen: compare while claude's full-screen UI is up.
    records = list(store.iter_session_records(logs, sid))
    outputs = [(n, o, base64.b64decode(r["data"])) for n, o, _e, r in records if r.get("direction") == "output"]
    enter = next(i for i, (_n, _o, d) in enumerate(outputs) if b"\x1b[?1049h" in d)
    leave = next(i for i, (_n, _o, d) in enumerate(outputs) if b"\x1b[?1049l" in d)
    positions = [(n, o) for n, o, _d in outputs[enter + 1 : leave + 1]]
    assert len(positions) > 20
    picks = [positions[int(len(positions) * f)] for f in (0.1, 0.3, 0.5, 0.7, 0.9)]
    assert_same_screens(logs, sid, picks + [positions[-1]])
    monkeypatch.setattr(seek, "PARALLEL_MIN_BYTES", 0)  # the forked reader, as on big logs
    assert_same_screens(logs, sid, picks[1::2])
    lines = [json.loads(line) for line in (logs / f"{sid}.jsonl").read_bytes().splitlines()]
    assert any(r.get("direction") == "input" for r in lines)
    state = seek.seek(logs, sid, seek.Target(pos=positions[-1]))
    assert [m.label for m in state.markers][:2] == ["why did the build fail", "and what now"]


def test_a_damaged_log_is_reported_from_the_forked_reader(logs, monkeypatch):
    import gzip

    monkeypatch.setattr(seek, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(seek.os, "cpu_count", lambda: 2)
    w = LogWriter(logs)
    for i in range(20000):  # more than one block: the start is read, the rest is cut off
        w.output(f"line {i}\r\n")
    w.end()
    path = logs / f"{w.sid}.jsonl"
    packed = gzip.compress(path.read_bytes())
    (logs / f"{w.sid}.jsonl.gz").write_bytes(packed[: len(packed) * 3 // 4])
    path.unlink()
    with pytest.raises(seek.CsError, match="cannot read"):
        seek.seek(logs, w.sid, seek.Target(end=True))


def test_repaint_of_a_fresh_model_is_a_blank_screen():
    screen, stream = pyte_screen(10, 3)
    stream.feed(b"xxxxxxxxxx" * 3)
    stream.feed(ScreenModel(10, 3).repaint())
    assert screen.display == [" " * 10] * 3

"""cs.playback.events: the fast reader gives what the JSON reader gives."""

import base64
import gzip
import json
import threading

import pytest

from cs.log import store
from cs.playback import events as ev
from tests.helpers.logs import LogWriter


def json_reader_io(logs, sid):
    """(kind, bytes, pos) of every I/O line, through the JSON parser."""
    out = []
    for n, offset, _e, r in store.iter_session_records(logs, sid):
        if r.get("direction") and not r.get("masked"):
            out.append(("o" if r["direction"] == "output" else "i", base64.b64decode(r["data"]), (n, offset)))
    return out


def test_fast_reader_matches_the_json_reader_across_segments_and_gzip(logs):
    w = LogWriter(logs, cols=50, rows=7)
    w.output(b"\x00\xff\xfe raw bytes \x1b[31m").input("typed\r").masked(8)
    # A valid line in another field order: read through the JSON parser.
    other = {
        "size": 3,
        "data": base64.b64encode(b"abc").decode(),
        "direction": "output",
        "session_id": w.sid,
        "timestamp": "2026-01-01T00:00:01.5+00:00",
    }
    w.raw(json.dumps(other).encode() + b"\n")
    w.resize(60, 9)
    w.rotate()
    for i in range(3000):
        w.output(f"line {i} " * 20)
    w.end(3)
    seg2 = logs / store.segment_name(w.sid, 2)
    with open(seg2, "ab") as f:  # a torn last line, as a crash leaves it
        f.write(b'{"timestamp":"2026-01-01T00:00:09.000Z","session_id":"x","direction":"outp')
    (logs / (seg2.name + ".gz")).write_bytes(gzip.compress(seg2.read_bytes()))
    seg2.unlink()
    events = list(ev.read_events(logs, w.sid))
    io = [(e.kind, e.data, e.pos) for e in events if e.kind in "oi"]
    assert io == json_reader_io(logs, w.sid)
    kinds = [e.kind for e in events if e.kind not in "oi"]
    assert kinds == ["start", "r", "end"]
    assert events[-1].data["exit_code"] == 3
    assert b"abc" in [e.data for e in events]


def test_epoch_of_timestamps():
    assert ev.epoch("2026-01-02T03:04:05.250Z") == 1767323045.25
    assert ev.epoch("2026-01-02T04:04:05+01:00") == 1767323045
    assert ev.epoch("not a time") != ev.epoch("not a time")  # NaN


def test_follow_waits_on_a_live_session_then_ends_at_its_end_line(logs):
    w = LogWriter(logs)
    w.output("before")
    got, done = [], threading.Event()

    def read():
        for e in ev.read_events(logs, w.sid, follow=True):
            got.append(e)
            if e is None and not done.is_set() and any(x and x.kind == "o" for x in got):
                done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert done.wait(10), "the reader never waited at the live edge"
    w.rotate().output("after rotation").end(0)
    reader.join(10)
    assert not reader.is_alive()
    data = [e.data for e in got if e is not None and e.kind == "o"]
    assert data == [b"before", b"after rotation"] and got[-1].kind == "end"


def test_a_log_removed_while_followed_raises_log_vanished(logs):
    w = LogWriter(logs)
    w.output("x")
    stream = ev.read_events(logs, w.sid, follow=True)
    assert next(stream).kind == "start"
    for p in logs.iterdir():
        p.unlink()
    w.close()
    with pytest.raises(ev.LogVanished):
        for _ in stream:
            pass

"""`cs scrub` masks a leaked secret in the logs themselves, byte for byte;
`cs forget` removes sessions entirely. Real logs, the real index, the real cs."""

import base64
import gzip
import json
import subprocess

from cs.log import jsonl, store
from tests.helpers.cli import run_cs
from tests.helpers.logs import LogWriter

SECRET = b"hunter2-SUPERSECRET-token"


def io_lines(path):
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return [json.loads(line) for line in raw.splitlines() if b'"direction"' in line]


def stream(paths, direction):
    return b"".join(base64.b64decode(r["data"]) for p in paths for r in io_lines(p) if r["direction"] == direction)


def test_scrub_masks_a_secret_split_across_chunks_and_segments_keeping_every_size(logs, cs_exe):
    w = LogWriter(logs)
    w.output(b"before " + SECRET[:9])  # split across two chunks...
    w.rotate()  # ... and across two segments
    w.output(SECRET[9:] + b" after\r\n")
    w.input(b"export T=" + SECRET + b"\r")
    w.end()
    w.compress([1])
    files = store.session_segments(logs, w.sid)
    sizes_before = [[(r["size"], len(r["data"])) for r in io_lines(p)] for p in files]
    run_cs(cs_exe, "index", "-q")
    assert run_cs(cs_exe, "search", "--jsonl", "SUPERSECRET").stdout

    dry = json.loads(run_cs(cs_exe, "scrub", "--literal", SECRET.decode(), "--dry-run", "--json").stdout)
    assert dry["matches"] == 2 and store.session_segments(logs, w.sid) == files
    assert SECRET in stream(files, "output")  # nothing changed

    result = json.loads(run_cs(cs_exe, "scrub", "--literal", SECRET.decode(), "--json").stdout)
    assert result["matches"] == 2 and result["sessions"][0]["segments_rewritten"] == 2
    files = store.session_segments(logs, w.sid)
    assert stream(files, "output") == b"before " + b"*" * len(SECRET) + b" after\r\n"
    assert stream(files, "input") == b"export T=" + b"*" * len(SECRET) + b"\r"
    assert [[(r["size"], len(r["data"])) for r in io_lines(p)] for p in files] == sizes_before
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in files)
    for p in files:  # still one valid JSON object per line, as jq reads it
        raw = gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes()
        assert all(jsonl.parse_line(line + b"\n") for line in raw.splitlines())
    assert run_cs(cs_exe, "search", "--jsonl", "SUPERSECRET", check=False).returncode == 1


def test_scrub_skips_the_segment_a_live_session_is_writing(logs, cs_exe):
    w = LogWriter(logs)  # holds the live lock
    w.output(b"live " + SECRET + b"\r\n")
    result = json.loads(run_cs(cs_exe, "scrub", "--literal", SECRET.decode(), "--json").stdout)
    assert result["skipped_live_segments"] == [store.segment_name(w.sid)]
    assert SECRET in stream([logs / store.segment_name(w.sid)], "output")  # untouched while live
    w.end()


def test_forget_removes_everything_and_asks_first(logs, cs_exe, cs_home):
    keep, gone = LogWriter(logs).output("keep me\r\n").end(), LogWriter(logs).output("forget me\r\n").end()
    run_cs(cs_exe, "index", "-q")
    refused = run_cs(cs_exe, "forget", gone.sid[:8], check=False)  # no terminal to ask on
    assert refused.returncode == 2 and "--yes" in refused.stderr
    result = json.loads(run_cs(cs_exe, "forget", gone.sid[:8], "--yes", "--json").stdout)
    assert result["removed"] == [gone.sid]
    assert not list(logs.glob(f"{gone.sid}*"))
    listed = [json.loads(x)["id"] for x in run_cs(cs_exe, "list", "--jsonl").stdout.splitlines()]
    assert listed == [keep.sid]
    import sqlite3

    conn = sqlite3.connect(cs_home / "index.db")
    assert conn.execute("SELECT count(*) FROM lines WHERE session_id = ?", [gone.sid]).fetchone()[0] == 0
    proc = subprocess.run([cs_exe, "search", "--jsonl", "forget me"], capture_output=True)
    assert proc.returncode == 1


def test_forget_refuses_a_live_session(logs, cs_exe):
    w = LogWriter(logs).output("still going\r\n")
    proc = run_cs(cs_exe, "forget", w.sid[:8], "--yes", check=False)
    assert proc.returncode == 1 and "still recording" in proc.stderr
    assert list(logs.glob(f"{w.sid}*"))
    w.end()

"""Values at the edges (issue 12): hostile log lines cost only that line; values
typed by the user are validated at the boundary with the range allowed;
conflicting options are refused (exit 2); arguments and directories that are
not UTF-8; the catch-up's time budget and its 'may be stale' notices; error
messages naming the real problem; SIZE and replay prefixes that mean one thing.
Everything runs the real `cs` console script on real files and SQLite."""

import fcntl
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cs.log import jsonl
from tests.helpers.logs import LogWriter


def cs(cs_exe, *args, cwd=None, timeout=60):
    return subprocess.run([cs_exe, *args], capture_output=True, timeout=timeout, cwd=cwd)


def one_clean_line(proc) -> str:
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert err.startswith("cs: ") or "\ncs: " in err, err
    return err


HOSTILE_LINES = {
    "huge exit code": lambda sid: jsonl.event_line(
        sid, "end", {"exit_code": 10**30, "bytes_in": 10**30, "bytes_out": -(10**30)}
    ),
    "huge resize": lambda sid: jsonl.event_line(sid, "resize", {"cols": 10**30, "rows": 65535}),
    "nan duration": lambda sid: (
        b'{"type":"end","timestamp":"2026-01-01T00:00:00.000Z","session_id":"'
        + sid.encode()
        + b'","exit_code":0,"duration":NaN}\n'
    ),
    "lone surrogate": lambda sid: (
        b'{"type":"resize","timestamp":"2026-01-01T00:00:00.000Z\\ud800",'
        b'"session_id":"' + sid.encode() + b'","cols":80,"rows":24}\n'
    ),
    "surrogate in cwd": lambda sid: (
        b'{"type":"start","timestamp":"2026-01-01T00:00:00.000Z",'
        b'"session_id":"' + sid.encode() + b'","cwd":"/x/\\udcff"}\n'
    ),
    "nested brackets": lambda sid: b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "nested in object": lambda sid: (
        b'{"session_id":"' + sid.encode() + b'","type":"x","v":' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    ),
    "5000-digit number": lambda sid: (
        b'{"type":"resize","timestamp":"2026-01-01T00:00:00.000Z","session_id":"'
        + sid.encode()
        + b'","cols":'
        + b"9" * 5000
        + b',"rows":1}\n'
    ),
    "wrong types": lambda sid: (
        b'{"timestamp":7,"session_id":"' + sid.encode() + b'","direction":"output","data":[1],"size":"x"}\n'
    ),
    "invalid utf-8": lambda sid: b'{"type":"start","timestamp":"\xff\xfe","session_id":"' + sid.encode() + b'"}\n',
    "bad base64": lambda sid: (
        b'{"timestamp":"2026-01-01T00:00:00.000Z","session_id":"'
        + sid.encode()
        + b'","direction":"output","data":"@@@=","size":3}\n'
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_LINES))
def test_hostile_log_lines(cs_exe, logs, name):
    """A bad line costs only that line: the session around it is indexed and
    searchable, listed, and prune/compress still run."""
    w = LogWriter(logs).output("before the bad line\r\n")
    w.raw(HOSTILE_LINES[name](w.sid))
    w.output("after the bad line\r\n").end()
    other = LogWriter(logs).output("another session entirely\r\n").end()
    for word in ("before", "after"):
        proc = cs(cs_exe, "search", word, "the", "bad")
        assert proc.returncode == 0, proc.stderr
        assert w.sid[:8].encode() in proc.stdout
    assert other.sid[:8].encode() in cs(cs_exe, "search", "another", "entirely").stdout
    listed = cs(cs_exe, "list")
    assert listed.returncode == 0 and w.sid[:8].encode() in listed.stdout, listed.stderr
    for args in (("prune", "--older", "30d", "--dry-run"), ("compress", "--older", "0d")):
        proc = cs(cs_exe, *args)
        assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    assert w.sid[:8].encode() in cs(cs_exe, "search", "after", "the", "bad").stdout


def test_parse_line_never_raises():
    for make in HOSTILE_LINES.values():
        jsonl.parse_line(make("0" * 36))
    assert jsonl.parse_line(b"[" * 1_000_000) is None


@pytest.mark.parametrize(
    "name",
    [
        "00000000-0000-4000-8000-000000000000." + "9" * 30 + ".jsonl",
        "00000000-0000-4000-8000-000000000000.000.jsonl",
        "00000000-0000-4000-8000-000000000000.1234567.jsonl.gz",
    ],
)
def test_segment_numbers_out_of_range_are_not_logs(cs_exe, logs, name):
    (logs / name).write_bytes(b"garbage\n")
    good = LogWriter(logs).output("still searchable\r\n").end()
    proc = cs(cs_exe, "search", "still", "searchable")
    assert proc.returncode == 0 and good.sid[:8].encode() in proc.stdout, proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("search", "x", "--since", "99999999999d"),
        ("search", "x", "--until", "1" + "0" * 400 + "d"),
        ("list", "--since", "0001-01-01"),
        ("list", "--since", "9999-12-31"),
        ("prune", "--older", "999999d"),
        ("compress", "--older", "99999999999w"),
        ("search", "x", "--limit", "9" * 20),
        ("list", "--limit", "9" * 20),
        ("config", "retention", "999999d"),
        ("config", "retention", "99999999999999999999s"),
        ("config", "rotate_size", "9" * 400),
        ("config", "max_total_size", "99999999T"),
    ],
)
def test_out_of_range_values_are_refused_with_the_range(cs_exe, logs, args):
    LogWriter(logs).output("x\r\n").end()
    proc = cs(cs_exe, *args)
    assert proc.returncode in (1, 2), (proc.returncode, proc.stderr)
    err = one_clean_line(proc)
    assert "range" in err or "at most" in err, err
    if args[0] == "config":  # nothing was written, and the policy still applies
        assert cs(cs_exe, "prune", "--dry-run").returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ("search", "--regex", "--fts", "x"),
        ("search", "--rank", "--regex", "x"),
        ("index", "--daemon", "--rebuild"),
        ("index", "--watch", "--stop"),
        ("show", "--raw", "--grep", "x", "SESSION"),
        ("show", "--raw", "-C", "2", "SESSION"),
    ],
)
def test_conflicting_options_are_refused(cs_exe, logs, args):
    w = LogWriter(logs).output("x\r\n").end()
    args = [w.sid if a == "SESSION" else a for a in args]
    proc = cs(cs_exe, *args)
    assert proc.returncode == 2, proc.stderr
    assert "cannot" in one_clean_line(proc)
    assert not list(Path(os.environ["CS_HOME"]).glob("indexer.lock")) or "--daemon" not in args


@pytest.mark.parametrize(
    "args",
    [("search", b"\xff"), ("search", b"x", b"--project", b"\xff"), ("list", b"--cwd", b"/tmp/\xfe"), ("show", b"\xff")],
)
def test_non_utf8_arguments(cs_exe, logs, args):
    LogWriter(logs).output("x\r\n").end()
    proc = subprocess.run(
        [cs_exe.encode(), *[a if isinstance(a, bytes) else a.encode() for a in args]], capture_output=True, timeout=60
    )
    assert proc.returncode == 2
    assert "not valid UTF-8" in one_clean_line(proc)


@pytest.mark.parametrize("dirname", [b"d\xff", b"caf\xe9", b"\xed\xa0\x80x"])
def test_session_in_a_non_utf8_directory_is_recorded(cs_exe, cs_home, tmp_path, dirname):
    where = os.path.join(os.fsencode(tmp_path), dirname)
    os.mkdir(where)
    proc = subprocess.run(
        [cs_exe, "record", "--", "printf", "recorded here\\n"], cwd=where, capture_output=True, timeout=60
    )
    assert proc.returncode == 0 and b"not recorded" not in proc.stderr, proc.stderr
    found = cs(cs_exe, "search", "recorded", "here")
    assert found.returncode == 0, found.stderr
    listed = cs(cs_exe, "list")
    assert b"finished" in listed.stdout and b"running" not in listed.stdout, listed.stdout


def test_replay_prefix_is_unique(cs_exe, logs):
    a = LogWriter(logs, session_id="abcdef01-2345-4000-8000-000000000001").output("twin text\r\n").end()
    b = LogWriter(logs, session_id="abcdef01-2345-4000-8000-000000000002").output("twin text\r\n").end()
    lone = LogWriter(logs, session_id="12345678-2345-4000-8000-000000000003").output("lone text\r\n").end()
    out = cs(cs_exe, "search", "twin").stdout.decode()
    printed = [line.split()[2] for line in out.splitlines() if line.strip().startswith("cs replay")]
    assert sorted(printed) == sorted([a.sid, b.sid])  # they differ only in the last digit
    out = cs(cs_exe, "search", "lone").stdout.decode()
    assert f"cs replay {lone.sid[:8]} " in out
    for sid in printed:  # and each printed prefix resolves to exactly one session
        assert cs(cs_exe, "show", sid).returncode == 0


def test_catch_up_has_a_time_budget(cs_exe, logs, monkeypatch):
    """A session too large to index within the budget: the reading command
    answers from what is indexed, says results may be incomplete, and the next
    commands go on from there until everything is indexed."""
    big = LogWriter(logs)
    line = b"filler " * 10 + b"\r\n"
    for _i in range(400):
        big.output(line * 400)
    big.output("the very last line\r\n").end()
    small = LogWriter(logs, session_id="ffffffff-0000-4000-8000-000000000000")
    small.output("small session text\r\n").end()
    from cs.index import indexer

    db = indexer.open_index()
    result = indexer.catch_up(db, logs, budget=0.05)
    assert result.stale and "longer than" in result.stale
    for _ in range(200):
        result = indexer.catch_up(db, logs, budget=0.2)
        if not result.stale:
            break
    assert not result.stale
    found = cs(cs_exe, "search", "very", "last")
    assert found.returncode == 0 and big.sid[:8].encode() in found.stdout


def test_busy_index_answers_at_once_and_says_so(cs_exe, cs_home, logs):
    w = LogWriter(logs).output("indexed before\r\n").end()
    assert cs(cs_exe, "index").returncode == 0
    LogWriter(logs).output("written while locked\r\n").end()
    fd = os.open(cs_home / "index.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        t = time.monotonic()
        proc = cs(cs_exe, "search", "indexed", "before")
        assert time.monotonic() - t < 4.0  # it used to wait 5 s
        assert proc.returncode == 0 and w.sid[:8].encode() in proc.stdout
        err = proc.stderr.decode()
        assert err.count("may be stale") == 1 and "another process" in err, err
    finally:
        os.close(fd)
    assert b"written while locked" in cs(cs_exe, "search", "while", "locked").stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_read_only_index_is_read_and_says_why(cs_exe, cs_home, logs):
    w = LogWriter(logs).output("indexed earlier\r\n").end()
    assert cs(cs_exe, "index").returncode == 0
    LogWriter(logs).output("newer text\r\n").end()
    db = cs_home / "index.db"
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(db) + suffix)
        if p.exists():
            p.chmod(0o400)
    try:
        proc = cs(cs_exe, "search", "indexed", "earlier")
        assert proc.returncode == 0 and w.sid[:8].encode() in proc.stdout, proc.stderr
        assert "may be stale" in proc.stderr.decode()
    finally:
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(db) + suffix)
            if p.exists():
                p.chmod(0o600)
    for p in cs_home.iterdir():
        assert p.stat().st_mode & 0o077 == 0, p


def test_cs_home_a_file_is_named(cs_exe, tmp_path, monkeypatch):
    home = tmp_path / "home-file"
    home.write_text("")
    monkeypatch.setenv("CS_HOME", str(home))
    for args in (("list",), ("search", "x"), ("index",), ("prune", "--older", "1d")):
        proc = cs(cs_exe, *args)
        assert proc.returncode == 1
        assert "CS_HOME must name a directory" in one_clean_line(proc)


def test_index_db_a_directory_is_named(cs_exe, cs_home, logs):
    (cs_home / "index.db").mkdir()
    for args in (("list",), ("index",), ("index", "--rebuild"), ("search", "x")):
        proc = cs(cs_exe, *args)
        assert proc.returncode == 1
        err = one_clean_line(proc)
        assert "is a directory" in err and "--rebuild" not in err, err
    assert (cs_home / "index.db").is_dir()  # not ours to remove


def test_list_size_is_the_same_before_and_after_compression(cs_exe, logs):
    w = LogWriter(logs, t0=time.time() - 3 * 86400)
    for i in range(200):
        w.output(f"line {i} of a compressible session\r\n")
    w.end()
    size = sum(p.stat().st_size for p in logs.iterdir())

    def listed_size():
        line = [x for x in cs(cs_exe, "list").stdout.decode().splitlines() if w.sid[:8] in x][0]
        return line.split()[-2]

    before = listed_size()
    assert cs(cs_exe, "compress", "--older", "0d").returncode == 0
    assert any(p.name.endswith(".gz") for p in logs.iterdir())
    assert listed_size() == before
    from cs import units

    assert before == units.format_size(size)
    assert cs(cs_exe, "index", "--rebuild").returncode == 0
    assert listed_size() == before


def test_integers_beyond_64_bits_are_dropped_not_fatal():
    from cs.index.render import sql_value

    assert sql_value(10**30) is None and sql_value(-(2**63)) == -(2**63) and sql_value(2**63) is None
    assert sql_value(float("nan")) is None and "\ud800" not in sql_value("a\ud800b")
    conn = sqlite3.connect(":memory:")
    conn.execute("select ?", [sql_value("x\udcff")]).fetchone()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))


def test_hits_point_where_the_text_had_appeared(cs_exe, logs):
    """Issue 12: a hit on a typed line, or on a line its echo built up, points
    at a moment when the whole text was there, not at the empty prompt."""
    import json

    w = LogWriter(logs).output("prompt> ")
    for word in ("deploy", " the", " rocket"):
        w.input(word).output(word)
    w.input("\r").output("\r\nlaunched\r\n").end()
    offsets = []
    pos = 0
    for line in (logs / f"{w.sid}.jsonl").read_bytes().splitlines(keepends=True):
        rec = json.loads(line)
        if rec.get("direction") == "input" and jsonl.decode_data(rec) == b" rocket":
            offsets.append(pos)
        pos += len(line)
    typed_last = offsets[0]
    for direction in ("--input", "--output"):
        proc = cs(cs_exe, "search", "--jsonl", direction, "deploy", "the", "rocket")
        hits = [json.loads(x) for x in proc.stdout.decode().splitlines()]
        assert hits, (direction, proc.stderr)
        assert hits[0]["offset"] >= typed_last, (direction, hits[0], typed_last)


def test_reading_never_leaves_wal_or_shm_readable_by_others(cs_exe, cs_home, logs):
    LogWriter(logs).output("private text\r\n").end()
    assert cs(cs_exe, "index").returncode == 0
    for p in cs_home.iterdir():  # whatever an earlier version or tool left behind
        if p.name.startswith("index.db"):
            p.chmod(0o644)
    LogWriter(logs).output("more private text\r\n").end()
    proc = subprocess.run(
        ["sh", "-c", 'umask 000; "$0" search private; "$0" list', cs_exe], capture_output=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    for p in cs_home.iterdir():
        if p.name.startswith("index.db-"):
            assert p.stat().st_mode & 0o077 == 0, (p, oct(p.stat().st_mode))


def test_index_locked_by_another_writer_answers_at_once(cs_exe, cs_home, logs):
    """A writer holding SQLite's lock (not the pass lock): the reader does not
    wait 5 s for it; it answers from what is committed and says why."""
    w = LogWriter(logs).output("committed before\r\n").end()
    assert cs(cs_exe, "index").returncode == 0
    LogWriter(logs).output("appended later\r\n").end()
    conn = sqlite3.connect(str(cs_home / "index.db"), isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        t = time.monotonic()
        proc = cs(cs_exe, "search", "committed", "before")
        assert time.monotonic() - t < 4.0
        assert proc.returncode == 0 and w.sid[:8].encode() in proc.stdout, proc.stderr
        assert "may be stale" in proc.stderr.decode() and "locked" in proc.stderr.decode()
    finally:
        conn.rollback()
        conn.close()
    assert b"appended later" in cs(cs_exe, "search", "appended").stdout

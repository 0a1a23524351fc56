"""Indexing real log files into a real SQLite index, pass by pass."""

import gzip
import multiprocessing
import os
import shutil

import pytest

from cs import db as dbmod
from cs.index import indexer
from cs.log import jsonl, paths
from tests.helpers.logs import LogWriter


@pytest.fixture
def db(cs_home):
    return dbmod.open_db()


def texts(db, sid=None, direction="output", provisional=None):
    sql = "SELECT text FROM lines WHERE direction = ?"
    params = [direction]
    if sid:
        sql += " AND session_id = ?"
        params.append(sid)
    if provisional is not None:
        sql += " AND provisional = ?"
        params.append(int(provisional))
    return sorted(r[0] for r in db.execute(sql, params).fetchall())


def session(db, sid):
    cur = db.execute("SELECT * FROM sessions WHERE id = ?", [sid])
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def index_snapshot(db):
    lines = db.execute(
        "SELECT session_id, direction, text, ts, segment, offset, provisional FROM lines ORDER BY 1, 2, 3"
    ).fetchall()
    sessions = db.execute(
        "SELECT id, started_at, ended_at, last_event_at, status, command, cwd, project, exit_code,"
        " bytes_in, bytes_out, log_bytes FROM sessions ORDER BY id"
    ).fetchall()
    fts = db.execute("SELECT rowid, text FROM lines_fts ORDER BY rowid").fetchall()
    return lines, sessions, len(fts)


def test_appends_are_read_once(logs, db):
    w = LogWriter(logs)
    w.output("first line\r\n")
    s1 = indexer.index_pass(db, logs)
    assert s1.sessions_indexed == 1 and s1.bytes_read == w.path.stat().st_size
    w.output("second line\r\nfirst line\r\n")
    s2 = indexer.index_pass(db, logs)
    assert 0 < s2.bytes_read < w.path.stat().st_size
    assert texts(db, w.sid) == ["first line", "second line"]
    s3 = indexer.index_pass(db, logs)
    assert s3.bytes_read == 0 and s3.sessions_indexed == 0
    assert texts(db, w.sid) == ["first line", "second line"]
    assert db.execute("SELECT count(*) FROM lines_fts").fetchone()[0] == 2


def test_torn_line_waits_for_its_newline(logs, db):
    w = LogWriter(logs)
    w.output("complete\r\n")
    line = jsonl.io_line(w.sid, "output", b"torn and finished\r\n")
    w.raw(line[:30])
    indexer.index_pass(db, logs)
    assert texts(db, w.sid) == ["complete"]
    offset = db.execute("SELECT offset FROM log_files").fetchone()[0]
    assert offset == w.path.stat().st_size - 30
    w.raw(line[30:])
    indexer.index_pass(db, logs)
    assert texts(db, w.sid) == ["complete", "torn and finished"]
    assert db.execute("SELECT skipped_lines FROM log_files").fetchone()[0] == 0


def test_truncated_file_is_read_again_from_scratch(logs, db):
    w = LogWriter(logs, lock=False)
    w.output("old content that goes away\r\n").output("more old content\r\n").end()
    indexer.index_pass(db, logs)
    assert "old content that goes away" in texts(db, w.sid)
    with open(w.path, "r+b") as f:  # same inode, shorter
        f.truncate(0)
        f.write(jsonl.event_line(w.sid, "start", {"argv": ["claude"], "cwd": "/x/new"}))
        f.write(jsonl.io_line(w.sid, "output", b"new content\r\n"))
        f.write(jsonl.event_line(w.sid, "end", {"exit_code": 3}))
    indexer.index_pass(db, logs)
    assert texts(db, w.sid) == ["new content"]
    assert session(db, w.sid)["exit_code"] == 3 and session(db, w.sid)["project"] == "new"


def test_replaced_file_is_read_again_from_scratch(logs, db, tmp_path):
    w = LogWriter(logs, lock=False)
    w.output("before replacement\r\n").end()
    indexer.index_pass(db, logs)
    other = tmp_path / "other.jsonl"
    with open(other, "wb") as f:
        f.write(jsonl.event_line(w.sid, "start", {"argv": ["claude"], "cwd": "/p"}))
        f.write(jsonl.io_line(w.sid, "output", b"after replacement, longer than before it was\r\n"))
        f.write(jsonl.event_line(w.sid, "end", {"exit_code": 0}))
    os.replace(other, w.path)  # new inode, larger
    indexer.index_pass(db, logs)
    assert texts(db, w.sid) == ["after replacement, longer than before it was"]


def test_corrupt_and_foreign_lines_are_skipped_and_counted(logs, db):
    w = LogWriter(logs)
    w.output("good one\r\n")
    w.raw(b"this is not json\n")
    w.raw(b'{"some": "other tool"}\n')
    w.raw(b"[1, 2, 3]\n")
    w.raw(jsonl.io_line("00000000-0000-0000-0000-000000000000", "output", b"foreign session\r\n"))
    w.raw(
        b'{"timestamp":"2026-01-01T00:00:00.000Z","session_id":"%s","direction":"output","data":"@@@notbase64","size":3}\n'
        % w.sid.encode()
    )
    w.raw(b"\xff\xfe binary junk\n")
    w.output("good two\r\n").end()
    stats = indexer.index_pass(db, logs)
    assert texts(db, w.sid) == ["good one", "good two"]
    assert stats.skipped_lines == 6
    assert db.execute("SELECT skipped_lines FROM log_files").fetchone()[0] == 6
    assert session(db, w.sid)["status"] == "finished"
    # Indexing again does not count them twice.
    indexer.index_pass(db, logs)
    assert db.execute("SELECT skipped_lines FROM log_files").fetchone()[0] == 6


def test_masked_input_is_never_text(logs, db):
    w = LogWriter(logs)
    w.input("visible command\r")
    w.output("Password: ")
    w.masked(9)
    w.input("after\r").end()
    indexer.index_pass(db, logs)
    assert texts(db, w.sid, "input") == ["after", "visible command"]
    assert session(db, w.sid)["bytes_in"] == len("visible command\r") + 9 + len("after\r")


def test_status_running_cut_off_finished(logs, db):
    live = LogWriter(logs)
    live.output("working\r\n")
    cut = LogWriter(logs)
    cut.output("about to crash\r\n")
    done = LogWriter(logs)
    done.output("all done\r\n").end(exit_code=7)
    indexer.index_pass(db, logs)
    assert session(db, live.sid)["status"] == "running"
    assert session(db, done.sid)["status"] == "finished"
    assert session(db, done.sid)["exit_code"] == 7
    assert session(db, done.sid)["ended_at"] is not None
    assert session(db, cut.sid)["status"] == "running"
    cut.close()  # the recorder died: lock released, no end line
    indexer.index_pass(db, logs)
    assert session(db, cut.sid)["status"] == "cut_off"
    assert session(db, live.sid)["status"] == "running"
    assert session(db, live.sid)["log_bytes"] == live.path.stat().st_size


def test_live_partial_line_is_provisional_then_replaced(logs, db):
    w = LogWriter(logs)
    w.output("done line\r\nstreaming sen")
    indexer.index_pass(db, logs)
    # Both searchable at once; the half-drawn line only provisionally (whether
    # the renderer already calls the first line finished is its business).
    assert texts(db, w.sid) == ["done line", "streaming sen"]
    assert "streaming sen" in texts(db, w.sid, provisional=True)
    w.output("tence complete\r\n")
    indexer.index_pass(db, logs)
    assert texts(db, w.sid) == ["done line", "streaming sentence complete"]
    w.output("tail still on screen").end()
    indexer.index_pass(db, logs)
    assert texts(db, w.sid, provisional=True) == []
    assert "tail still on screen" in texts(db, w.sid, provisional=False)


def test_new_process_resumes_live_session_without_rereading(logs, cs_home):
    w = LogWriter(logs)
    w.output("x" * 5000 + "\r\nhalf of a li")
    first = dbmod.open_db()
    indexer.index_pass(first, logs)
    first.conn.close()
    before = w.path.stat().st_size
    w.output("ne that ends now\r\n")
    second = dbmod.open_db()  # a new process: no in-memory renderer
    stats = indexer.index_pass(second, logs)
    assert stats.bytes_read == w.path.stat().st_size - before
    assert "half of a line that ends now" in texts(second, w.sid)
    assert "half of a li" not in texts(second, w.sid)


def test_stale_render_state_falls_back_to_rerendering(logs, db):
    w = LogWriter(logs)
    w.output("alpha\r\nbeta partial")
    indexer.index_pass(db, logs)
    db.execute("UPDATE render_state SET cs_version = 'other'")
    w.output(" now done\r\n")
    stats = indexer.index_pass(db, logs)
    assert stats.bytes_read == w.path.stat().st_size  # rendered again from the start
    assert texts(db, w.sid) == ["alpha", "beta partial now done"]


def test_segments_and_gzip_read_as_one_stream(logs, db):
    w = LogWriter(logs)
    w.output("in segment one, a line that conti")
    w.rotate()
    w.output("nues in segment two\r\n")
    indexer.index_pass(db, logs)
    w.end()
    indexer.index_pass(db, logs)
    assert texts(db, w.sid) == ["in segment one, a line that continues in segment two"]
    before = index_snapshot(db)
    # Compress segment 1 in place (as retention does): nothing changes, nothing is re-read.
    seg1 = w.path
    with open(seg1, "rb") as src, gzip.open(str(seg1) + ".gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    seg1.unlink()
    stats = indexer.index_pass(db, logs)
    assert stats.bytes_read == 0
    assert index_snapshot(db)[0] == before[0]
    assert db.execute("SELECT name FROM log_files ORDER BY segment").fetchall()[0][0].endswith(".gz")
    # And a fresh index reads the .gz transparently, to the same result.
    fresh = dbmod.open_db(paths.cs_home() / "fresh.db")
    indexer.index_pass(fresh, logs)
    assert index_snapshot(fresh)[0] == before[0]


def test_resize_events_reach_the_renderer(logs, db, monkeypatch):
    seen = []
    from cs.index import render, screen

    original = screen.ScreenText.resize

    def spy(self, cols, rows):
        seen.append((cols, rows))
        return original(self, cols, rows)

    monkeypatch.setattr(screen.ScreenText, "resize", spy)
    monkeypatch.setattr(render, "Screen", screen.ScreenText)  # (the native type takes no spy)
    w = LogWriter(logs, cols=100, rows=30)
    w.output("a\r\n").resize(132, 43).output("b\r\n").end()
    indexer.index_pass(db, logs)
    assert (100, 30) in seen and seen[-1] == (132, 43)


def _writer(logs_dir, n, marker):
    w = LogWriter(logs_dir)
    for i in range(n):
        w.output(f"{marker} line {i}\r\n", dt=0.001)
    w.end()


def test_concurrent_writers_while_indexing(logs, db, cs_home):
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(logs, 1500, m)) for m in ("aaa", "bbb")]
    for p in procs:
        p.start()
    passes = 0
    while any(p.is_alive() for p in procs) or passes < 2:
        indexer.index_pass(db, logs)
        passes += 1
    for p in procs:
        p.join()
        assert p.exitcode == 0
    indexer.index_pass(db, logs)
    for marker in ("aaa", "bbb"):
        got = db.execute("SELECT count(*) FROM lines WHERE text LIKE ?", [marker + " line %"]).fetchone()[0]
        assert got == 1500
    assert db.execute("SELECT count(DISTINCT status) FROM sessions").fetchone()[0] == 1
    fresh = dbmod.open_db(paths.cs_home() / "fresh.db")
    indexer.index_pass(fresh, logs)
    assert index_snapshot(fresh) == index_snapshot(db)


def test_rebuild_gives_identical_results(logs, db, cs_home):
    a = LogWriter(logs)
    a.output("one\r\ntwo partial")
    indexer.index_pass(db, logs)
    a.output(" done\r\n").input("typed\r").end()
    b = LogWriter(logs, cwd="/home/u/b")
    b.output("\x1b[1mbold\x1b[0m text\r\n")
    indexer.index_pass(db, logs)
    b.output("live tail")
    indexer.index_pass(db, logs)
    incremental = index_snapshot(db)
    old_inode = paths.db_path().stat().st_ino
    indexer.rebuild()
    rebuilt = dbmod.open_db()
    assert paths.db_path().stat().st_ino != old_inode
    assert index_snapshot(rebuilt) == incremental
    assert not list(paths.cs_home().glob("*.rebuild*"))
    b.close()


def test_fts_matches_lines_exactly(logs, db):
    """The indexer fills lines_fts itself (no insert trigger): after passes with
    provisional rows replaced, restarts and deletions, FTS agrees with lines."""
    w = LogWriter(logs)
    for i in range(5):
        w.output(f"line number {i}\r\npartial {i}")
        indexer.index_pass(db, logs)
    w.end()
    indexer.index_pass(db, logs)
    db.execute("INSERT INTO lines_fts(lines_fts) VALUES ('integrity-check')")  # raises if out of step
    ids = [r[0] for r in db.execute("SELECT id FROM lines ORDER BY id").fetchall()]
    fts = [
        r[0]
        for r in db.execute("SELECT rowid FROM lines_fts WHERE lines_fts MATCH '\"line\"' ORDER BY rowid").fetchall()
    ]
    assert fts == [r[0] for r in db.execute("SELECT id FROM lines WHERE text LIKE '%line%' ORDER BY id").fetchall()]
    assert len(ids) == len(set(texts(db, w.sid)))
    dbmod.delete_sessions(db, [w.sid])
    db.execute("INSERT INTO lines_fts(lines_fts) VALUES ('integrity-check')")
    assert db.execute("SELECT count(*) FROM lines_fts WHERE lines_fts MATCH '\"line\"'").fetchone()[0] == 0


def test_pass_boundaries_do_not_change_the_result(logs, cs_home):
    """Indexing after every chunk (even between two halves of one frame) gives
    the same lines as indexing once at the end."""
    gap = b"\x1b[1C"
    words = b"streamed answer with E777 inside and more words after".split()
    w = LogWriter(logs)
    chunks = []
    for i in range(2, len(words) + 1):
        frame = b"\r\x1b[2K" + gap.join(words[:i]) + b"\r\n\x1b[2K" + b"-\\|/"[i % 4 : i % 4 + 1] + b" Working\x1b[1A\r"
        half = len(frame) // 2
        chunks += [(frame[:half], 0.05), (frame[half:], 0.0)]  # a PTY split: same millisecond
    chunks.append((b"\r\n\r\ndone\r\n", 0.05))
    step = dbmod.open_db(paths.cs_home() / "step.db")
    for data, dt in chunks:
        w.output(data, dt=dt)
        indexer.index_pass(step, logs)
    w.end()
    indexer.index_pass(step, logs)
    once = dbmod.open_db(paths.cs_home() / "once.db")
    indexer.index_pass(once, logs)
    assert index_snapshot(step)[0] == index_snapshot(once)[0]
    assert [t for t in texts(once, w.sid) if "E777" in t] == [b" ".join(words).decode()]


def _many_sessions(logs, n=60, lines=500):
    for i in range(n):
        w = LogWriter(logs, lock=False)
        for j in range(lines):
            w.output(f"session {i} line {j} with some words to index\r\n", dt=0.001)
        w.end()


def test_rebuild_killed_midway_leaves_the_old_index(logs, db, cs_exe, cs_home):
    import signal
    import subprocess
    import time

    _many_sessions(logs)
    indexer.index_pass(db, logs)
    before = index_snapshot(db)
    db.conn.close()
    proc = subprocess.Popen([cs_exe, "index", "--rebuild", "-q"])
    time.sleep(0.4)  # usually mid-way; if it already finished, the index must be identical anyway
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = dbmod.open_db()
    assert index_snapshot(after) == before
    after.execute("PRAGMA integrity_check")
    # The next rebuild clears what the killed one left and completes.
    assert subprocess.run([cs_exe, "index", "--rebuild", "-q"]).returncode == 0
    assert not list(paths.cs_home().glob("*.rebuild*"))
    assert index_snapshot(dbmod.open_db()) == before


def test_catch_up_does_not_stat_the_logs_of_ended_sessions(logs, db, monkeypatch):
    """A reading command's catch-up (indexer.catch_up) knows from the listing
    and the index that an ended session's logs are as indexed: it stats only
    the others. `cs index` (index_pass) still checks every file."""
    ended = LogWriter(logs, lock=False).output("an ended session\r\n").end()
    cut = LogWriter(logs, lock=False).output("a session whose recorder died\r\n")  # no end line
    live = LogWriter(logs).output("a live session\r\n")
    indexer.index_pass(db, logs)
    statuses = dict(db.execute("SELECT id, status FROM sessions").fetchall())
    assert (statuses[ended.sid], statuses[cut.sid], statuses[live.sid]) == ("finished", "cut_off", "running")
    seen = []
    real_lstat = os.lstat
    monkeypatch.setattr(indexer.os, "lstat", lambda p, *a, **k: seen.append(str(p)) or real_lstat(p, *a, **k))
    new = LogWriter(logs, lock=False).output("a new session\r\n").end()
    indexer.catch_up(db, logs)
    assert logs_statted(seen) == {str(live.path), str(new.path)}
    assert "a new session" in texts(db, new.sid)
    # What the listing shows is still noticed: an ended session's segment renamed (compressed).
    import gzip

    gz = ended.path.with_name(ended.path.name + ".gz")
    gz.write_bytes(gzip.compress(ended.path.read_bytes()))
    ended.path.unlink()
    seen.clear()
    indexer.catch_up(db, logs)
    assert logs_statted(seen) == {str(live.path), str(gz)}  # the renamed one is looked at
    assert db.execute("SELECT name FROM log_files WHERE session_id = ?", [ended.sid]).fetchone()[0] == gz.name
    # `cs index` checks every file.
    seen.clear()
    indexer.index_pass(db, logs)
    assert logs_statted(seen) == {str(w.path) for w in (cut, live, new)} | {str(gz)}


def logs_statted(paths) -> set:
    return {p for p in paths if p.endswith((".jsonl", ".jsonl.gz"))}


# ---------------------------------------------------------------- the catch-up's watermark


@pytest.fixture
def later(monkeypatch):
    """The clock a few seconds on: what logs/ looks like now is no longer
    racy (a name added within the file system's timestamp granularity could
    hide behind it), so a clean pass stores it as the watermark."""
    import time

    real = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real() + 10 * indexer.RACY_NS)


def listings(monkeypatch, logs) -> list:
    """Every listing of logs/ from here on (the catch-up's scan is one)."""
    seen = []
    real = os.scandir
    monkeypatch.setattr(os, "scandir", lambda p=".": (str(p) == str(logs) and seen.append(str(p))) or real(p))
    return seen


def watermark(db):
    return db.execute("SELECT logs_dir, dev, ino, mtime_ns, ctime_ns FROM catch_up_watermark").fetchone()


def test_catch_up_reads_only_live_sessions_while_logs_is_unchanged(logs, db, monkeypatch, later):
    """After a clean pass, while logs/ keeps its mtime and ctime, a reading
    command's catch-up neither lists logs/ nor stats an ended session's log:
    it reads the sessions indexed as running, whose logs grow in place."""
    ended = LogWriter(logs, lock=False).output("an ended session\r\n").end()
    cut = LogWriter(logs, lock=False).output("a cut off session\r\n")
    live = LogWriter(logs).output("a live session\r\n")
    indexer.index_pass(db, logs)
    assert watermark(db) is not None
    seen, statted = listings(monkeypatch, logs), []
    real_lstat = os.lstat
    monkeypatch.setattr(indexer.os, "lstat", lambda p, *a, **k: statted.append(str(p)) or real_lstat(p, *a, **k))
    live.output("appended while nobody watched\r\n")
    result = indexer.catch_up(db, logs)
    assert result.stale is None and not result.stats.incomplete
    assert seen == []  # no listing
    assert logs_statted(statted) == {str(live.path)}  # not the ended nor the cut-off one
    assert "appended while nobody watched" in texts(db, live.sid)
    # The live session ends: the next catch-up sees it (no name changed).
    live.output("last words\r\n").end()
    live.close()
    indexer.catch_up(db, logs)
    assert "last words" in texts(db, live.sid)
    assert session(db, live.sid)["status"] == "finished"
    statted.clear()
    indexer.catch_up(db, logs)
    assert logs_statted(statted) == set() and seen == []  # nothing left to look at
    assert {session(db, w.sid)["status"] for w in (ended, cut)} == {"finished", "cut_off"}


def test_catch_up_sees_a_new_log_and_a_new_segment(logs, db, monkeypatch, later):
    """A new session, a live session's next segment: names added to logs/
    change its mtime and ctime, so the next catch-up lists logs/ again."""
    live = LogWriter(logs).output("first segment\r\n")
    LogWriter(logs, lock=False).output("old news\r\n").end()
    indexer.index_pass(db, logs)
    before = watermark(db)
    assert before is not None
    seen = listings(monkeypatch, logs)
    new = LogWriter(logs, lock=False).output("a brand new session\r\n").end()
    indexer.catch_up(db, logs)
    assert seen == [str(logs)]
    assert "a brand new session" in texts(db, new.sid)
    assert watermark(db) != before  # the new state, stored (the clock says it is old enough)
    seen.clear()
    live.rotate()
    live.output("second segment\r\n")
    indexer.catch_up(db, logs)
    assert seen == [str(logs)]
    assert "second segment" in texts(db, live.sid)


def test_catch_up_watermark_is_not_fooled_by_a_restored_mtime(logs, db, monkeypatch, later):
    """`touch -d` or a restore can set logs/'s mtime back to the stored one;
    its ctime cannot be set back, and both must match."""
    LogWriter(logs, lock=False).output("indexed\r\n").end()
    indexer.index_pass(db, logs)
    _, _, _, mtime_ns, _ = watermark(db)
    new = LogWriter(logs, lock=False).output("added behind a restored mtime\r\n").end()
    os.utime(logs, ns=(mtime_ns, mtime_ns))
    assert os.stat(logs).st_mtime_ns == mtime_ns
    indexer.catch_up(db, logs)
    assert "added behind a restored mtime" in texts(db, new.sid)


def test_catch_up_watermark_is_not_stored_while_racy(logs, db, monkeypatch):
    """Within RACY_NS of logs/'s last change (real clock), a name added after
    our listing in the same timestamp tick would leave the same times behind:
    no watermark is stored, the next catch-up lists logs/ again."""
    LogWriter(logs, lock=False).output("just written\r\n").end()
    indexer.catch_up(db, logs)
    assert watermark(db) is None
    seen = listings(monkeypatch, logs)
    new = LogWriter(logs, lock=False).output("a moment later\r\n").end()
    indexer.catch_up(db, logs)
    assert seen == [str(logs)] and "a moment later" in texts(db, new.sid)


def test_catch_up_watermark_needs_a_clean_pass(logs, db, monkeypatch, later):
    """A pass that skipped a name (not a regular file) or ran out of budget
    stores no watermark, so what it skipped is reported and retried next time."""
    LogWriter(logs, lock=False).output("fine\r\n").end()
    fifo = logs / "12345678-1234-4000-8000-0000000000ff.jsonl"
    os.mkfifo(fifo)
    result = indexer.catch_up(db, logs)
    assert result.stats.skipped_files == [fifo.name]
    assert watermark(db) is None
    assert indexer.catch_up(db, logs).stats.skipped_files == [fifo.name]  # said again
    fifo.unlink()
    indexer.catch_up(db, logs)
    assert watermark(db) is not None
    LogWriter(logs, lock=False).output("over budget\r\n").end()
    assert indexer.catch_up(db, logs, budget=0).stats.incomplete
    assert watermark(db) is None

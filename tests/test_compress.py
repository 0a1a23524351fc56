"""cs compress on real files: what is compressed, what never is, the result
reads as the same stream (cs.log, zcat | jq), index rows follow, private
modes, interrupted states, and apply_policy (what the watcher runs)."""

import gzip
import json
import os
import subprocess
from datetime import UTC

from cs.log import jsonl, locks, paths, store
from tests.helpers.cli import run_cs
from tests.helpers.logs import make_session
from tests.helpers.sessions import LiveLock, index_all, index_state, session_files, tree_hashes


def records(logs, sid):
    return [(n, off, end, rec) for n, off, end, rec in store.iter_session_records(logs, sid)]


def compress_json(cs_exe, *args):
    return json.loads(run_cs(cs_exe, "compress", "--json", *args).stdout)


def test_old_finished_sessions_are_gzipped_segment_by_segment(cs_exe, logs):
    old = make_session(logs, 10, segments=3, chunks=30)
    old_cut = make_session(logs, last_days_ago=9)
    recent = make_session(logs, 2)
    index_all(logs, [old, old_cut, recent])
    before = {sid: records(logs, sid) for sid in (old, old_cut, recent)}
    recent_bytes = (logs / store.segment_name(recent)).read_bytes()

    result = compress_json(cs_exe)  # default compress_after = 7d

    assert sorted(s["id"] for s in result["sessions"]) == sorted([old, old_cut])
    assert session_files(logs, old) == sorted(store.segment_name(old, n, True) for n in (1, 2, 3))
    assert session_files(logs, old_cut) == [store.segment_name(old_cut, 1, True)]
    assert (logs / store.segment_name(recent)).read_bytes() == recent_bytes
    # the same stream, same uncompressed offsets
    for sid in (old, old_cut, recent):
        assert records(logs, sid) == before[sid]
    assert result["bytes_after"] < result["bytes_before"] and result["ratio"] > 1
    # index rows now name the .gz files; offsets (uncompressed) unchanged
    _, names, _, _ = index_state(paths.db_path())
    assert store.segment_name(old, 2, True) in names and store.segment_name(old, 2) not in names
    import sqlite3

    conn = sqlite3.connect(paths.db_path())
    name, inode, size, offset = conn.execute(
        "SELECT name, inode, size, offset FROM log_files WHERE session_id = ? AND segment = 3", [old]
    ).fetchone()
    gz = logs / name
    assert (inode, size) == (gz.stat().st_ino, gz.stat().st_size)
    assert offset == len(gzip.decompress(gz.read_bytes()))


def test_zcat_and_jq_read_compressed_logs(cs_exe, logs):
    sid = make_session(logs, 10)
    plain = (logs / store.segment_name(sid)).read_bytes()
    compress_json(cs_exe)
    gz = logs / store.segment_name(sid, compressed=True)
    zcat = subprocess.run(["zcat", str(gz)], capture_output=True, check=True)
    assert zcat.stdout == plain
    jq = subprocess.run(
        ["jq", "-r", 'select(.direction == "output") | .data'], input=zcat.stdout, capture_output=True, check=True
    )
    assert jq.stdout.split()[0].decode() == json.loads(plain.splitlines()[2])["data"]


def test_live_session_is_never_compressed(cs_exe, logs):
    live = make_session(logs, last_days_ago=30, segments=2)
    lock = LiveLock(logs, live)
    try:
        result = compress_json(cs_exe, "--older", "1d")
        assert result["sessions"] == [] and result["skipped_live"] == 1
        assert session_files(logs, live) == sorted([store.segment_name(live), store.segment_name(live, 2)])
    finally:
        lock.release()


def test_dry_run_changes_nothing(cs_exe, cs_home, logs):
    sid = make_session(logs, 10, segments=2)
    index_all(logs, [sid])
    before = tree_hashes(cs_home)
    result = compress_json(cs_exe, "--dry-run")
    assert [s["id"] for s in result["sessions"]] == [sid] and result["files"] == 2
    proc = run_cs(cs_exe, "compress", "--dry-run")
    assert "Would compress 1 session" in proc.stdout
    assert tree_hashes(cs_home) == before


def test_compressed_files_are_private_whatever_the_umask(cs_exe, logs):
    make_session(logs, 10)
    proc = subprocess.run(["sh", "-c", 'umask 000; exec "$0" compress', cs_exe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (gz,) = logs.iterdir()
    assert gz.name.endswith(".gz") and gz.stat().st_mode & 0o777 == 0o600


def test_interrupted_states_are_repaired(cs_exe, logs):
    """What a kill can leave: a stray temp file, plain + complete .gz, plain +
    torn .gz, a .gz whose index row still names the plain file."""
    a, b, c, d = (make_session(logs, 10) for _ in range(4))
    index_all(logs, [a, b, c, d])
    want = {sid: records(logs, sid) for sid in (a, b, c, d)}
    # a: killed while writing the temp file
    fd = paths.create_private_file(logs / f".{store.segment_name(a)}.gz.tmp")
    os.write(fd, b"\x1f\x8b\x08partial")
    os.close(fd)
    # b: killed after the rename, before removing the plain file
    data_b = (logs / store.segment_name(b)).read_bytes()
    (logs / store.segment_name(b, compressed=True)).write_bytes(gzip.compress(data_b))
    # c: a .gz that is not the plain file's content (torn): the plain file wins
    data_c = (logs / store.segment_name(c)).read_bytes()
    (logs / store.segment_name(c, compressed=True)).write_bytes(gzip.compress(data_c)[:-20])
    # d: killed after removing the plain file, before renaming the index row
    data_d = (logs / store.segment_name(d)).read_bytes()
    (logs / store.segment_name(d, compressed=True)).write_bytes(gzip.compress(data_d))
    (logs / store.segment_name(d)).unlink()
    # readers meanwhile see the complete plain file wherever both exist
    for sid in (a, b, c, d):
        assert records(logs, sid) == want[sid]

    result = compress_json(cs_exe)

    assert result["temps_removed"] == 1 and result["index_rows_fixed"] == 1
    assert sorted(os.listdir(logs)) == sorted(store.segment_name(s, compressed=True) for s in (a, b, c, d))
    for sid in (a, b, c, d):
        assert records(logs, sid) == want[sid]
    _, names, _, _ = index_state(paths.db_path())
    assert names == {store.segment_name(s, compressed=True) for s in (a, b, c, d)}


def test_prune_removes_plain_and_gz_and_temp_files(cs_exe, logs):
    sid = make_session(logs, 40, segments=2)
    data = (logs / store.segment_name(sid)).read_bytes()
    (logs / store.segment_name(sid, compressed=True)).write_bytes(gzip.compress(data))
    fd = paths.create_private_file(logs / f".{store.segment_name(sid, 2)}.gz.tmp")
    os.close(fd)
    result = json.loads(run_cs(cs_exe, "prune", "--older", "30d", "--json").stdout)
    assert result["files_removed"] == 4
    assert os.listdir(logs) == []


def test_compress_after_off_and_explicit_older(cs_exe, logs):
    sid = make_session(logs, 100)
    run_cs(cs_exe, "config", "compress_after", "off")
    proc = run_cs(cs_exe, "compress")
    assert "Compression is off" in proc.stdout
    assert session_files(logs, sid) == [store.segment_name(sid)]
    compress_json(cs_exe, "--older", "50d")
    assert session_files(logs, sid) == [store.segment_name(sid, compressed=True)]


def test_bad_older_value_exits_2(cs_exe, cs_home, logs):
    make_session(logs, 100)
    before = tree_hashes(cs_home)
    for bad in ("7x", "-7d", "soon"):
        proc = run_cs(cs_exe, "compress", "--older", bad, check=False)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert tree_hashes(cs_home) == before


def test_apply_policy_prunes_and_compresses_as_configured(cs_home, logs):
    from cs import config
    from cs.maintenance import schedule

    very_old = make_session(logs, 200)
    old = make_session(logs, 30)
    recent = make_session(logs, 1)
    live = make_session(logs, last_days_ago=300)
    index_all(logs, [very_old, old, recent, live])
    config.set_value("retention", "90d")
    config.set_value("compress_after", "7d")
    lock = LiveLock(logs, live)
    try:
        result = schedule.apply_policy()
    finally:
        lock.release()
    assert result["errors"] == [] and not result["busy"]
    assert [s["id"] for s in result["pruned"]["removed"]] == [very_old]
    assert [s["id"] for s in result["compressed"]["sessions"]] == [old]
    assert session_files(logs, old) == [store.segment_name(old, compressed=True)]
    assert session_files(logs, recent) == [store.segment_name(recent)]
    assert session_files(logs, live) == [store.segment_name(live)]
    assert index_state(paths.db_path())[0] == {old, recent, live}


def test_apply_policy_reports_a_broken_config_and_changes_nothing(cs_home, logs):
    from cs.maintenance import schedule

    sid = make_session(logs, 400)
    (cs_home / "config.toml").write_text("retention = [\n")
    before = tree_hashes(cs_home)
    result = schedule.apply_policy()
    assert result["errors"] and "config.toml" in result["errors"][0]
    assert tree_hashes(cs_home) == before and session_files(logs, sid)


def test_apply_policy_does_not_wait_for_another_run(cs_home, logs):
    from cs.maintenance import schedule

    make_session(logs, 400)
    with locks.held(locks.MAINTENANCE, home=cs_home):
        result = schedule.apply_policy()
    assert result["busy"] is True


def test_segments_and_gz_read_as_one_stream(logs):
    sid = make_session(logs, 10, segments=4, compressed_segments=(2, 4), chunks=40)
    recs = records(logs, sid)
    assert [n for n, *_ in recs][0] == 1 and {n for n, *_ in recs} == {1, 2, 3, 4}
    assert recs[0][3]["type"] == "start" and recs[-1][3]["type"] == "end"
    io = [r for *_, r in recs if ("direction" in r)]
    assert [jsonl.decode_data(r).split(b" ")[1] for r in io] == [str(i).encode() for i in range(40)]


def test_budget_limits_one_call_and_the_next_continues(cs_home, logs):
    from datetime import datetime, timedelta

    from cs.maintenance import compress

    sids = [make_session(logs, 10 + i, chunks=50) for i in range(4)]
    cutoff = datetime.now(UTC) - timedelta(days=7)
    first = compress.compress(older_than=cutoff, budget_bytes=1)
    assert len(first["sessions"]) == 1 and first["remaining"] == 3
    assert first["sessions"][0]["id"] == sids[-1]  # oldest first
    second = compress.compress(older_than=cutoff)
    assert len(second["sessions"]) == 3 and second["remaining"] == 0


def test_apply_policy_with_the_watchers_connection(cs_home, logs):
    """The watcher passes its own open database; rows change through it."""
    from cs import config
    from cs.db import open_db
    from cs.maintenance import schedule

    old, kept = make_session(logs, 200), make_session(logs, 10)
    index_all(logs, [old, kept])
    config.set_value("retention", "30d")
    db = open_db()
    try:
        result = schedule.apply_policy(db)
        assert [s["id"] for s in result["pruned"]["removed"]] == [old]
        assert [r[0] for r in db.execute("SELECT id FROM sessions")] == [kept]
        assert [r[0] for r in db.execute("SELECT name FROM log_files")] == [store.segment_name(kept, compressed=True)]
    finally:
        db.conn.close()


def test_index_search_and_show_read_segments_and_gz_as_one(cs_exe, logs):
    """With the indexer: a rotated, partly compressed session is indexed,
    searched and shown as one; compressing the rest re-reads nothing."""
    import sqlite3

    sid = make_session(logs, 20, segments=3, compressed_segments=(2,), chunks=30)
    run_cs(cs_exe, "index", "-q")
    raw = run_cs(cs_exe, "show", "--raw", sid).stdout.encode()
    want = b"".join(
        jsonl.decode_data(r) for *_, r in records(logs, sid) if ("direction" in r) and r["direction"] == "output"
    )
    assert raw == want  # all three segments, in order, the .gz one included
    hits = [json.loads(line) for line in run_cs(cs_exe, "search", "--jsonl", "chunk 29 of").stdout.splitlines()]
    assert hits and all(h.get("session_id", sid) == sid for h in hits)

    conn = sqlite3.connect(paths.db_path())
    lines_before = conn.execute("SELECT id, text FROM lines ORDER BY id").fetchall()
    offsets_before = conn.execute("SELECT segment, offset FROM log_files ORDER BY segment").fetchall()
    conn.close()
    compress_json(cs_exe)  # segments 1 and 3 now
    run_cs(cs_exe, "index", "-q")
    conn = sqlite3.connect(paths.db_path())
    assert conn.execute("SELECT id, text FROM lines ORDER BY id").fetchall() == lines_before
    assert conn.execute("SELECT segment, offset FROM log_files ORDER BY segment").fetchall() == offsets_before
    assert {r[0] for r in conn.execute("SELECT name FROM log_files")} == {
        store.segment_name(sid, n, compressed=True) for n in (1, 2, 3)
    }
    conn.close()
    assert run_cs(cs_exe, "show", "--raw", sid).stdout.encode() == want
    assert run_cs(cs_exe, "search", "--jsonl", "chunk 29 of").stdout.splitlines()

"""cs prune on real log files and a real SQLite index: by age, count and size,
narrowed by project/cwd, dry-run, live sessions, config policy, bad values."""

import json
import os
import subprocess
import time
from datetime import UTC

import pytest

from cs.log import jsonl, paths, store
from tests.helpers.cli import run_cs
from tests.helpers.logs import make_session
from tests.helpers.sessions import LiveLock, all_session_ids, index_all, index_state, session_files, tree_hashes


def prune_json(cs_exe, *args):
    return json.loads(run_cs(cs_exe, "prune", "--json", *args).stdout)


def test_older_removes_every_file_and_row_of_old_sessions(cs_exe, logs):
    old = make_session(logs, 40)
    old_cut = make_session(logs, last_days_ago=35)  # cut off: age = its last line
    old_multi = make_session(logs, 60, segments=3, compressed_segments=(1, 2))
    recent = make_session(logs, 20)
    recent_cut = make_session(logs, last_days_ago=2)
    index_all(logs, [old, old_cut, old_multi, recent, recent_cut])
    import sqlite3

    def lines_per_session():
        conn = sqlite3.connect(paths.db_path())
        try:
            return dict(conn.execute("SELECT session_id, count(*) FROM lines GROUP BY session_id").fetchall())
        finally:
            conn.close()

    before = lines_per_session()
    assert set(before) == {old, old_cut, old_multi, recent, recent_cut}

    result = prune_json(cs_exe, "--older", "30d")

    assert sorted(s["id"] for s in result["removed"]) == sorted([old, old_cut, old_multi])
    for sid in (old, old_cut, old_multi):
        assert session_files(logs, sid) == []
    assert session_files(logs, recent) and session_files(logs, recent_cut)
    sessions, names, nlines, nfts = index_state(paths.db_path())
    assert sessions == {recent, recent_cut}
    assert all(n.startswith((recent, recent_cut)) for n in names)
    assert nlines == nfts  # FTS rows went with their lines
    assert lines_per_session() == {sid: before[sid] for sid in (recent, recent_cut)}
    assert result["bytes_freed"] > 0
    # the FTS index no longer finds text that only the removed sessions had
    conn = sqlite3.connect(paths.db_path())
    hits = conn.execute("SELECT count(*) FROM lines_fts WHERE lines_fts MATCH ?", [f'"{old[:8]}"']).fetchone()[0]
    assert hits == 0
    assert conn.execute("SELECT count(*) FROM lines_fts WHERE lines_fts MATCH ?", [f'"{recent[:8]}"']).fetchone()[0] > 0


def test_bytes_freed_is_what_the_files_held(cs_exe, logs):
    old = make_session(logs, 10, segments=2, compressed_segments=(2,))
    size = sum(p.stat().st_size for p in logs.glob(f"{old}*"))
    result = prune_json(cs_exe, "--older", "5d")
    assert result["bytes_freed"] == size
    assert result["removed"][0]["bytes"] == size
    assert result["files_removed"] == 2


def test_older_accepts_a_date(cs_exe, logs):
    from datetime import datetime, timedelta

    old, recent = make_session(logs, 10), make_session(logs, 3)
    cutoff = (datetime.now(UTC) - timedelta(days=6)).strftime("%Y-%m-%d")
    result = prune_json(cs_exe, "--older", cutoff)
    assert [s["id"] for s in result["removed"]] == [old]
    assert session_files(logs, recent)


def test_keep_n_keeps_the_newest(cs_exe, logs):
    sids = [make_session(logs, days) for days in (1, 2, 3, 4, 5)]
    result = prune_json(cs_exe, "--keep", "2")
    assert sorted(s["id"] for s in result["removed"]) == sorted(sids[2:])
    assert all(session_files(logs, s) for s in sids[:2])
    assert result["kept"] == 2


def test_max_size_keeps_the_newest_prefix_that_fits(cs_exe, logs):
    sids = [make_session(logs, days, chunks=30) for days in (1, 2, 3, 4)]
    sizes = [sum(p.stat().st_size for p in logs.glob(f"{s}*")) for s in sids]
    limit = sizes[0] + sizes[1] + sizes[2] // 2  # the third no longer fits
    result = prune_json(cs_exe, "--max-size", str(limit))
    assert sorted(s["id"] for s in result["removed"]) == sorted(sids[2:])
    assert all("max-size" in s["reasons"] for s in result["removed"])
    remaining = sum(p.stat().st_size for p in logs.iterdir())
    assert remaining <= limit


def test_project_and_cwd_narrow_what_is_considered(cs_exe, logs):
    a = make_session(logs, 40, cwd="/src/alpha/sub", git_toplevel="/src/alpha")
    b = make_session(logs, 40, cwd="/src/beta")
    c = make_session(logs, 40, cwd="/src/alphabet")
    result = prune_json(cs_exe, "--older", "30d", "--project", "alpha")
    assert [s["id"] for s in result["removed"]] == [a]
    result = prune_json(cs_exe, "--older", "30d", "--cwd", "/src/alpha")
    assert result["removed"] == []  # /src/alphabet is not under /src/alpha
    result = prune_json(cs_exe, "--older", "30d", "--cwd", "/src/beta")
    assert [s["id"] for s in result["removed"]] == [b]
    assert session_files(logs, c)


def test_dry_run_changes_nothing(cs_exe, cs_home, logs):
    old = make_session(logs, 40, segments=2, compressed_segments=(1,))
    make_session(logs, 1)
    index_all(logs, all_session_ids(logs))
    before = tree_hashes(cs_home)

    proc = run_cs(cs_exe, "prune", "--older", "30d", "--dry-run")
    assert old in proc.stdout and "Would remove 1 session" in proc.stdout
    result = prune_json(cs_exe, "--keep", "0", "--dry-run")
    assert len(result["removed"]) == 2 and result["dry_run"] is True
    assert result["bytes_freed"] == sum(p.stat().st_size for p in logs.iterdir())

    assert tree_hashes(cs_home) == before  # same files, same database bytes, no lock file


def test_dry_run_never_creates_or_migrates_a_database(cs_exe, cs_home, logs):
    make_session(logs, 40)
    run_cs(cs_exe, "prune", "--older", "30d", "--dry-run")
    assert not paths.db_path().exists()


def test_real_run_without_index_does_not_create_one(cs_exe, logs):
    old = make_session(logs, 40)
    prune_json(cs_exe, "--older", "30d")
    assert session_files(logs, old) == []
    assert not paths.db_path().exists()


def test_live_session_is_never_removed(cs_exe, logs):
    live = make_session(logs, last_days_ago=400, segments=2)
    dead = make_session(logs, last_days_ago=400)
    lock = LiveLock(logs, live)
    try:
        result = prune_json(cs_exe, "--older", "1d", "--keep", "0", "--max-size", "1")
        assert [s["id"] for s in result["removed"]] == [dead]
        assert result["live"] == [live]
        assert len(session_files(logs, live)) == 2
    finally:
        lock.release()
    # once the recorder is gone, it is an old cut-off session like any other
    result = prune_json(cs_exe, "--older", "1d")
    assert [s["id"] for s in result["removed"]] == [live]


def test_starting_session_without_lines_is_left_alone(cs_exe, logs):
    sid = "0b7f0d3c-6d7e-4f57-9d55-0c5a1f7e0e11"
    paths.ensure_private_dir(logs)
    os.close(paths.create_private_file(logs / store.segment_name(sid)))  # created, nothing yet
    result = prune_json(cs_exe, "--keep", "0")
    assert result["removed"] == [] and result["live"] == [sid]


@pytest.mark.parametrize(
    "args",
    [
        ["--older", "30x"],
        ["--older", "-1d"],
        ["--older", "yesterday"],
        ["--max-size", "lots"],
        ["--max-size", "-5G"],
        ["--keep", "-1"],
        ["--keep", "many"],
    ],
)
def test_bad_values_exit_2_and_change_nothing(cs_exe, cs_home, logs, args):
    make_session(logs, 40)
    before = tree_hashes(cs_home)
    proc = run_cs(cs_exe, "prune", *args, check=False)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith("cs: ") and "Traceback" not in proc.stderr
    assert tree_hashes(cs_home) == before


def test_no_options_and_no_policy_does_nothing(cs_exe, cs_home, logs):
    sid = make_session(logs, 4000)
    proc = run_cs(cs_exe, "prune")
    assert "No retention policy configured" in proc.stdout
    assert session_files(logs, sid)


def test_no_options_applies_the_configured_policy(cs_exe, logs):
    old, recent = make_session(logs, 100), make_session(logs, 10)
    run_cs(cs_exe, "config", "retention", "90d")
    result = prune_json(cs_exe)
    assert [s["id"] for s in result["removed"]] == [old]
    assert session_files(logs, recent)
    run_cs(cs_exe, "config", "max_total_size", "1")
    result = prune_json(cs_exe)
    assert [s["id"] for s in result["removed"]] == [recent]


def test_broken_config_is_reported_not_applied(cs_exe, cs_home, logs):
    sid = make_session(logs, 100)
    paths.ensure_private_dir(cs_home)
    (cs_home / "config.toml").write_text('retention = "90 days"\n')
    proc = run_cs(cs_exe, "prune", check=False)
    assert proc.returncode != 0
    assert "config.toml" in proc.stderr and "retention" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert session_files(logs, sid)


def test_human_output_names_sessions_and_space(cs_exe, logs):
    old = make_session(logs, 40)
    proc = run_cs(cs_exe, "prune", "--older", "30d")
    assert old in proc.stdout and "Removed 1 session, freed" in proc.stdout


def test_new_files_are_private_whatever_the_umask(cs_exe, cs_home, logs):
    make_session(logs, 40)
    make_session(logs, 1)
    index_all(logs, all_session_ids(logs))
    env = dict(os.environ)
    proc = subprocess.run(
        [
            "sh",
            "-c",
            'umask 000; "$0" prune --older 30d && "$0" compress --older 0d && "$0" config retention 9d',
            cs_exe,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    for p in list(cs_home.rglob("*")):
        mode = p.stat().st_mode & 0o777
        assert mode == (0o700 if p.is_dir() else 0o600), (p, oct(mode))


def test_two_prunes_at_once_neither_fails_nor_double_counts(cs_exe, logs):
    sids = [make_session(logs, 40 + i % 50, chunks=2) for i in range(300)]
    index_all(logs, sids)
    total = sum(p.stat().st_size for p in logs.iterdir())
    procs = [
        subprocess.Popen([cs_exe, "prune", "--older", "30d", "--json"], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    removed = [s["id"] for r in results for s in r["removed"]]
    assert sorted(removed) == sorted(sids)  # each exactly once, between the two
    assert sum(r["bytes_freed"] for r in results) == total
    assert list(logs.iterdir()) == []
    assert index_state(paths.db_path())[0] == set()


def test_index_rows_of_vanished_sessions_are_cleaned(cs_exe, logs):
    gone, kept = make_session(logs, 5), make_session(logs, 5)
    index_all(logs, [gone, kept])
    for p in logs.glob(f"{gone}*"):
        p.unlink()
    result = prune_json(cs_exe, "--older", "30d")
    assert result["removed"] == [] and result["index_orphans_removed"] == 1
    assert index_state(paths.db_path())[0] == {kept}


def test_a_real_recording_survives_prune_and_compress(cs_exe, cs_home, logs):
    """`cs record` holds the live lock: --older 0d, --keep 0 and --max-size 1
    would all remove this session if it were not live."""
    from tests.helpers.pty import Term

    old = make_session(logs, 40)
    term = Term([cs_exe, "record", "--", "sh", "-c", "echo rec-ready; sleep 30"])
    try:
        term.expect(b"rec-ready")
        (live,) = [p.name.split(".")[0] for p in logs.iterdir() if not p.name.startswith(old)]
        result = prune_json(cs_exe, "--older", "0d", "--keep", "0", "--max-size", "1")
        assert [s["id"] for s in result["removed"]] == [old]
        assert result["live"] == [live]
        result = json.loads(run_cs(cs_exe, "compress", "--older", "0d", "--json").stdout)
        assert result["sessions"] == [] and result["skipped_live"] == 1
        assert session_files(logs, live) == [store.segment_name(live)]
    finally:
        term.proc.terminate(force=True)
    term.proc.wait()
    result = prune_json(cs_exe, "--keep", "0")  # no recorder any more: it goes
    assert [s["id"] for s in result["removed"]] == [live]


def test_probing_never_blocks_a_recorder_taking_its_lock(logs):
    """The recorder creates segment 1, then takes LOCK_EX | LOCK_NB, then writes
    its start line. A probe of the still-empty file must take no lock, or the
    recorder's would fail; a probe of a written file holds LOCK_SH (shown by
    the same exclusive lock failing) until it closes its descriptor."""
    import errno
    import fcntl

    from cs.log import liveness

    sid = "1b7f0d3c-6d7e-4f57-9d55-0c5a1f7e0e12"
    paths.ensure_private_dir(logs)
    path = logs / store.segment_name(sid)
    os.close(paths.create_private_file(path))
    probe_fd = os.open(path, os.O_RDONLY)
    assert liveness.probe(probe_fd) == liveness.STARTING
    recorder_fd = os.open(path, os.O_RDWR)
    fcntl.flock(recorder_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # succeeds: the probe took nothing
    os.close(recorder_fd)
    os.close(probe_fd)

    path.write_bytes(jsonl.event_line(sid, "start", {"cwd": "/"}))
    probe_fd = os.open(path, os.O_RDONLY)
    assert liveness.probe(probe_fd) == liveness.IDLE
    recorder_fd = os.open(path, os.O_RDWR)
    with pytest.raises(OSError) as err:
        fcntl.flock(recorder_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert err.value.errno in (errno.EWOULDBLOCK, errno.EAGAIN)
    os.close(probe_fd)
    fcntl.flock(recorder_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once closed
    assert liveness.is_live(logs, sid)  # ...and now it is held: live
    os.close(recorder_fd)


def test_an_old_empty_log_is_not_protected_for_ever(cs_exe, logs):
    sid = "2b7f0d3c-6d7e-4f57-9d55-0c5a1f7e0e13"
    paths.ensure_private_dir(logs)
    path = logs / store.segment_name(sid)
    os.close(paths.create_private_file(path))
    old = time.time() - 3 * 86400
    os.utime(path, (old, old))
    result = prune_json(cs_exe, "--older", "1d")
    assert [s["id"] for s in result["removed"]] == [sid]

"""Prune and compress while `cs index --watch` is indexing new sessions: no
index row is left naming a file that is gone, and nothing kept is lost."""

import os
import signal
import sqlite3
import subprocess
import time

from cs.log import paths, store
from tests.helpers.cli import run_cs
from tests.helpers.logs import make_session


def _index_counts():
    conn = sqlite3.connect(f"file:{paths.db_path()}?mode=ro", uri=True, timeout=5)
    try:
        sessions = {r[0] for r in conn.execute("SELECT id FROM sessions")}
        names = {r[0] for r in conn.execute("SELECT name FROM log_files")}
    finally:
        conn.close()
    return sessions, names


def _wait_indexed(sids, bound=30):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if paths.db_path().exists():
            try:
                if set(sids) <= _index_counts()[0]:
                    return True
            except sqlite3.OperationalError:
                pass
        time.sleep(0.1)
    return False


def test_prune_and_compress_beside_a_running_watcher(cs_exe, cs_home):
    logs = paths.ensure_private_dir(paths.logs_dir())
    old = [make_session(logs, 40 + i % 20, segments=1 + i % 2) for i in range(300)]
    mid = [make_session(logs, 10 + i % 5) for i in range(50)]
    watcher = subprocess.Popen([cs_exe, "index", "--watch"], stderr=subprocess.PIPE)
    try:
        assert _wait_indexed(old + mid)
        # new sessions keep arriving (the watcher has passes to run) while we prune
        fresh = [make_session(logs, 0.01, chunks=5) for _ in range(20)]
        prune = subprocess.Popen([cs_exe, "prune", "--older", "30d"], stdout=subprocess.DEVNULL)
        fresh += [make_session(logs, 0.01, chunks=5) for _ in range(40)]
        assert prune.wait(timeout=60) == 0
        run_cs(cs_exe, "compress", "--older", "7d")
        fresh += [make_session(logs, 0.01, chunks=5) for _ in range(10)]
        assert _wait_indexed(mid + fresh)
        time.sleep(1.0)  # a few more passes
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=20)
    assert b"Traceback" not in err, err.decode()

    on_disk = set(os.listdir(logs))
    sessions, names = _index_counts()
    assert names <= on_disk, sorted(names - on_disk)[:5]
    assert sessions == set(mid + fresh)
    assert not any(n.startswith(tuple(old)) for n in on_disk)
    for sid in mid:  # compressed, every row renamed, nothing re-read twice
        assert store.segment_name(sid, compressed=True) in names

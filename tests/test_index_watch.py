"""`cs index --watch` and `--daemon`: a line a live session prints becomes
searchable within about a second, with no command run in between."""

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from cs.log import paths
from tests.helpers.logs import LogWriter
from tests.helpers.tools import process_state

BOUND = 5.0  # generous: this checks that it happens, not how fast


def db_has(text, provisional=None):
    """Ask the database directly: `cs search` would catch up by itself."""
    path = paths.db_path()
    if not path.exists():
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        sql = "SELECT provisional FROM lines WHERE text = ?"
        rows = conn.execute(sql, [text]).fetchall()
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
    return bool(rows) and (provisional is None or rows[0][0] == int(provisional))


def wait_for(predicate, bound=BOUND):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def watcher(cs_exe, cs_home):
    paths.ensure_private_dir(paths.logs_dir())
    proc = subprocess.Popen([cs_exe, "index", "--watch"], stderr=subprocess.PIPE)
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0
    assert b"Traceback" not in err, err.decode()


def test_live_line_searchable_within_a_second(watcher, cs_home):
    w = LogWriter(paths.logs_dir())
    assert wait_for(lambda: db_has_session(w.sid))
    w.output("first finished line\r\n")
    assert wait_for(lambda: db_has("first finished line"))
    w.output("still streaming on scr")
    assert wait_for(lambda: db_has("still streaming on scr", provisional=True))
    w.output("een\r\n")
    assert wait_for(lambda: db_has("still streaming on screen"))
    assert wait_for(lambda: not db_has("still streaming on scr"))
    w.close()  # recorder gone without an end line: the periodic pass notices
    assert wait_for(lambda: session_status(w.sid) == "cut_off", bound=15)


def db_has_session(sid):
    return session_status(sid) is not None


def session_status(sid):
    path = paths.db_path()
    if not path.exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute("SELECT status FROM sessions WHERE id = ?", [sid]).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()
    return row[0] if row else None


def test_second_watcher_exits_quietly(watcher, cs_exe, cs_home):
    assert wait_for(lambda: paths.db_path().exists())
    second = subprocess.run([cs_exe, "index", "--watch"], capture_output=True, timeout=10)
    assert second.returncode == 0 and second.stdout == b"" and second.stderr == b""


def test_watcher_follows_a_rebuild(watcher, cs_exe, cs_home):
    w = LogWriter(paths.logs_dir())
    w.output("before rebuild\r\n")
    assert wait_for(lambda: db_has("before rebuild"))
    subprocess.run([cs_exe, "index", "--rebuild", "-q"], check=True, timeout=30)
    w.output("after rebuild\r\n")
    assert wait_for(lambda: db_has("after rebuild"))
    assert db_has("before rebuild")
    w.end()


def test_daemon_starts_once_and_returns(cs_exe, cs_home):
    paths.ensure_private_dir(paths.logs_dir())
    first = subprocess.run([cs_exe, "index", "--daemon", "--quiet"], capture_output=True, timeout=10)
    assert first.returncode == 0 and first.stdout == b"" and first.stderr == b""
    pid = None
    try:
        assert wait_for(lambda: (paths.cs_home() / "indexer.lock").read_text().strip() != "")
        pid = int((paths.cs_home() / "indexer.lock").read_text())
        assert pid != os.getpid()
        again = subprocess.run([cs_exe, "index", "--daemon"], capture_output=True, timeout=10)
        assert again.returncode == 0 and b"already running" in again.stdout
        quiet = subprocess.run([cs_exe, "index", "--daemon", "-q"], capture_output=True, timeout=10)
        assert quiet.returncode == 0 and quiet.stdout == b"" and quiet.stderr == b""
        w = LogWriter(paths.logs_dir())
        w.output("seen by the daemon\r\n").end()
        assert wait_for(lambda: db_has("seen by the daemon"))
        assert (paths.cs_home() / "indexer.lock").stat().st_mode & 0o777 == 0o600
    finally:
        if pid:
            os.kill(pid, signal.SIGTERM)
            assert wait_for(lambda: not _alive(pid))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes (it is not our child to reap).
    state = process_state(pid)
    return bool(state) and not state.startswith("Z")


def test_maintenance_hook_applies_the_retention_policy(cs_home):
    from cs import db as dbmod
    from cs.index import watch
    from cs.log import paths as p

    w = LogWriter(p.logs_dir(), t0=time.time() - 90 * 86400)
    w.output("ancient\r\n").end()
    (cs_home / "config.toml").write_text('retention = "30d"\n')
    db = dbmod.open_db()
    from cs.index import indexer

    indexer.index_pass(db)
    assert watch.run_periodic_maintenance(db) == []
    assert not w.path.exists()
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_service_files_ship_and_parse():
    import configparser
    import plistlib
    from importlib import resources

    shell = resources.files("cs.shell")
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read_string(shell.joinpath("cs-indexer.service").read_text())
    assert unit["Service"]["ExecStart"].endswith("cs index --watch")
    plist = plistlib.loads(shell.joinpath("com.cs.indexer.plist").read_bytes())
    assert plist["Label"] == "com.cs.indexer"
    assert plist["ProgramArguments"][-1].endswith("cs index --watch")

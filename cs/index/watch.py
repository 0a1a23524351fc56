"""`cs index --watch`: follow the logs directory and keep the index current.

watchdog tells us when a log file changes; a short debounce (150 ms) gathers
a burst of writes into one pass, so a line a live session prints is searchable
well within a second. A slow periodic pass also runs without events: a session
whose recorder died changes no file, yet its status becomes cut_off.

Only one watcher runs per cs home: it holds flock on <home>/indexer.lock for
its whole life (the kernel drops it if the process dies; no pid file to go
stale). `--daemon` takes that lock *before* forking, so the shell integration
can call `cs index --daemon` on every shell start: a second start sees the lock
taken and returns at once, quietly.

A watcher exits by itself when its cs home is removed or replaced (checked on
every wake-up, at least every POLL_SECONDS), and `cs index --stop` stops it
(`stop_watcher`: SIGTERM to the pid in the lock file, then waits for the lock
to be released) (tests/test_hardening_files.py::test_watcher_exits_when_home_removed).
"""

import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from cs.log import locks, paths

DEBOUNCE_SECONDS = 0.15
POLL_SECONDS = 5.0
MAINTENANCE_SECONDS = 300.0
LOG_MAX_BYTES = 1 << 20


def try_lock_watcher():
    """The fd holding the watcher lock (our pid written in it), or None if
    another watcher holds it."""
    fd = locks.hold(locks.WATCHER)
    if fd is not None:
        _write_pid(fd)
    return fd


def _write_pid(fd) -> None:
    """For people (and tests) who want to know which process it is. The lock,
    not this number, is what keeps a second watcher out."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def stop_watcher(timeout: float = 5.0):
    """Stop this cs home's watcher: its pid, or None if none was running.
    Raises TimeoutError if it still holds its lock after `timeout` seconds."""
    try:
        fd = os.open(paths.cs_home() / locks.WATCHER, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    try:
        if _lock_free(fd):
            return None
        try:
            pid = int(os.pread(fd, 32, 0).split()[0])
        except (ValueError, IndexError):
            raise TimeoutError("the indexer's lock file names no process") from None
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while not _lock_free(fd):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the indexer (pid {pid}) did not stop within {timeout:g} s")
            time.sleep(0.05)
        return pid
    finally:
        os.close(fd)


def _lock_free(fd: int) -> bool:
    if not locks.flock(fd, exclusive=False, wait=0):
        return False
    locks.unlock(fd)
    return True


def _home_identity(home: Path):
    try:
        st = os.stat(home)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def start_daemon(on_pass=None) -> bool:
    """Fork a background watcher unless one runs. Returns at once: True if one
    was started, False if one was already running. `on_pass`: as for run_watch."""
    fd = try_lock_watcher()
    if fd is None:
        return False
    # The daemon runs in "/": a relative CS_HOME must keep naming the same home.
    os.environ["CS_HOME"] = str(paths.cs_home().absolute())
    pid = os.fork()
    if pid:
        os.close(fd)  # the grandchild's copy keeps the lock
        os.waitpid(pid, 0)  # the intermediate child exits immediately
        return True
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        os.chdir("/")
        _write_pid(fd)
        null = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):
            os.dup2(null, std)
        os.close(null)
        if on_pass is not None and hasattr(on_pass, "report"):
            on_pass.report = _log  # (the team's shipper: its errors in indexer.log)
        code = run_watch(lock_fd=fd, log_errors=True, on_pass=on_pass)
    except BaseException:
        code = 1
    os._exit(code)


def _log(message: str) -> None:
    """Errors of a background watcher go to <home>/indexer.log (private, capped)."""
    path = paths.cs_home() / "indexer.log"
    try:
        if path.exists() and path.stat().st_size > LOG_MAX_BYTES:
            path.unlink()
        fd = (
            paths.create_private_file(path)
            if not path.exists()
            else os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW)
        )
        with os.fdopen(fd, "a") as f:
            f.write(time.strftime("%Y-%m-%dT%H:%M:%S ") + message.rstrip() + "\n")
    except OSError:
        pass


def run_periodic_maintenance(db) -> list:
    """Retention and compression as configured (cs.maintenance.schedule.apply_policy);
    returns the problems it reported. A failure there never stops indexing
    (the caller logs it)."""
    from cs.maintenance.schedule import apply_policy

    result = apply_policy(db)
    return list(result.get("errors") or [])


def run_watch(
    lock_fd=None,
    debounce: float = DEBOUNCE_SECONDS,
    poll: float = POLL_SECONDS,
    maintenance_every: float = MAINTENANCE_SECONDS,
    stop: threading.Event = None,
    log_errors: bool = False,
    on_pass=None,
) -> int:
    """Watch until SIGTERM/SIGINT (or `stop` is set). Returns an exit status:
    0 also when another watcher already runs (nothing to do). `on_pass(stats)`
    is called after each pass, in the watcher's thread: it must return at once
    (the team's shipper, cs.team.follow.Shipper, only pokes its own thread;
    `cs index --watch/--daemon` gives it, so this room never imports cs.team);
    its `close()`, if it has one, is called on the way out."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    from cs.index import indexer

    if lock_fd is None:
        lock_fd = try_lock_watcher()
        if lock_fd is None:
            return 0
    stop = stop or threading.Event()
    changed = threading.Event()

    def report(msg):
        if log_errors:
            _log(msg)
        else:
            print(f"cs index: {msg}", file=sys.stderr)

    def on_signal(signum, frame):
        stop.set()
        changed.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event):
            if not event.is_directory:
                changed.set()

    logs_dir = paths.ensure_private_dir(paths.logs_dir())
    db_path = paths.db_path()
    observer = Observer()
    observer.schedule(Handler(), str(logs_dir), recursive=False)
    observer.start()
    db = inode = None
    cache = indexer.RenderCache()
    next_maintenance = time.monotonic() + maintenance_every
    home = paths.cs_home()
    home_id = _home_identity(home)
    skipped_reported = set()
    encrypted_reported = set()
    try:
        changed.set()  # a first pass at once
        while not stop.is_set():
            changed.wait(poll)
            if stop.is_set():
                break
            if _home_identity(home) != home_id:
                report(f"{home} was removed or replaced; the indexer exits")
                break
            if changed.is_set():
                time.sleep(debounce)  # let the rest of a burst of writes arrive
                changed.clear()
            try:
                if db is None or _inode(db_path) != inode:
                    # First pass, or `cs index --rebuild` swapped the file.
                    if db is not None:
                        db.conn.close()
                    db = indexer.open_db_migrating(db_path)
                    inode = _inode(db_path)
                    cache.clear()
                with locks.held(locks.PASS):
                    # Small committed steps: readers see new lines meanwhile.
                    stats = indexer.index_pass(db, logs_dir, cache=cache, step=indexer.STEP_SECONDS)
                for err in stats.errors:
                    if "EncryptedSession: " in err:  # no identity: said once per session, not every pass
                        if err in encrypted_reported:
                            continue
                        encrypted_reported.add(err)
                    report(err)
                for name in set(stats.skipped_files) - skipped_reported:
                    report(f"skipped {name} in logs/: not a regular file")  # once per name
                skipped_reported.update(stats.skipped_files)
                if stats.transcript_sessions_found:
                    report(
                        f"found {stats.transcript_sessions_found} Claude Code session(s) cs did not record"
                        " (transcript only; `cs list` marks them)"
                    )
                if on_pass:
                    on_pass(stats)
                if time.monotonic() >= next_maintenance:
                    next_maintenance = time.monotonic() + maintenance_every
                    for err in run_periodic_maintenance(db):
                        report(f"retention: {err}")
            except Exception:
                report(traceback.format_exc())
                time.sleep(1)
    finally:
        if on_pass is not None and hasattr(on_pass, "close"):
            on_pass.close()
        observer.stop()
        observer.join(timeout=2)
        if db is not None:
            db.conn.close()
        os.close(lock_fd)
    return 0


def _inode(path: Path):
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None

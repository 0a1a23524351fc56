"""Every lock cs takes, behind one flock helper.

flock locks belong to an open file description: closing the fd (or the
process dying) releases them, so no lock outlives a crash.

| lock        | file                           | held by                                    |
|-------------|--------------------------------|--------------------------------------------|
| live        | logs/<uuid>.jsonl (segment 1)  | the recorder, exclusive, for the session   |
|             |                                | (probes take it shared: cs.log.liveness)   |
| WATCHER     | <home>/indexer.lock            | the one watcher; its pid is written inside |
| PASS        | <home>/index.lock              | an indexing pass, catch-up or rebuild      |
| MAINTENANCE | <home>/prune.lock              | prune, compress, the watcher's policy run  |
| REBUILD     | <home>/rebuild.lock            | `cs index --rebuild`                       |

Tests: tests/test_locks.py (and every crash and concurrency test).
"""

import fcntl
import os
import time

from cs.log import paths

WATCHER = "indexer.lock"
PASS = "index.lock"
MAINTENANCE = "prune.lock"
REBUILD = "rebuild.lock"

_POLL_S = 0.02


def flock(fd: int, exclusive: bool = True, wait: float = None) -> bool:
    """Lock `fd`. `wait` None blocks until held; 0 tries once; otherwise polls
    up to `wait` seconds. True when held, False when someone else has it."""
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    if wait is None:
        fcntl.flock(fd, mode)
        return True
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_S)


def unlock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)


def open_lock_file(name: str, home=None) -> int:
    """The fd of <home>/<name>, created 0600 in a private home; never a symlink."""
    home = paths.ensure_private_dir(os.fspath(home) if home else paths.home())
    path = os.path.join(home, name)
    try:
        return paths.create_private_file(path, append=False)
    except FileExistsError:
        return os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)


class held:
    """`with held(name, wait) as got:` holds the named lock for the block; `got`
    says whether it is held (always True when `wait` is None). (A class, not
    contextlib: the recorder imports this module on every start.)"""

    def __init__(self, name: str, wait: float = None, home=None):
        self._fd = open_lock_file(name, home)
        self._wait = wait

    def __enter__(self) -> bool:
        try:
            return flock(self._fd, wait=self._wait)
        except BaseException:
            os.close(self._fd)
            raise

    def __exit__(self, *exc_info):
        os.close(self._fd)


def hold(name: str, home=None):
    """Take the named lock for as long as the returned fd stays open (the
    watcher's lifetime), or None if another process has it."""
    fd = open_lock_file(name, home)
    if flock(fd, wait=0):
        return fd
    os.close(fd)
    return None


def is_held(name: str, home=None) -> bool:
    """Does another process hold the named lock right now? (Never creates it.)"""
    home = os.fspath(home) if home else paths.home()
    try:
        fd = os.open(os.path.join(home, name), os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        return not flock(fd, exclusive=False, wait=0)
    finally:
        os.close(fd)


# Maintenance that deletes or moves files holds the pass lock meanwhile: an
# indexing pass that read a file just before we unlinked it could write its
# rows just after. Not for ever, though: a first indexing of a large history
# can hold it for minutes, and without it we are still safe (rows are deleted
# twice, and every prune removes index rows whose files are gone).
INDEXING_PAUSE_WAIT_S = 10.0


def indexing_paused(wait: float = INDEXING_PAUSE_WAIT_S):
    """Hold the indexer's pass lock if it can be had within `wait` seconds;
    yields whether it is held."""
    return held(PASS, wait=wait)

"""Is a session live? The live-lock contract (docs/log-format.md):

The recorder holds flock(LOCK_EX) on the open fd of segment 1 (<uuid>.jsonl)
for the whole session, even after rotating to later segments. Anyone asking
tries flock(LOCK_SH | LOCK_NB) on <uuid>.jsonl (or its .gz): EWOULDBLOCK means
a recorder is writing it. A session without an `end` line whose lock is free
was cut off.

Maintenance (prune, compress) goes further and *holds* the shared lock while it
works on a session: flock locks are per open file description, so keeping the
fd open for the duration documents "someone is looking at this" to any other
process that asks for an exclusive lock.
"""

import contextlib
import errno
import fcntl
import os
import time
from pathlib import Path

from cs.log.store import segment_name


def _open_first_segment(logs_dir: Path, session_id: str):
    """fd of segment 1, plain preferred (the recorder locks the plain file), else None."""
    for compressed, encrypted in ((False, False), (True, False), (True, True)):
        path = os.path.join(logs_dir, segment_name(session_id, 1, compressed, encrypted))
        try:
            return os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except (FileNotFoundError, OSError) as exc:
            if isinstance(exc, FileNotFoundError) or exc.errno in (errno.ENOENT, errno.ELOOP):
                continue
            raise
    return None


def try_shared_lock(fd: int) -> bool:
    """Take LOCK_SH on fd without waiting; False if a recorder holds LOCK_EX."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return False
        raise
    return True


# The recorder creates segment 1, then locks it (LOCK_EX | LOCK_NB), then
# writes the start line. A prober's LOCK_SH taken in between would make the
# recorder's lock fail, so an empty segment 1 is never probed: while young it
# counts as a session starting up, once old as one that never started.
STARTING_GRACE_S = 120

LIVE, STARTING, IDLE = "live", "starting", "idle"


def probe(fd: int) -> str:
    """LIVE, STARTING or IDLE for an open segment 1. IDLE leaves our shared
    lock taken on fd (released when fd is closed)."""
    st = os.fstat(fd)
    if st.st_size == 0:
        return STARTING if time.time() - st.st_mtime < STARTING_GRACE_S else IDLE
    return IDLE if try_shared_lock(fd) else LIVE


def is_live(logs_dir: Path, session_id: str) -> bool:
    """True while a recorder holds the session's lock (or may be about to: an
    empty, young segment 1). A session whose first segment is gone cannot be
    locked by anyone: not live."""
    fd = _open_first_segment(logs_dir, session_id)
    if fd is None:
        return False
    try:
        return probe(fd) != IDLE
    finally:
        os.close(fd)  # releases our shared lock, if we took it


@contextlib.contextmanager
def hold_if_idle(logs_dir: Path, session_id: str):
    """Yield True, holding a shared lock on segment 1, if the session is not
    live; yield False (and hold nothing) if a recorder has it or may be starting.
    A session with no segment 1 yields True: nothing a recorder could hold."""
    fd = _open_first_segment(logs_dir, session_id)
    if fd is None:
        yield True
        return
    try:
        yield probe(fd) == IDLE
    finally:
        os.close(fd)

"""Driving `cs record` the way a user does: under a real pseudo-terminal, reading
what the screen receives; and reading back the log it wrote."""

import base64
import json
import os
import select
import signal
import time
from pathlib import Path

import ptyprocess

from cs.log import store

# What a terminal's user relies on: ^C, ^\ and a hang-up end a program that
# does not choose otherwise. A test run started under nohup, or in the
# background of a script, has them ignored, and an ignored signal survives fork
# and exec; so every terminal a test opens gives them back their defaults, as a
# terminal emulator does (tests/test_recorder.py passes under nohup and with
# SIGINT/SIGQUIT ignored).
TERMINAL_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT)


def terminal_signal_defaults(then=None):
    """A preexec_fn: TERMINAL_SIGNALS at their defaults, then `then()` if given."""

    def preexec():
        for sig in TERMINAL_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        if then is not None:
            then()

    return preexec


class Term:
    """A real PTY (the 'user's terminal') with a command running in it, started
    with the terminal's signals at their defaults (terminal_signal_defaults)."""

    def __init__(self, argv, rows=24, cols=80, env=None, cwd=None, preexec_fn=None):
        env = dict(os.environ if env is None else env)
        env.setdefault("TERM", "xterm")
        self.proc = ptyprocess.PtyProcess.spawn(
            list(argv), env=env, dimensions=(rows, cols), cwd=cwd, preexec_fn=terminal_signal_defaults(preexec_fn)
        )
        self.fd = self.proc.fd
        self.screen = b""  # everything received so far
        self.eof = False

    def _pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 1 << 20)
        except OSError:  # EIO: the other side closed
            data = b""
        if not data:
            self.eof = True
            return False
        self.screen += data
        return True

    def expect(self, needle: bytes, timeout=15.0) -> bytes:
        """Read until `needle` appears after the current mark; return the screen."""
        deadline = time.monotonic() + timeout
        while needle not in self.screen:
            if self.eof or time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} never appeared; screen: {self.screen[-2000:]!r}")
            self._pump(0.1)
        return self.screen

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def finish(self, timeout=30.0) -> int:
        """Read to EOF, then the exit status of the command run in the terminal."""
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self._pump(0.1)
        assert self.eof, f"still running; screen: {self.screen[-2000:]!r}"
        self.proc.wait()
        if self.proc.signalstatus is not None:
            return 128 + self.proc.signalstatus
        return self.proc.exitstatus


def session_files(cs_home: Path):
    logs = Path(cs_home) / "logs"
    return sorted(logs.iterdir()) if logs.exists() else []


def only_session_id(cs_home: Path) -> str:
    ids = {store.parse_segment_name(p.name)[0] for p in session_files(cs_home)}
    assert len(ids) == 1, ids
    return ids.pop()


def read_session(cs_home: Path, session_id=None):
    """All records of the (only) session, across its segments, in order."""
    session_id = session_id or only_session_id(cs_home)
    return [rec for _, _, _, rec in store.iter_session_records(Path(cs_home) / "logs", session_id)]


def stream(records, direction) -> bytes:
    return b"".join(base64.b64decode(r["data"]) for r in records if r.get("direction") == direction)


def events(records, kind):
    return [r for r in records if r.get("type") == kind]


def raw_lines(path: Path):
    return [json.loads(line) for line in Path(path).read_bytes().splitlines()]

"""The one fake-log builder: session logs written the way the recorder writes
them (start line first, end line last, resize and segment lines, the live lock
on segment 1), with cs.log's own encoders.

`LogWriter` writes a session line by line (tests of the indexer and of the
asking commands); `make_session` and `make_tui_session` write a whole session at
crafted times, in segments, some compressed (retention and crash tests). For
sessions recorded through the real recorder, see tests.helpers.pty.
"""

import fcntl
import gzip
import os
import random
import time
import uuid
from pathlib import Path

from cs.log import jsonl, paths, store

DAY = 86400.0


def ago(days: float) -> float:
    return time.time() - days * DAY


class LogWriter:
    def __init__(
        self,
        logs_dir: Path,
        session_id: str = None,
        cwd="/home/u/proj",
        argv=("claude",),
        cols=80,
        rows=24,
        t0: float = None,
        start=True,
        lock=True,
        **start_fields,
    ):
        self.logs_dir = paths.ensure_private_dir(Path(logs_dir))
        self.sid = session_id or str(uuid.uuid4())
        self.t = t0 if t0 is not None else time.time()
        self.segment = 1
        self.lines = 0
        self.path = self.logs_dir / store.segment_name(self.sid)
        fd = paths.create_private_file(self.path)
        self.lock_fd = os.open(self.path, os.O_RDONLY)
        if lock:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX)
        self.f = os.fdopen(fd, "ab", buffering=0)
        if start:
            fields = {
                "format": jsonl.FORMAT_VERSION,
                "argv": list(argv),
                "cwd": cwd,
                "cols": cols,
                "rows": rows,
                "host": "box",
                "user": "u",
                "term": "xterm-256color",
            }
            fields.update(start_fields)
            self.raw(jsonl.event_line(self.sid, "start", fields, self.tick(0)))

    def tick(self, dt=0.01, at: float = None):
        self.t = at if at is not None else self.t + dt
        return self.t

    def raw(self, data: bytes):
        self.f.write(data)
        self.lines += data.count(b"\n")
        return self

    def output(self, data, dt=0.01, at: float = None):
        if isinstance(data, str):
            data = data.encode()
        return self.raw(jsonl.io_line(self.sid, "output", data, self.tick(dt, at)))

    def input(self, data, dt=0.01, at: float = None):
        if isinstance(data, str):
            data = data.encode()
        return self.raw(jsonl.io_line(self.sid, "input", data, self.tick(dt, at)))

    def masked(self, n, dt=0.01):
        return self.raw(jsonl.masked_input_line(self.sid, n, self.tick(dt)))

    def event(self, event_type: str, fields: dict, dt=0.0):
        """Any event line (e.g. `claude_session`), as the recorder's sink writes it."""
        return self.raw(jsonl.event_line(self.sid, event_type, fields, self.tick(dt)))

    def resize(self, cols, rows):
        return self.raw(jsonl.event_line(self.sid, "resize", {"cols": cols, "rows": rows}, self.tick()))

    def rotate(self):
        """Continue in the next segment (the recorder keeps the lock on segment 1)."""
        self.f.close()
        self.segment += 1
        p = self.logs_dir / store.segment_name(self.sid, self.segment)
        self.f = os.fdopen(paths.create_private_file(p), "ab", buffering=0)
        self.raw(jsonl.event_line(self.sid, "segment", {"segment": self.segment}, self.tick(0)))
        return self

    def end(self, exit_code=0, at: float = None):
        self.raw(jsonl.event_line(self.sid, "end", {"exit_code": exit_code}, self.tick(0.01, at)))
        self.close()
        return self

    def close(self):
        """Stop writing and drop the live lock (without an end line: cut off)."""
        if self.f:
            self.f.close()
            self.f = None
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None
        return self

    def compress(self, segments) -> "LogWriter":
        """Gzip the given (closed) segments in place of their plain files, as
        `cs compress` leaves them."""
        for n in segments:
            plain = self.logs_dir / store.segment_name(self.sid, n)
            fd = paths.create_private_file(self.logs_dir / store.segment_name(self.sid, n, True), append=False)
            with os.fdopen(fd, "wb") as f:
                f.write(gzip.compress(plain.read_bytes()))
            plain.unlink()
        return self


def _rotating(writer: LogWriter, n_lines: int, segments: int):
    """Rotate `writer` so that its lines fall into `segments` about equal files."""
    per = max(1, n_lines // segments)
    if writer.segment < segments and writer.lines >= per * writer.segment:
        writer.rotate()


def make_session(
    logs_dir: Path,
    ended_days_ago: float = None,
    *,
    last_days_ago: float = None,
    duration_s: float = 600,
    cwd: str = "/home/u/work/proj",
    git_toplevel: str = None,
    chunks: int = 20,
    chunk_bytes: int = 200,
    segments: int = 1,
    compressed_segments=(),
    session_id: str = None,
) -> str:
    """Write a finished (or cut off) session's log files; returns its id.

    ended_days_ago: the end line's time. Without it the session is cut off and
    last_days_ago is the time of its last line."""
    finished = ended_days_ago is not None
    t_end = ago(ended_days_ago if finished else last_days_ago)
    t0 = t_end - duration_s
    extra = {"git_root": git_toplevel, "git_branch": "main"} if git_toplevel else {}
    w = LogWriter(logs_dir, session_id, cwd=cwd, t0=t0, lock=False, **extra)
    step = duration_s / (chunks + 1)
    total_lines = chunks + 2
    for i in range(chunks):
        _rotating(w, total_lines, segments)
        payload = (f"chunk {i} of {w.sid[:8]} " * 50).encode()[:chunk_bytes]
        (w.output if i % 3 else w.input)(payload, at=t0 + (i + 1) * step)
    _rotating(w, total_lines, segments)
    if finished:
        w.end(at=t_end)
    else:
        w.output(b"last words", at=t_end).close()
    w.compress(compressed_segments)
    return w.sid


def tui_chunk(rng, i: int) -> bytes:
    """Terminal output shaped like Claude Code's Ink TUI: colours, cursor moves
    between words, box drawing, spinner redraws."""
    words = [
        "the",
        "function",
        "returns",
        "None",
        "when",
        "config",
        "file",
        "missing",
        "Error:",
        "tests/test_x.py",
        "passed",
        "def",
        "import",
        "self",
        "value",
        "─" * 8,
        "│",
        "✻ Thinking…",
    ]
    parts = []
    for _ in range(rng.randint(3, 12)):
        parts.append("\x1b[%d;%dH\x1b[38;5;%dm" % (rng.randint(1, 40), rng.randint(1, 80), rng.randint(1, 255)))
        parts.append("\x1b[1C".join(rng.choice(words) for _ in range(rng.randint(1, 8))))
        parts.append("\x1b[39m\x1b[2K" if rng.random() < 0.3 else "\x1b[0m")
    parts.append(" %d" % i)
    return "".join(parts).encode()


def make_tui_session(logs_dir: Path, ended_days_ago: float, nbytes: int, segments: int = 1, seed: int = 0) -> str:
    """A finished session of about nbytes of realistic log lines, in `segments`
    files of about equal size."""
    rng = random.Random(seed)
    t_end = ago(ended_days_ago)
    w = LogWriter(logs_dir, cwd="/home/u/proj", t0=t_end - 3600, lock=False)
    per_segment = nbytes // segments + 1
    written, i = 0, 0
    while written < nbytes:
        if w.segment < segments and written >= per_segment * w.segment:
            w.rotate()
        before = w.f.tell()
        if i % 10 == 0:
            w.input(b"y")
        else:
            w.output(tui_chunk(rng, i))
        written += w.f.tell() - before
        i += 1
    w.end(at=t_end)
    return w.sid

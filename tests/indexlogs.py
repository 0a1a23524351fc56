"""Writing session logs the way the recorder does (start event first, end event
last, resize events, the live lock on segment 1), with cs.log's encoders.
Tests of the indexer and the asking commands use this until they can record
through `cs record` itself."""

import fcntl
import os
import time
import uuid
from pathlib import Path

from cs.log import jsonl, store
from cs.log import paths


class LogWriter:
    def __init__(self, logs_dir: Path, session_id: str = None, cwd="/home/u/proj", argv=("claude",),
                 cols=80, rows=24, t0: float = None, start=True, lock=True, **start_fields):
        self.logs_dir = paths.ensure_private_dir(Path(logs_dir))
        self.sid = session_id or str(uuid.uuid4())
        self.t = t0 if t0 is not None else time.time()
        self.segment = 1
        self.path = self.logs_dir / store.segment_name(self.sid)
        fd = paths.create_private_file(self.path)
        self.lock_fd = os.open(self.path, os.O_RDONLY)
        if lock:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX)
        self.f = os.fdopen(fd, "ab", buffering=0)
        if start:
            fields = {"format": jsonl.FORMAT_VERSION, "argv": list(argv), "cwd": cwd,
                      "cols": cols, "rows": rows, "host": "box", "user": "u", "term": "xterm-256color"}
            fields.update(start_fields)
            self.raw(jsonl.event_line(self.sid, "start", fields, self.tick(0)))

    def tick(self, dt=0.01):
        self.t += dt
        return self.t

    def raw(self, data: bytes):
        self.f.write(data)
        return self

    def output(self, data, dt=0.01):
        if isinstance(data, str):
            data = data.encode()
        return self.raw(jsonl.io_line(self.sid, "output", data, self.tick(dt)))

    def input(self, data, dt=0.01):
        if isinstance(data, str):
            data = data.encode()
        return self.raw(jsonl.io_line(self.sid, "input", data, self.tick(dt)))

    def masked(self, n, dt=0.01):
        return self.raw(jsonl.masked_input_line(self.sid, n, self.tick(dt)))

    def resize(self, cols, rows):
        return self.raw(jsonl.event_line(self.sid, "resize", {"cols": cols, "rows": rows}, self.tick()))

    def rotate(self):
        """Continue in the next segment (the recorder keeps the lock on segment 1)."""
        self.f.close()
        self.segment += 1
        p = self.logs_dir / store.segment_name(self.sid, self.segment)
        self.f = os.fdopen(paths.create_private_file(p), "ab", buffering=0)
        self.raw(jsonl.event_line(self.sid, "segment", {"segment": self.segment}, self.tick()))
        return self

    def end(self, exit_code=0):
        self.raw(jsonl.event_line(self.sid, "end", {"exit_code": exit_code}, self.tick()))
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

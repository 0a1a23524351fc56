"""The recorder's sink: turns what passed through the terminal into log lines.

The PTY loop (cs.record.loop) only moves bytes and calls `output()`, `input()` and
`resize()` on this object; everything about the file lives here: private
creation, the live lock, one unbuffered `os.write` per line on an O_APPEND fd,
rotation into segments, and the rule that logging never breaks the session (the
first OSError stops logging for good and is reported once, after the session).
"""

import errno
import os

from cs.log import jsonl, locks, paths, store

# `claude --resume <uuid>` as Claude Code prints it on exit. Its screen may colour
# it, or draw the gaps between words as cursor moves, so escape sequences are
# removed (cursor-forward becomes a space) before matching. Compiled on first
# use: Python's regex compiler would cost every session's start-up milliseconds.
_patterns = None


def _resume_patterns():
    global _patterns
    if _patterns is None:
        import re

        _patterns = (
            re.compile(rb"\x1b\[\d*C"),  # cursor forward
            re.compile(
                rb"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
                rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC
                rb"|\x1b[@-Z\\-_]"  # two-byte escapes
                rb"|[\x00-\x08\x0b-\x1f\x7f]"  # other controls (\t and \n stay, as \s)
            ),
            re.compile(
                rb"claude\s*--resume\s*([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
                rb"-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
            ),
        )
    return _patterns


RESUME_TAIL = 4096  # bytes of output kept: Claude Code prints the hint as it exits


def find_resume_id(tail: bytes):
    """The last `claude --resume <uuid>` in `tail` (the end of a session's
    output), lower-cased, or None."""
    if b"resume" not in tail:
        return None
    cursor_forward, escape, resume = _resume_patterns()
    matches = resume.findall(escape.sub(b"", cursor_forward.sub(b" ", tail)))
    return matches[-1].decode().lower() if matches else None


class LogWriter:
    """Writes one session's log. Create with `LogWriter.open(...)`; it never
    raises after that: failures are kept in `self.failure` for the one warning.

    The data path (output/input lines, segment accounting, the output tail)
    has a native twin, cs.record._relay, which carries on the public state
    below between calls and leaves `write_errno` for `settle()`."""

    def __init__(self, session_id: str, rotate_size: int):
        self.session_id = session_id
        self.rotate_size = rotate_size
        self.logs_dir = None
        self.path = None  # segment 1: the session's name and its live lock
        self.current_path = None
        self.failure = None  # reason logging stopped, for the one warning
        self.bytes_in = 0
        self.bytes_out = 0
        self.resume_tail = b""  # the last RESUME_TAIL bytes of output
        self.fd = -1  # the current segment; -1 once logging stopped
        self.segment_size = 0
        self.segment_has_data = False
        self.write_errno = 0  # a log write the native path could not make
        self._lock_fd = -1
        self._segment = 1

    # ------------------------------------------------------------ set-up

    @classmethod
    def open(cls, logs_dir, session_id: str, rotate_size: int, start_fields: dict):
        """Create segment 1 privately, take the live lock, write the start line.
        If any of it fails the writer is returned disabled (the session still
        runs, unrecorded) with the reason in `.failure`."""
        writer = cls(session_id, rotate_size)
        writer.logs_dir = logs_dir
        writer.path = writer.current_path = os.path.join(str(logs_dir), store.segment_name(session_id, 1))
        try:
            paths.ensure_private_dir(logs_dir)
            fd = paths.create_private_file(writer.path)
        except OSError as e:
            writer._stop(e)
            return writer
        writer.fd = writer._lock_fd = fd
        try:
            # The live-lock contract: held on segment 1 for the whole session.
            if not locks.flock(fd, wait=LOCK_WAIT_S):
                raise BlockingIOError(errno.EWOULDBLOCK, "segment 1 is locked by another process")
        except OSError as e:
            writer._stop(e)
            writer._close_fds()
            return writer
        writer._write(jsonl.event_line(session_id, "start", start_fields))
        return writer

    # ------------------------------------------------------------ the sink interface

    @property
    def native_writer(self):
        """What cs.record._relay writes through: this writer."""
        return self

    def output(self, data: bytes) -> None:
        self.bytes_out += len(data)
        tail = self.resume_tail
        self.resume_tail = data[-RESUME_TAIL:] if len(data) >= RESUME_TAIL else (tail + data)[-RESUME_TAIL:]
        if self.fd >= 0:
            self._write_data(jsonl.io_line(self.session_id, jsonl.OUTPUT, data))

    def input(self, data: bytes, masked: bool = False) -> None:
        self.bytes_in += len(data)
        if self.fd >= 0:
            if masked:
                line = jsonl.masked_input_line(self.session_id, len(data))
            else:
                line = jsonl.io_line(self.session_id, jsonl.INPUT, data)
            self._write_data(line)

    def resize(self, cols: int, rows: int) -> None:
        if self.fd >= 0:
            self._write_data(jsonl.event_line(self.session_id, "resize", {"cols": cols, "rows": rows}))

    def event(self, event_type: str, fields: dict) -> None:
        """Any other event line (e.g. `claude_session`: docs/log-format.md)."""
        if self.fd >= 0:
            self._write_data(jsonl.event_line(self.session_id, event_type, fields))

    def settle(self) -> None:
        """After the native path: stop logging if a write failed there, and
        rotate a full segment now (the native path returns before a data line
        that would go past rotate_size)."""
        if self.write_errno:
            error, self.write_errno = self.write_errno, 0
            self._stop(OSError(error, os.strerror(error)))
        elif self.fd >= 0 and self._segment_full():
            self._rotate()

    # ------------------------------------------------------------ the end

    def close(self, exit_code: int, signal_number=None, duration=None) -> None:
        """Write the end line in the last segment, then release the lock."""
        if self.fd >= 0:
            fields = {"exit_code": exit_code}
            if signal_number is not None:
                fields["signal"] = signal_number
            fields["bytes_in"] = self.bytes_in
            fields["bytes_out"] = self.bytes_out
            if duration is not None:
                fields["duration"] = round(duration, 3)
            claude_id = find_resume_id(self.resume_tail)
            if claude_id:
                fields["claude_session_id"] = claude_id
            self._write(jsonl.event_line(self.session_id, "end", fields))
        self._close_fds()

    def warning(self):
        """The one line to print after the session if recording stopped, else None."""
        if self.failure is None:
            return None
        return f"cs: recording stopped: {self.failure} (log: {self.current_path or self.path})"

    # ------------------------------------------------------------ internals

    def _write_data(self, line: bytes) -> None:
        # Rotate before a data line, never right after a segment's header, so
        # even a tiny rotate_size makes progress (one data line per segment).
        if self._segment_full():
            if not self._rotate():
                return
        self.segment_has_data = True
        self._write(line)

    def _segment_full(self) -> bool:
        """Is it time for a new segment (never right after a header)?"""
        return self.segment_size >= self.rotate_size and self.segment_has_data

    def _write(self, line: bytes) -> bool:
        """One os.write per line on an O_APPEND fd (no user-space buffer, so the
        line is in the OS the moment this returns); a short write is continued."""
        try:
            n = os.write(self.fd, line)
            if n != len(line):  # short write (e.g. the disk just filled): go on
                view = memoryview(line)[n:]
                while view:
                    view = view[os.write(self.fd, view) :]
        except OSError as e:
            self._stop(e)
            return False
        self.segment_size += len(line)
        return True

    def _rotate(self) -> bool:
        n = self._segment + 1
        path = os.path.join(str(self.logs_dir), store.segment_name(self.session_id, n))
        try:
            fd = paths.create_private_file(path)
        except OSError as e:
            self._stop(e, path)
            return False
        if self.fd != self._lock_fd:
            os.close(self.fd)
        self.fd = fd
        self._segment = n
        self.segment_size = 0
        self.segment_has_data = False
        self.current_path = path
        return self._write(jsonl.event_line(self.session_id, "segment", {"segment": n}))

    def _stop(self, error: OSError, path=None) -> None:
        """Logging is over for this session; remember why, once. The live lock
        stays held until the session ends: it is still running, only no longer
        recorded (readers then see a log without `end`, i.e. cut off)."""
        if self.failure is None:
            if path:
                self.current_path = path
            self.failure = _describe(error, self.current_path)
        if self.fd >= 0 and self.fd != self._lock_fd:
            try:
                os.close(self.fd)
            except OSError:
                pass
        self.fd = -1

    def _close_fds(self) -> None:
        for fd in {self.fd, self._lock_fd}:
            if fd >= 0:
                try:
                    os.close(fd)  # closing segment 1 releases the live lock
                except OSError:
                    pass
        self.fd = self._lock_fd = -1


def _describe(error: OSError, path) -> str:
    if isinstance(error, paths.UnsafePathError):
        return str(error)
    if error.errno == errno.EEXIST and path and os.path.islink(path):
        return "refusing to follow a symlink planted at the log path"
    if error.errno == errno.EEXIST:
        return "log file already exists (refusing to reuse it)"
    if error.errno == errno.ELOOP:
        return "refusing to follow a symlink at the log path"
    if error.errno is not None:
        return os.strerror(error.errno)
    return str(error)


# A checker (prune, compress, the indexer) may hold a shared lock on the new
# file for a few microseconds while it asks "is this session live?"; wait that
# out rather than lose the recording, but never hold up the session for long.
LOCK_WAIT_S = 0.5

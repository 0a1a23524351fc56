"""The recorder's native hot path (cs/record/_relay.c) against the Python one.

relay() is driven in-process on a real PTY pair (its master is the recorder's
end, its slave the child's terminal) and real pipes for the user's terminal and
the signal wake-up; the log is a real LogWriter on real files. Every line it
writes must be the Python writer's line for the same bytes, but the timestamp;
and it must hand back to the Python loop exactly when the loop has work.
The whole recorder runs through it in every terminal test of
tests/test_recorder.py; CS_PURE_PYTHON=1 (and tests/test_recorder_loop.py's
fake sink) keep the Python path tested.
"""

import json
import os
import re
import termios
import threading
import time

import pytest

from cs.log import jsonl
from cs.record import loop
from cs.record.sink import LogWriter
from tests.helpers.pty import raw_lines

relay = loop.native_relay()
pytestmark = pytest.mark.skipif(relay is None, reason="the native recorder core is not built")

SID = "5d1c0f3e-2b4a-4c6d-8e9f-0a1b2c3d4e5f"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class Rig:
    """A PTY pair, the user's terminal as pipes, a wake-up pipe, a writer."""

    def __init__(self, tmp_path, rotate_size=1 << 30):
        self.master, self.slave = os.openpty()
        self.keys_r, self.keys_w = os.pipe()  # what the user types -> our stdin
        self.shown_r, self.shown_w = os.pipe()  # our display -> what the user sees
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.master, False)
        os.set_blocking(self.shown_r, False)
        self.seen = b""
        os.set_blocking(self.wake_r, False)
        self.logs = tmp_path / "logs"
        self.writer = LogWriter.open(self.logs, SID, rotate_size, {"argv": ["t"]})
        attrs = termios.tcgetattr(self.slave)  # the child's terminal: raw, as Claude Code's
        attrs[0] &= ~termios.ICRNL
        attrs[1] &= ~termios.OPOST
        attrs[3] &= ~(termios.ECHO | termios.ICANON)
        termios.tcsetattr(self.slave, termios.TCSANOW, attrs)

    def run(self, stop_on_enter=False, until=None):
        """relay() once; with `until`, a thread sends a signal (the wake-up
        byte) once until() is true, so that relay hands back to the "loop"."""
        stop = threading.Event()

        def wake_when_done():
            while not stop.is_set() and not until():
                time.sleep(0.002)
            if not stop.is_set():
                os.write(self.wake_w, b"\x11")

        waker = threading.Thread(target=wake_when_done) if until else None
        if waker:
            waker.start()
        try:
            return relay(self.master, self.keys_r, self.shown_w, self.wake_r, self.writer, stop_on_enter)
        finally:
            stop.set()
            if waker:
                waker.join()
            _drain(self.wake_r)

    def child_writes(self, data: bytes):
        os.write(self.slave, data)

    def child_reads(self) -> bytes:
        os.set_blocking(self.slave, False)
        try:
            return os.read(self.slave, 65536)
        except BlockingIOError:
            return b""

    def shown(self) -> bytes:
        self.seen += _drain(self.shown_r)
        return self.seen

    def log_size(self) -> int:
        return os.path.getsize(self.logs / f"{SID}.jsonl")

    def lines(self, name=None):
        return raw_lines(self.logs / (name or f"{SID}.jsonl"))

    def close(self):
        for fd in (self.master, self.slave, self.keys_r, self.keys_w, self.shown_r, self.shown_w):
            os.close(fd)
        for fd in (self.wake_r, self.wake_w):
            try:
                os.close(fd)
            except OSError:
                pass


def _drain(fd) -> bytes:
    got = b""
    while True:
        try:
            chunk = os.read(fd, 1 << 20)
        except (BlockingIOError, OSError):
            return got
        if not chunk:
            return got
        got += chunk


@pytest.fixture
def rig(tmp_path):
    r = Rig(tmp_path)
    yield r
    r.close()


def python_line(direction, data, masked=False):
    if masked:
        return jsonl.masked_input_line(SID, len(data))
    return jsonl.io_line(SID, direction, data)


def same_but_timestamp(native: dict, python_bytes: bytes):
    python = json.loads(python_bytes)
    assert TIMESTAMP.match(native["timestamp"]), native["timestamp"]
    assert list(native) == list(python)  # the design note's field order
    assert {**native, "timestamp": None} == {**python, "timestamp": None}


def test_output_is_logged_then_shown_as_the_python_writer_logs_it(rig):
    data = bytes(range(256)) * 3 + b"\r\n\x1b[31mred\x1b[0m \xff\xfe"
    rig.child_writes(data)
    code, rest = rig.run(until=lambda: len(rig.shown()) >= len(data))
    assert (code, rest) == (0, None)  # the signal: the loop's turn
    assert rig.shown() == data
    lines = rig.lines()
    assert [r.get("type") for r in lines] == ["start", None]
    same_but_timestamp(lines[1], python_line("output", data))
    assert rig.writer.bytes_out == len(data) and rig.writer.resume_tail == data
    assert rig.writer.segment_size == rig.log_size()


def test_a_pending_signal_comes_first(rig):
    os.write(rig.keys_w, b"x")
    os.write(rig.wake_w, b"\x11")
    assert rig.run() == (0, None)
    assert rig.child_reads() == b"" and rig.writer.bytes_in == 0  # nothing moved yet


def test_a_key_is_forwarded_then_logged_and_a_password_is_masked(rig):
    os.write(rig.keys_w, b"ls -la\r")
    code, _ = rig.run(stop_on_enter=True)
    assert code == 2  # a submitted line: the Claude session tracker's cue
    assert rig.child_reads() == b"ls -la\r"
    attrs = termios.tcgetattr(rig.slave)  # a password prompt: canonical, no echo
    attrs[3] = (attrs[3] | termios.ICANON) & ~termios.ECHO
    termios.tcsetattr(rig.slave, termios.TCSANOW, attrs)
    os.write(rig.keys_w, b"hunter2")
    assert rig.run(until=lambda: rig.writer.bytes_in >= 14 or len(rig.lines()) >= 3) == (0, None)
    lines = rig.lines()[1:]
    same_but_timestamp(lines[0], python_line("input", b"ls -la\r"))
    same_but_timestamp(lines[1], python_line("input", b"hunter2", masked=True))
    assert b"hunter2" not in (rig.logs / f"{SID}.jsonl").read_bytes()


def test_hands_back_before_a_line_that_would_overflow_the_segment(tmp_path):
    rig = Rig(tmp_path, rotate_size=64)
    try:
        rig.child_writes(b"first chunk")
        assert rig.run() == (0, None)  # logs it, then stops by itself: the segment is full
        assert rig.shown() == b"first chunk"
        rig.writer.settle()  # what the loop does next: rotate
        rig.child_writes(b"second")
        rig.run(until=lambda: len(rig.shown()) >= len(b"first chunksecond"))
        second = rig.lines(f"{SID}.002.jsonl")
        assert [r.get("type") for r in second] == ["segment", None]
        same_but_timestamp(second[1], python_line("output", b"second"))
    finally:
        rig.close()


def test_a_failed_log_write_stops_logging_but_not_the_session(rig):
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, rig.writer.fd)  # the disk fills up under the session
    os.close(full)
    rig.child_writes(b"still shown")
    assert rig.run() == (0, None)  # stops by itself: the writer must hear of it
    assert rig.shown() == b"still shown"
    rig.writer.settle()
    assert rig.writer.fd == -1
    assert "No space left on device" in rig.writer.warning()
    rig.child_writes(b" and more")
    rig.run(until=lambda: len(rig.shown()) >= len(b"still shown and more"))
    assert rig.writer.bytes_out == len(b"still shown and more")


def test_a_display_that_went_away_is_reported(rig):
    os.close(rig.shown_r)
    rig.shown_r = os.open(os.devnull, os.O_RDONLY)  # (closed by the rig)
    rig.child_writes(b"nobody sees this")
    code, _ = rig.run()
    assert code == 3
    same_but_timestamp(rig.lines()[1], python_line("output", b"nobody sees this"))  # logged all the same


def test_hands_back_when_the_sinks_time_is_up(rig):
    # The Claude session tracker's checks after a submitted line: relay returns
    # when asked to, with nothing moved, even while nothing happens.
    assert relay(rig.master, rig.keys_r, rig.shown_w, rig.wake_r, rig.writer, False, 0.05) == (0, None)
    rig.child_writes(b"flowing")
    assert relay(rig.master, rig.keys_r, rig.shown_w, rig.wake_r, rig.writer, False, 0.05) == (0, None)
    assert rig.shown() == b"flowing"

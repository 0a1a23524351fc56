"""The PTY loop in-process, with a fake sink in place of the log writer (as
asciinema 2.x tests its `pty_.record`): cs.record.loop only moves bytes and
hands every chunk to the sink, in order, whole, and knows nothing of the log.

Real pseudo-terminals and real child processes; only the sink is ours.
"""

import os
import sys
import termios
import threading
import time

from cs.record.loop import record


class FakeSink:
    """Collects what the loop hands over, as (kind, payload) in arrival order."""

    def __init__(self):
        self.calls = []

    def output(self, data: bytes) -> None:
        self.calls.append(("output", bytes(data)))

    def input(self, data: bytes, masked: bool = False) -> None:
        self.calls.append(("input", b"*" * len(data) if masked else bytes(data)))

    def resize(self, cols: int, rows: int) -> None:
        self.calls.append(("resize", (cols, rows)))

    def stream(self, kind: str) -> bytes:
        return b"".join(p for k, p in self.calls if k == kind)


def drain(fd: int, into: bytearray, stop: threading.Event) -> None:
    """Read the user's side of the terminal until told to stop (what a
    terminal emulator does), so the child never blocks on a full PTY."""
    os.set_blocking(fd, False)
    while not stop.is_set():
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            time.sleep(0.005)
            continue
        except OSError:
            return
        if not chunk:
            return
        into.extend(chunk)


def run_in_terminal(code: str, typed: bytes = b"", env=None):
    """Run `python -c code` through the loop with a real terminal (an openpty
    pair) as our stdin and stdout; returns (result, sink, what the user's
    terminal received)."""
    user, ours = os.openpty()
    shown, stop = bytearray(), threading.Event()
    reader = threading.Thread(target=drain, args=(user, shown, stop))
    reader.start()
    if typed:
        os.write(user, typed)
    sink = FakeSink()
    try:
        result = record(
            sys.executable,
            ["python3", "-c", code],
            env or dict(os.environ),
            sink,
            stdin_fd=ours,
            stdout_fd=ours,
            stderr_fd=ours,
        )
        time.sleep(0.05)
    finally:
        stop.set()
        reader.join()
        os.close(user)
        os.close(ours)
    return result, sink, bytes(shown)


def test_every_output_byte_reaches_the_sink_in_order_and_the_screen_sees_the_same():
    code = "import sys\nfor i in range(2000): sys.stdout.write(f'line {i:05d}\\n')"
    result, sink, shown = run_in_terminal(code)
    assert result.exit_code == 0
    expected = b"".join(b"line %05d\r\n" % i for i in range(2000))  # the PTY's onlcr
    assert sink.stream("output") == expected
    assert shown == expected


def test_binary_output_passes_untouched():
    code = "import os\nos.write(1, bytes(b for b in range(256) if b not in (10, 13)) * 64)"
    _, sink, shown = run_in_terminal(code)
    data = bytes(b for b in range(256) if b not in (10, 13)) * 64
    assert sink.stream("output") == data == shown


def test_typed_input_is_handed_to_the_sink_and_to_the_child():
    code = "import sys\nline = sys.stdin.readline()\nprint('got', line.strip())"
    result, sink, shown = run_in_terminal(code, typed=b"hello loop\r")
    assert result.exit_code == 0
    # Typed before the loop put the terminal in raw mode, so the line
    # discipline may already have turned the Enter into "\n".
    assert sink.stream("input").rstrip(b"\r\n") == b"hello loop"
    assert b"got hello loop" in sink.stream("output")


def test_a_password_prompt_hands_the_sink_masked_input():
    # Canonical mode without echo, as getpass sets it: the loop tells the sink
    # the input is masked (the sink stores only its length).
    code = (
        "import termios, sys\nfd = sys.stdin.fileno()\nold = termios.tcgetattr(fd)\nnew = old[:]\n"
        "new[3] &= ~termios.ECHO\ntermios.tcsetattr(fd, termios.TCSANOW, new)\nprint('ready', flush=True)\n"
        "line = sys.stdin.readline()\ntermios.tcsetattr(fd, termios.TCSANOW, old)\nprint('len', len(line.strip()))"
    )
    user, ours = os.openpty()
    shown, stop = bytearray(), threading.Event()
    reader = threading.Thread(target=drain, args=(user, shown, stop))
    reader.start()

    def type_when_ready():
        deadline = time.monotonic() + 10
        while b"ready" not in shown and time.monotonic() < deadline:
            time.sleep(0.01)
        os.write(user, b"s3cret\r")

    typist = threading.Thread(target=type_when_ready)
    typist.start()
    sink = FakeSink()
    try:
        result = record(
            sys.executable,
            ["python3", "-c", code],
            dict(os.environ),
            sink,
            stdin_fd=ours,
            stdout_fd=ours,
            stderr_fd=ours,
        )
    finally:
        typist.join()
        stop.set()
        reader.join()
        os.close(user)
        os.close(ours)
    assert result.exit_code == 0
    assert b"s3cret" not in sink.stream("input")
    assert b"len 6" in sink.stream("output")


def test_exit_status_and_signals_come_back():
    assert run_in_terminal("raise SystemExit(7)")[0].exit_code == 7
    result = run_in_terminal("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)")[0]
    assert result.signal_number == 15 and result.exit_code == 128 + 15


def test_the_users_terminal_settings_are_restored():
    user, ours = os.openpty()
    before = termios.tcgetattr(ours)
    try:
        record(
            sys.executable,
            ["python3", "-c", "print('x')"],
            dict(os.environ),
            FakeSink(),
            stdin_fd=ours,
            stdout_fd=ours,
            stderr_fd=ours,
        )
        assert termios.tcgetattr(ours) == before
    finally:
        os.close(user)
        os.close(ours)

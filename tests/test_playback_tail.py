"""`cs tail`: follows a session that the real recorder is writing, through
rotations, and ends with the session's exit status."""

import os
import subprocess
import threading
import time

from tests.helpers.playback import run
from tests.helpers.pty import Term
from tests.helpers.shell import wait_for

BIG = 150_000  # more than two segments at rotate_size 64K


def record(cs_exe, cs_home, script):
    env = dict(os.environ, CS_HOME=str(cs_home), CS_NO_DAEMON="1", LANG="C.UTF-8")
    return Term([cs_exe, "record", "--", "sh", "-c", script], rows=24, cols=80, env=env)


class Reader:
    """A background reader of a process's stdout."""

    def __init__(self, proc):
        self.proc, self.data = proc, b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while chunk := self.proc.stdout.read1(65536):
            self.data += chunk

    def wait_for(self, needle, timeout=20):
        wait_for(lambda: needle in self.data, timeout, what=repr(needle))


def start_tail(cs_exe, cs_home, *args):
    env = dict(os.environ, CS_HOME=str(cs_home))
    proc = subprocess.Popen([cs_exe, "tail", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    return proc, Reader(proc)


def logs_of(cs_home):
    d = cs_home / "logs"
    return sorted(d.iterdir()) if d.exists() else []


def test_tail_follows_a_live_session_through_rotation_and_exits_with_its_status(cs_exe, cs_home):
    cs_home.mkdir(parents=True, exist_ok=True)
    (cs_home / "config.toml").write_text('rotate_size = "64K"\n')
    script = (
        'echo before-the-tail; read x; echo "got $x"; '
        f"head -c {BIG} /dev/zero | tr '\\0' y; echo; read y; echo \"end $y\"; exit 5"
    )
    term = record(cs_exe, cs_home, script)
    term.expect(b"before-the-tail")
    wait_for(lambda: logs_of(cs_home), 10, what="the log")
    tail, out = start_tail(cs_exe, cs_home, "--latest", "-f")
    out.wait_for(b"before-the-tail")  # the current screen comes first
    term.send(b"one\r")
    out.wait_for(b"got one")
    term.expect(b"y" * 1000)
    term.send(b"two\r")
    assert term.finish() == 5
    assert tail.wait(timeout=20) == 5
    assert [p for p in logs_of(cs_home) if ".002." in p.name], "the log did not rotate"
    assert out.data.count(b"y") >= BIG and b"end two" in out.data
    assert out.data.count(b"before-the-tail") == 1


def test_tail_text_prints_finished_lines(cs_exe, cs_home):
    term = record(cs_exe, cs_home, 'echo first line; read x; echo "second $x"; exit 0')
    term.expect(b"first line")
    wait_for(lambda: logs_of(cs_home), 10, what="the log")
    tail, out = start_tail(cs_exe, cs_home, "--latest", "-f", "--text")
    time.sleep(0.5)  # not a pass/fail timing: let the tail reach the live edge first
    term.send(b"abc\r")
    assert term.finish() == 0
    assert tail.wait(timeout=20) == 0
    lines = out.data.decode().splitlines()
    assert "first line" in lines and "second abc" in lines
    assert "\x1b" not in out.data.decode()


def test_tail_next_waits_for_the_next_session(cs_exe, cs_home):
    (cs_home / "logs").mkdir(parents=True, exist_ok=True)
    old = record(cs_exe, cs_home, "echo an older session")
    assert old.finish() == 0
    tail, out = start_tail(cs_exe, cs_home, "--next", "--text")
    time.sleep(0.5)  # not a pass/fail timing: the tail must be waiting before the session starts
    new = record(cs_exe, cs_home, 'read x; echo "newer $x"; exit 7')
    new.send(b"one\r")
    assert new.finish() == 7
    assert tail.wait(timeout=20) == 7
    assert b"newer one" in out.data and b"older" not in out.data


def test_tail_without_follow_prints_the_screen_and_returns(cs_exe, logs):
    from tests.helpers.logs import LogWriter

    w = LogWriter(logs, cols=20, rows=3)
    w.output("\x1b[31mred\x1b[0m\r\nline two\r\n").end(4)
    r = run(cs_exe, "tail", w.sid[:8])
    assert r.returncode == 0 and b"red" in r.stdout and b"line two" in r.stdout
    # --text: the story of the session (cs.story), as `cs show` tells it
    assert run(cs_exe, "tail", w.sid[:8], "--text").stdout.decode().splitlines() == [
        "red",
        "line two",
        "",
        "exit status 4",
    ]

"""cs.index.screen.ScreenText on recordings of real programs made at test time in a
real PTY: an interactive bash, `less` (a full-screen program on the alternate
screen) and the real Claude Code CLI talking to a loopback stand-in of the
Anthropic API. The same bytes go to pyte, the reference emulator: every line
pyte shows on its final screen must be among our lines, and what scrolled away
or was paged past must be in our lines too."""

import os
import re
import select
import shutil
import time
from pathlib import Path

import ptyprocess
import pyte
import pytest

from cs.index.keys import InputLines
from tests.helpers.fake_anthropic import FakeAnthropic, claude_home, find_claude
from tests.helpers.screens import RENDERERS, renderer
from tests.helpers.tools import missing_tool

pytestmark = pytest.mark.slow  # the real Claude Code CLI in a terminal

COLS, ROWS = 100, 30


class Recording:
    """A program in a real PTY; every output read is kept as one chunk."""

    def __init__(self, argv, env, cwd=None, cols=COLS, rows=ROWS):
        self.proc = ptyprocess.PtyProcess.spawn(argv, env=env, cwd=cwd, dimensions=(rows, cols))
        self.chunks = []
        self.typed = []

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)

    def pump(self, seconds, until: bytes = None, quiet: float = None) -> bool:
        """Read output for up to `seconds`; stop early once `until` appears or
        once nothing arrived for `quiet` seconds. True if stopped early."""
        end = time.monotonic() + seconds
        last = time.monotonic()
        while time.monotonic() < end:
            ready, _, _ = select.select([self.proc.fd], [], [], min(0.05, seconds))
            if ready:
                try:
                    chunk = os.read(self.proc.fd, 65536)
                except OSError:
                    return False  # the program exited
                if not chunk:
                    return False
                self.chunks.append(chunk)
                last = time.monotonic()
                if until is not None and until in self.data:
                    return True
            elif quiet is not None and self.chunks and time.monotonic() - last >= quiet:
                return True
        return False

    def type(self, text: str, delay=0.02):
        if not delay:
            self.proc.write(text.encode())
            self.typed.append(text.encode())
            return
        for ch in text:
            self.proc.write(ch.encode())
            self.typed.append(ch.encode())
            self.pump(delay)

    def close(self):
        self.pump(1.0, quiet=0.3)
        if self.proc.isalive():
            self.proc.terminate(force=True)


def render(chunks, cols=COLS, rows=ROWS, batch=5):
    """Our lines; the pure-Python reference and the native core must return
    the same lines with the same marks in the same order (tests/helpers/screens.py)."""
    both = []
    for name in RENDERERS:
        screen = renderer(name)(cols, rows)
        out = []
        for i, chunk in enumerate(chunks):
            screen.feed(chunk, mark=i)
            if i % batch == batch - 1:
                out += screen.pop_finished()
        out += screen.close()
        both.append(out)
    assert both[1] == both[0]
    return [t for t, _ in both[0]]


def pyte_lines(data: bytes, cols=COLS, rows=ROWS):
    screen = pyte.Screen(cols, rows)
    pyte.ByteStream(screen).feed(data)
    return [line.rstrip() for line in screen.display if line.strip()]


def base_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CS_", "LESS"))}
    env.update(HOME=str(home), TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    return env


def test_bash_session(tmp_path):
    bash = shutil.which("bash")
    if not bash:
        missing_tool("bash")
    env = base_env(tmp_path)
    env["PS1"] = "$ "
    rec = Recording([bash, "--norc", "--noprofile", "-i"], env, cwd=str(tmp_path))
    try:
        rec.pump(5, until=b"$ ")
        for command in [
            "ls -la /usr/bin | head -n 12",
            r"printf '\033[31mred\033[0m and \033[1;32mgreen\033[0m words\n'",
            "seq 1 80",
            "echo all-done",
        ]:
            rec.type(command + "\r", delay=0)
            rec.pump(5, quiet=0.3)
        rec.type("exit\r")
    finally:
        rec.close()
    ours = render(rec.chunks)
    expected = pyte_lines(rec.data)
    assert expected, "pyte saw nothing: the recording failed"
    assert [line for line in expected if line not in ours] == []
    # Scrolled off pyte's screen but seen: all of seq's output, the ls listing.
    assert all(str(n) in ours for n in range(1, 81))
    assert "$ ls -la /usr/bin | head -n 12" in ours
    assert any(line.startswith("total ") for line in ours)
    assert "red and green words" in ours
    assert "all-done" in ours


def test_less_pages_on_the_alternate_screen(tmp_path):
    less = shutil.which("less")
    if not less:
        missing_tool("less")
    text = tmp_path / "notes.txt"
    text.write_text("".join(f"line {n:03d} of the notes: alpha beta gamma\n" for n in range(1, 301)))
    env = base_env(tmp_path)
    env["LESSHISTFILE"] = "-"
    rec = Recording([less, str(text)], env, cols=80, rows=24)
    try:
        rec.pump(5, until=b"line 023")
        rec.pump(1, quiet=0.3)
        for _ in range(2):
            rec.type(" ")
            rec.pump(3, quiet=0.3)
        rec.type("q")
    finally:
        rec.close()
    data = rec.data
    assert b"\x1b[?1049h" in data, "less did not use the alternate screen"
    ours = render(rec.chunks, cols=80, rows=24)
    # pyte has no alternate screen: compare with what it showed before less left it.
    expected = pyte_lines(data[: data.rindex(b"\x1b[?1049l")], cols=80, rows=24)
    assert expected
    assert [line for line in expected if line not in ours] == []
    # Three pages were shown: every line on them was seen.
    last_shown = max(int(m) for m in re.findall(rb"line (\d{3})", data))
    assert last_shown >= 60
    for n in range(1, last_shown + 1):
        assert f"line {n:03d} of the notes: alpha beta gamma" in ours


REPLY = (
    "The build failed with error E1234 in module foo because the linker could not find "
    "the symbol bar_init, so please rerun the configure step with the debug flag enabled "
    "and check the output again.\n\nEverything else compiled cleanly."
)
PROMPT = "why did the build fail?"


def record_claude(tmp_path):
    claude = find_claude()
    if not claude:
        missing_tool("the claude CLI ($CS_CLAUDE_BIN, PATH, .cache/claude-code)")
    cwd = tmp_path / "project"
    cwd.mkdir()
    key = "sk-ant-test-" + "k" * 40
    with FakeAnthropic(REPLY) as api:
        env = base_env(tmp_path)
        env.update(claude_home(tmp_path, cwd, key, base_url=api.url))
        rec = Recording([claude], env, cwd=str(cwd))
        try:
            rec.pump(20, quiet=1.5)  # start-up screen drawn
            rec.type(PROMPT, delay=0.03)
            rec.type("\r")
            assert rec.pump(20, until=b"cleanly"), "the reply never appeared"
            rec.pump(3, quiet=1.0)
            rec.type("\x03")
            rec.pump(1, quiet=0.3)
            rec.type("\x03")
            rec.pump(5, quiet=1.0)
        finally:
            rec.close()
        assert api.message_requests(), "claude never asked the fake API"
    return rec


def test_claude_code_session(tmp_path):
    rec = record_claude(tmp_path)
    data = rec.data
    ours = render(rec.chunks)
    joined = "\n".join(ours)

    # Claude Code draws the gaps between words with cursor moves: stripping the
    # escapes glues words together. The renderer must keep the sentence.
    naive = re.sub(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07", b"", data).decode("utf-8", "replace")
    assert "The build failed with error E1234 in module foo" not in naive
    assert "The build failed with error E1234 in module foo" in joined
    assert "rerun the configure step" in joined
    assert "Everything else compiled cleanly." in joined
    assert any(PROMPT in line for line in ours)
    # No torn or glued versions of the reply.
    assert not re.search(r"buildfailed|failedwith|withthe|E1234in", joined)

    # Every line pyte shows just before Claude Code leaves its alternate screen
    # is among ours. pyte 0.8 misparses CSI with a '<' marker (kitty keyboard
    # protocol pop, ESC[<u) and draws its final byte, so those are left out of
    # pyte's copy.
    leave = data.rfind(b"\x1b[?1049l")
    shown = data[:leave] if leave > 0 else data
    expected = pyte_lines(re.sub(rb"\x1b\[<[0-?]*[ -/]*[@-~]", b"", shown))
    assert expected
    assert [line for line in expected if line not in ours] == []

    # What was typed is one submitted line.
    keys = InputLines()
    submitted = []
    for i, chunk in enumerate(rec.typed):
        submitted += keys.feed(chunk, mark=i)
    assert [t for t, _ in submitted + keys.close()] == [PROMPT]

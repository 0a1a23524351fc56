"""Shared by the playback tests: a real Claude Code session recorded through
`cs record` in a real PTY, and pyte as the reference terminal."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pyte

from tests.helpers.pty import Term, only_session_id

REPLY = (
    "The build failed with error E1234 in module foo because the linker could not find "
    "the symbol bar_init.\n\n" + "\n".join(f"- step {i}: rerun configure with the debug flag" for i in range(8))
)
PROMPTS = ["why did the build fail", "and what now"]


def run(cs_exe, *args, check=True, input=None, env=None, timeout=60):
    return subprocess.run([cs_exe, *args], capture_output=True, check=check, input=input, env=env, timeout=timeout)


def pyte_screen(cols: int, rows: int):
    screen = pyte.Screen(cols, rows)
    return screen, pyte.ByteStream(screen)


def screen_state(screen) -> tuple:
    """What a person sees: every cell's character, colours, bold and reverse,
    and the cursor."""
    cells = []
    for y in range(screen.lines):
        row = screen.buffer[y]
        cells.append(
            tuple((row[x].data, row[x].fg, row[x].bg, row[x].bold, row[x].reverse) for x in range(screen.columns))
        )
    return tuple(cells), (screen.cursor.x, screen.cursor.y)


def wait_screen(term: Term, screen, stream, predicate, timeout=30.0, what="screen"):
    """Feed what the PTY received to pyte until predicate(display text) holds."""
    fed = 0
    deadline = time.monotonic() + timeout
    while True:
        if len(term.screen) > fed:
            stream.feed(term.screen[fed:])
            fed = len(term.screen)
        text = "\n".join(screen.display)
        if predicate(text):
            return text
        if term.eof or time.monotonic() > deadline:
            raise AssertionError(f"{what} never showed; screen:\n{text}")
        term._pump(0.1)


def settle(term: Term, quiet=1.5, timeout=30.0):
    """Read until the terminal has received nothing for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and term._pump(quiet):
        pass


def record_claude(cs_exe, cs_home: Path, tmp_path: Path, claude_bin: str, cols=100, rows=30) -> str:
    """A real Claude Code conversation (two prompts, a long reply each) through
    `cs record`, against the loopback fake API; returns the session id."""
    from tests.helpers.fake_anthropic import FakeAnthropic, claude_home

    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    key = "sk-ant-api03-cs-playback-test-" + "k" * 20
    with FakeAnthropic(REPLY) as api:
        env = dict(os.environ, **claude_home(tmp_path, project, key, api.url))
        env.update(
            {
                "CS_HOME": str(cs_home),
                "CS_NO_DAEMON": "1",
                "LANG": "C.UTF-8",
                "PATH": os.pathsep.join(
                    [str(Path(claude_bin).parent), os.path.dirname(cs_exe), os.environ.get("PATH", "")]
                ),
            }
        )
        node = shutil.which("node")
        if node:
            env["PATH"] += os.pathsep + os.path.dirname(node)
        term = Term([cs_exe, "record", "--", claude_bin], rows=rows, cols=cols, env=env, cwd=project)
        screen, stream = pyte_screen(cols, rows)
        wait_screen(term, screen, stream, lambda s: "Claude Code" in s and "❯" in s, what="claude")
        for n, prompt in enumerate(PROMPTS, 1):
            for ch in prompt:
                term.send(ch.encode())
                time.sleep(0.02)
            wait_screen(term, screen, stream, lambda s, p=prompt: p in s, what="the prompt")
            term.send(b"\r")
            deadline = time.monotonic() + 30
            while len(api.message_requests()) < n and time.monotonic() < deadline:
                term._pump(0.1)
            settle(term)
        term.send(b"\x03")
        time.sleep(0.3)
        term.send(b"\x03")
        term.finish()
    return only_session_id(cs_home)

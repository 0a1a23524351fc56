"""The real Claude Code CLI, run through the shell function and `cs record`, in a
real terminal (tmux), against a loopback stand-in of the Anthropic API.

What must hold: the user cannot tell the wrapper is there (same screen, same
exit status, same bytes on a pipe), and the log holds what was typed and what
was shown. Skipped only when no claude binary is installed.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from fake_anthropic import FakeAnthropic, claude_home, find_claude
from shell_helpers import logs, records, start_record, system_path_dirs, wait_for
from conftest import missing_tool

REPLY = "Seven purple otters juggle quietly beneath the loopback moon."
PROMPT = "tell me about the otters"
API_KEY = "sk-ant-api03-cs-e2e-test-key-" + "x" * 20
COLS, ROWS = 100, 30


@pytest.fixture
def claude_bin():
    path = find_claude()
    if not path:
        missing_tool("the Claude Code CLI (set CS_CLAUDE_BIN, or put claude on PATH)")
    return path


@pytest.fixture
def tmux_bin():
    path = shutil.which("tmux")
    if not path:
        missing_tool("tmux")
    return path


@pytest.fixture
def api():
    with FakeAnthropic(REPLY) as fake:
        yield fake


@pytest.fixture
def world(tmp_path, cs_exe, cs_home, claude_bin, api):
    """A project directory claude trusts, a HOME it needs no onboarding in, and
    PATH with claude, cs and the system tools, in that order."""
    project = tmp_path / "project"
    project.mkdir()
    env = claude_home(tmp_path, project, API_KEY, api.url)
    claude_dir = Path(claude_bin).parent
    node = shutil.which("node")
    path = [claude_dir, Path(cs_exe).parent, *system_path_dirs()]
    if node:
        path.append(Path(node).parent)
    env.update({
        "PATH": os.pathsep.join(dict.fromkeys(str(p) for p in path)),
        "CS_HOME": str(cs_home),
        "CS_NO_DAEMON": "1",
        "LANG": "C.UTF-8",
        "SHELL": shutil.which("bash") or "/bin/bash",
    })
    return {"env": env, "project": project, "tmp": tmp_path}


class Tmux:
    """One private tmux server (its own socket, no config) with one window."""

    def __init__(self, tmux_bin, env, cwd, command):
        # -L: a socket of our own in tmux's directory (short path, unlike tmp_path).
        # focus-events on: with it off, claude may add a hint about it to the
        # screen after a while, which would make two runs differ by timing.
        conf = Path(cwd).parent / "tmux.conf"
        conf.write_text("set -g focus-events on\n")
        self.base = [tmux_bin, "-L", f"cs-test-{uuid.uuid4().hex[:12]}", "-f", str(conf)]
        self.env = env
        self.run("new-session", "-d", "-x", str(COLS), "-y", str(ROWS), "-c", str(cwd), command)

    def run(self, *args, check=True):
        return subprocess.run(self.base + list(args), env=self.env, capture_output=True,
                              text=True, check=check, timeout=10)

    def screen(self) -> str:
        return self.run("capture-pane", "-p").stdout

    def keys(self, *keys):
        self.run("send-keys", *keys)

    def type(self, text):
        self.run("send-keys", "-l", text)

    def wait(self, predicate, timeout=20, what="screen"):
        last = [""]

        def check():
            last[0] = self.screen()
            return predicate(last[0])

        try:
            return wait_for(check, timeout, interval=0.1, what=what)
        except AssertionError as e:
            raise AssertionError(f"{e}; screen was:\n{last[0]}") from None

    def settled(self, timeout=10):
        """The screen once it stops changing (two captures 0.3 s apart agree)."""
        previous = [None]

        def same():
            now = self.screen()
            if now == previous[0]:
                return now
            previous[0] = now
            time.sleep(0.3)
            return None

        return self.wait(lambda _: same(), timeout, "the screen to settle")

    def kill(self):
        self.run("kill-server", check=False)


def input_box_holds(text):
    """The screen has a line `❯ text` (claude puts a no-break space after the
    ❯; capture-pane drops trailing blanks)."""
    want = ("❯ " + text).rstrip()
    return lambda screen: any(line.replace("\u00a0", " ").rstrip() == want
                              for line in screen.splitlines())


def converse(tmux):
    """Wait for claude to be ready, type the prompt, submit, wait for the reply
    to be complete; the settled screen."""
    tmux.wait(lambda s: "Claude Code" in s and input_box_holds("")(s), what="claude to start")
    tmux.type(PROMPT)
    tmux.wait(input_box_holds(PROMPT), what="the prompt in the input box")
    tmux.keys("Enter")
    # Done: the reply is shown and the input box is empty again.
    tmux.wait(lambda s: REPLY in s and input_box_holds(PROMPT)(s) and input_box_holds("")(s)
              and not input_box_holds(PROMPT)(s.split(REPLY, 1)[1]), what="the reply")
    return tmux.settled()


def talk_then_exit(tmux):
    during = converse(tmux)
    return during, exit_claude(tmux)


def interrupt_twice(tmux):
    """Leave the way impatient people do: Ctrl-C, and Ctrl-C again."""
    tmux.wait(lambda s: "Claude Code" in s and input_box_holds("")(s), what="claude to start")
    tmux.keys("C-c")
    during = tmux.wait(lambda s: "Press Ctrl-C again to exit" in s and s, what="the Ctrl-C notice")
    tmux.keys("C-c")
    after = tmux.wait(lambda s: re.search(r"^rc=\d+$", s, re.M) and s, what="claude to exit")
    return during, after


def exit_claude(tmux):
    tmux.type("/exit")
    tmux.wait(input_box_holds("/exit"), what="/exit typed")
    tmux.keys("Enter")
    return tmux.wait(lambda s: re.search(r"^rc=\d+$", s, re.M) and s, what="claude to exit")


# What legitimately differs between two runs of the same conversation.
NORMALISE = [
    # The turn summary: a random verb, the time taken and the wall clock.
    (re.compile(r"^✻ .*$", re.M), "✻ <turn summary>"),
    # Claude's own session id, printed on exit.
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
]


LOGO_WIDTH = 11  # the mascot left of the three header lines, animated at start


def normalise(screen: str) -> str:
    for pattern, replacement in NORMALISE:
        screen = pattern.sub(replacement, screen)
    lines = screen.split("\n")
    for i, line in enumerate(lines):
        if line[LOGO_WIDTH:].startswith("Claude Code v"):
            # The mascot blinks (and is drawn in frames) while claude starts:
            # which frame a capture catches is timing, not the wrapper.
            for j in range(i, min(i + 3, len(lines))):
                lines[j] = "<logo>" + " " * (LOGO_WIDTH - 6) + lines[j][LOGO_WIDTH:]
            break
    return "\n".join(lines)


def start_shell(shell, home: Path, with_cs: bool):
    """(command line, extra environment) for an interactive `shell` whose
    start-up file loads the cs integration or not, with the prompt `$ `."""
    exe = shutil.which(shell)
    if not exe:
        missing_tool(shell)
    load = {"bash": 'eval "$(cs init bash)"', "zsh": 'eval "$(cs init zsh)"',
            "fish": "cs init fish | source"}[shell] if with_cs else ""
    if shell == "bash":
        rc = home / ".bashrc"
        rc.write_text(f"{load}\nPS1='$ '\n")
        return f"{exe} --noprofile --rcfile {rc} -i", {}
    if shell == "zsh":
        (home / ".zshrc").write_text(f"{load}\nPROMPT='$ '\n")
        return f"{exe} -i", {"ZDOTDIR": str(home)}
    conf = home / ".config" / "fish"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "config.fish").write_text(
        f"{load}\nfunction fish_prompt; echo -n '$ '; end\nfunction fish_greeting; end\n")
    return f"{exe} -i", {"XDG_CONFIG_HOME": str(home / ".config")}


def run_conversation(tmux_bin, world, shell, with_cs, session=None):
    """In `shell` inside tmux, with or without the cs integration loaded, type
    `claude`, converse, exit: (screen with the reply, screen after exit).
    Each run gets a fresh HOME, the same as the other's: claude remembers
    notices it has shown."""
    name = f"{shell}-{'cs' if with_cs else 'bare'}"
    env = dict(world["env"])
    env.update(claude_home(world["tmp"] / name, world["project"], API_KEY, env["ANTHROPIC_BASE_URL"]))
    command, extra = start_shell(shell, Path(env["HOME"]), with_cs)
    env.update(extra)
    tmux = Tmux(tmux_bin, env, world["project"], command)
    try:
        tmux.wait(lambda s: s.rstrip().endswith("$"), what=f"the {shell} prompt")
        tmux.type("claude; echo rc=" + ("$status" if shell == "fish" else "$?"))
        tmux.keys("Enter")
        during, after = (session or talk_then_exit)(tmux)
        # Kept beside the test's other files, for reading when a comparison fails.
        (world["tmp"] / f"screen-{name}-during.txt").write_text(during)
        (world["tmp"] / f"screen-{name}-after.txt").write_text(after)
        return during, after
    finally:
        tmux.kill()


def decoded(log, direction):
    return b"".join(base64.b64decode(r["data"]) for r in records(log)
                    if r.get("direction") == direction)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_interactive_claude_looks_the_same_through_the_wrapper_and_is_recorded(
        shell, tmux_bin, world, cs_home, api):
    bare_during, bare_after = run_conversation(tmux_bin, world, shell, with_cs=False)
    assert not logs(cs_home), "the bare run must not be recorded"
    wrapped_during, wrapped_after = run_conversation(tmux_bin, world, shell, with_cs=True)

    # (a) the user sees the same thing, and claude exits the same way.
    assert REPLY in bare_during
    assert normalise(wrapped_during) == normalise(bare_during)
    assert normalise(wrapped_after) == normalise(bare_after)
    assert re.search(r"^rc=0$", wrapped_after, re.M)

    # Both conversations reached the API with the typed prompt.
    typed = [m for m in api.message_requests() if PROMPT in json.dumps(m)]
    assert len(typed) >= 2

    # (b) the log holds the typed prompt and the streamed reply.
    (log,) = logs(cs_home)
    start = start_record(log)
    assert Path(start["argv"][0]).name == "claude" and start["argv"][1:] == []
    assert (start["cols"], start["rows"]) == (COLS, ROWS)
    assert PROMPT.encode() in decoded(log, "input")
    shown = decoded(log, "output")
    for word in REPLY.split():
        assert word.encode() in shown, word
    end = list(records(log))[-1]
    assert end["type"] == "end" and end["exit_code"] == 0
    # Claude Code (2.1.330) prints `claude --resume <its session id>` on exit
    # after a conversation; the end line keeps that id.
    assert re.search(r"claude --resume \S+", bare_after)
    resume = re.search(r"claude --resume (\S+)", wrapped_after)
    assert resume and end.get("claude_session_id") == resume.group(1)


def test_print_mode_through_the_wrapper_gives_the_same_bytes_on_a_pipe(world, cs_home, claude_bin):
    env, cwd = world["env"], world["project"]
    bare = subprocess.run([claude_bin, "-p", "hi"], env=env, cwd=cwd, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=30)
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout == (REPLY + "\n").encode()
    assert not logs(cs_home)

    wrapped = subprocess.run(
        [shutil.which("bash"), "--norc", "--noprofile", "-c", 'eval "$(cs init bash)"; claude -p hi'],
        env=env, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=30)
    assert wrapped.returncode == bare.returncode, wrapped.stderr
    assert wrapped.stdout == bare.stdout
    assert wrapped.stderr == bare.stderr

    (log,) = logs(cs_home)
    start = start_record(log)
    assert start["argv"][1:] == ["-p", "hi"]
    assert start["stdout_tty"] is False
    assert decoded(log, "output") == bare.stdout
    end = list(records(log))[-1]
    assert end["type"] == "end" and end["exit_code"] == 0


def test_ctrl_c_twice_leaves_claude_the_same_way_through_the_wrapper(tmux_bin, world, cs_home):
    """Ctrl-C must reach claude as the key it is (the recorder's terminal is
    raw), not kill the recorder; the exit is the same as without it."""
    bare_during, bare_after = run_conversation(tmux_bin, world, "bash", False, interrupt_twice)
    wrapped_during, wrapped_after = run_conversation(tmux_bin, world, "bash", True, interrupt_twice)
    assert normalise(wrapped_during) == normalise(bare_during)
    assert normalise(wrapped_after) == normalise(bare_after)
    (log,) = logs(cs_home)
    assert decoded(log, "input").count(b"\x03") == 2
    end = list(records(log))[-1]
    rc = int(re.search(r"^rc=(\d+)$", wrapped_after, re.M).group(1))
    assert end["type"] == "end" and end["exit_code"] == rc


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_print_mode_through_each_shell_wrapper(shell, world, cs_home, claude_bin):
    exe = shutil.which(shell)
    if not exe:
        missing_tool(shell)
    env, cwd = world["env"], world["project"]
    if shell == "fish":
        # `--`: fish would take -p for one of its own options.
        argv = [exe, "--no-config", "-c", "cs init fish | source; claude $argv", "--", "-p", "say it"]
    else:
        flag = "--norc" if shell == "bash" else "-f"
        argv = [exe, flag, "-c", f'eval "$(cs init {shell})"; claude "$@"', shell, "-p", "say it"]
    wrapped = subprocess.run(argv, env=env, cwd=cwd, capture_output=True,
                             stdin=subprocess.DEVNULL, timeout=30)
    assert wrapped.returncode == 0, wrapped.stderr
    assert wrapped.stdout == (REPLY + "\n").encode()
    (log,) = logs(cs_home)
    assert start_record(log)["argv"][1:] == ["-p", "say it"]
    assert decoded(log, "output") == wrapped.stdout


def test_prompt_piped_into_claude_passes_through_the_wrapper(world, cs_home, api):
    """`... | claude -p`: stdin is a pipe, not a terminal; the prompt must reach
    claude (and the log) whole, and the answer come out as without cs."""
    env, cwd = world["env"], world["project"]
    piped = "summarise: the otters are juggling"
    results = []
    for load in ("", 'eval "$(cs init bash)"; '):
        before = len(api.message_requests())
        proc = subprocess.run(
            [shutil.which("bash"), "--norc", "--noprofile", "-c", f'{load}printf %s "$1" | claude -p', "bash",
             piped], env=env, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=30)
        results.append(proc)
        assert any(piped in json.dumps(body) for body in api.message_requests()[before:])
    bare, wrapped = results
    assert bare.returncode == wrapped.returncode == 0, (bare.stderr, wrapped.stderr)
    assert wrapped.stdout == bare.stdout == (REPLY + "\n").encode()
    (log,) = logs(cs_home)
    start = start_record(log)
    assert start["argv"][1:] == ["-p"] and start["stdin_tty"] is False
    assert decoded(log, "input") == piped.encode()
    assert decoded(log, "output") == wrapped.stdout

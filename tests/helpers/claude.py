"""The real Claude Code CLI in a real terminal (tmux), through the shell
function and `cs record`, against the loopback stand-in of the Anthropic API
(tests.helpers.fake_anthropic). The fixtures that build this world (claude_bin,
tmux_bin, api, world) are in tests/conftest.py."""

import base64
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

from tests.helpers.fake_anthropic import FakeAnthropic, claude_home, find_claude  # noqa: F401
from tests.helpers.shell import logs, records, start_record, system_path_dirs, wait_for  # noqa: F401
from tests.helpers.tools import missing_tool  # noqa: F401

REPLY = "Seven purple otters juggle quietly beneath the loopback moon."
PROMPT = "tell me about the otters"
API_KEY = "sk-ant-api03-cs-e2e-test-key-" + "x" * 20
COLS, ROWS = 100, 30


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
        return subprocess.run(
            self.base + list(args), env=self.env, capture_output=True, text=True, check=check, timeout=10
        )

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
    return lambda screen: any(line.replace("\u00a0", " ").rstrip() == want for line in screen.splitlines())


def converse(tmux):
    """Wait for claude to be ready, type the prompt, submit, wait for the reply
    to be complete; the settled screen."""
    tmux.wait(lambda s: "Claude Code" in s and input_box_holds("")(s), what="claude to start")
    tmux.type(PROMPT)
    tmux.wait(input_box_holds(PROMPT), what="the prompt in the input box")
    tmux.keys("Enter")
    # Done: the reply is shown and the input box is empty again.
    tmux.wait(
        lambda s: (
            REPLY in s
            and input_box_holds(PROMPT)(s)
            and input_box_holds("")(s)
            and not input_box_holds(PROMPT)(s.split(REPLY, 1)[1])
        ),
        what="the reply",
    )
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
    load = (
        {"bash": 'eval "$(cs init bash)"', "zsh": 'eval "$(cs init zsh)"', "fish": "cs init fish | source"}[shell]
        if with_cs
        else ""
    )
    if shell == "bash":
        rc = home / ".bashrc"
        rc.write_text(f"{load}\nPS1='$ '\n")
        return f"{exe} --noprofile --rcfile {rc} -i", {}
    if shell == "zsh":
        (home / ".zshrc").write_text(f"{load}\nPROMPT='$ '\n")
        return f"{exe} -i", {"ZDOTDIR": str(home)}
    conf = home / ".config" / "fish"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "config.fish").write_text(f"{load}\nfunction fish_prompt; echo -n '$ '; end\nfunction fish_greeting; end\n")
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
    return b"".join(base64.b64decode(r["data"]) for r in records(log) if r.get("direction") == direction)

"""A whole Claude Code session, the way people have them, recorded by `cs record`
in tmux against the loopback API stand-in: the material the story of a session
(cs.story) is tested on, live (tests/test_story_real.py) and as fixtures
(tests/fixtures/story/, made by `python -m tests.helpers.story_sessions`).

What happens in it, in order:
  1. a prompt whose answer is a tool call (Bash `touch ...`): a permission
     question (claude runs with `--permission-mode default`), answered "Yes";
     the tool's result; a reply;
  2. a prompt whose reply streams slowly and is interrupted with Esc;
  3. `/cle` typed slowly (the slash-command menu pops up), completed to
     `/clear`, submitted: a new Claude session in the same process;
  4. the window resized;
  5. a third prompt and its reply;
  6. `/exi` typed (the menu again), `t`, Enter: Claude Code exits and prints its
     resume line.
The texts of prompts and replies are distinct words, so a test can count them.
"""

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers.claude import Tmux
from tests.helpers.fake_anthropic import FakeAnthropic, claude_home

PROMPTS = (
    "please list the otter files",
    "tell me a long story about badgers",
    "third question about ferrets",
)
TOOL_REPLY = "Done: the otters are marked as seen in otters-seen.txt, next to notes.txt and otters.md."
LONG_REPLY = " ".join(f"badger{i}" for i in range(1, 200))
FINAL_REPLY = (
    "Ferrets are small domesticated mustelids. "
    + " ".join(f"ferretword{i}" for i in range(1, 40))
    + ". That is all about ferrets."
)
API_KEY = "sk-ant-api03-story-test-" + "s" * 30
ROWS = 30


def script(body):
    """The stand-in's answer to a conversation request, by what it answers: the
    newest user turn that is a tool's result or one of the prompts (Claude
    Code adds turns of its own after the prompt: its environment, reminders)."""
    for message in reversed(body.get("messages") or []):
        content = message.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": str(content)}]
        if message.get("role") != "user":
            continue
        if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in blocks):
            return [{"type": "text", "text": TOOL_REPLY}]
        said = " ".join(b.get("text", "") for b in blocks if isinstance(b, dict))
        if PROMPTS[0] in said:
            ask = {"command": "touch otters-seen.txt", "description": "Mark the otters as seen"}
            return [{"type": "tool_use", "name": "Bash", "input": ask}]
        if PROMPTS[1] in said:
            return [{"type": "text", "text": LONG_REPLY, "delay": 0.25}]
        if PROMPTS[2] in said:
            return [{"type": "text", "text": FINAL_REPLY}]
    return None


def _typed_slowly(tmux, text, pause=0.15):
    for ch in text:
        tmux.type(ch)
        time.sleep(pause)


def _holds(text):
    """The screen shows `text` (perhaps wrapped by the terminal at its width)."""
    return lambda screen: text in screen.replace("\u00a0", " ") or text in screen.replace("\n", "")


def drive(tmux, cols):
    """The session described in the module doc, through tmux keys."""
    tmux.wait(lambda s: "❯" in s or re.search(r"^>", s, re.M), timeout=60, what="claude to start")
    time.sleep(1.5)  # (driving only: older releases drop keys typed while they start)
    # 1. tool call, permission question, answer
    tmux.type(PROMPTS[0])
    tmux.wait(_holds(PROMPTS[0]), what="prompt 1 typed")
    tmux.keys("Enter")
    tmux.wait(lambda s: "proceed" in s.lower() or "1. Yes" in s, timeout=60, what="the permission question")
    time.sleep(0.5)
    tmux.keys("Enter")
    tmux.wait(_holds("next to notes.txt"), timeout=60, what="reply 1")
    time.sleep(1.5)
    # 2. a slow reply, interrupted
    tmux.type(PROMPTS[1])
    tmux.wait(_holds(PROMPTS[1]), what="prompt 2 typed")
    tmux.keys("Enter")
    # (Older releases show a reply only once it is whole: interrupt it after a while.)
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline and "badger3" not in tmux.screen():
        time.sleep(0.1)
    tmux.keys("Escape")
    tmux.wait(lambda s: "Interrupted" in s, timeout=30, what="the interruption")
    time.sleep(1.5)
    # 3. the slash menu while typing, then /clear
    _typed_slowly(tmux, "/cle")
    time.sleep(0.5)
    _typed_slowly(tmux, "ar")
    time.sleep(0.3)
    tmux.keys("Enter")
    time.sleep(2.5)
    # 4. a resize
    tmux.run("resize-window", "-x", str(cols - 10), "-y", str(ROWS - 4))
    time.sleep(1.5)
    tmux.run("resize-window", "-x", str(cols), "-y", str(ROWS))
    time.sleep(1.5)
    # 5. a third prompt
    tmux.type(PROMPTS[2])
    tmux.wait(_holds(PROMPTS[2]), what="prompt 3 typed")
    tmux.keys("Enter")
    tmux.wait(_holds("all about ferrets"), timeout=60, what="reply 3")
    time.sleep(1.5)
    # 6. the menu again, and /exit
    _typed_slowly(tmux, "/exi")
    time.sleep(0.5)
    tmux.type("t")
    time.sleep(0.3)
    tmux.keys("Enter")
    return tmux.wait(lambda s: re.search(r"^rc=\d+$", s, re.M) and s, timeout=60, what="claude to exit")


def record(claude: str, cols: int, work: Path, cs_exe: str, cs_home: Path, tmux_bin: str):
    """Record the session with `claude` at `cols` columns; returns (the id of the
    recording, tmux's own history of the pane after the session)."""
    project = work / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "notes.txt").write_text("otters\n")
    (project / "otters.md").write_text("# Otters\n")
    with FakeAnthropic("a side reply", script=script) as api:
        env = claude_home(work, project, API_KEY, api.url)
        env.update(
            CS_HOME=str(cs_home),
            CS_NO_DAEMON="1",
            LANG="C.UTF-8",
            TERM="xterm-256color",
            PATH=str(Path(cs_exe).parent) + ":/usr/local/bin:/usr/bin:/bin",
        )
        command = f"{cs_exe} record -- {claude} --permission-mode default; echo rc=$?; sleep 600"
        tmux = Tmux(tmux_bin, env, project, f"bash --norc --noprofile -c '{command}'")
        try:
            tmux.run("resize-window", "-x", str(cols), "-y", str(ROWS))
            tmux.run("set-option", "-g", "history-limit", "50000")
            drive(tmux, cols)
            history = tmux.run("capture-pane", "-p", "-S", "-").stdout
        finally:
            tmux.kill()
    (log,) = [p for p in (cs_home / "logs").glob("*.jsonl")]
    return log.name.split(".")[0], history


# ---------------------------------------------------------------- fixtures

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "story"


def make_fixture(name: str, claude: str, cols: int, cs_exe: str, tmux_bin: str) -> Path:
    """tests/fixtures/story/<name>/: the recording's log, the Claude Code
    transcripts it produced (as `cs index` archived them), tmux's history."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cs_home = tmp / "cs-home"
        session_id, history = record(claude, cols, tmp, cs_exe, cs_home, tmux_bin)
        subprocess.run([cs_exe, "index"], env={"CS_HOME": str(cs_home), "HOME": str(tmp / "home")}, check=True)
        out = FIXTURES / name
        shutil.rmtree(out, ignore_errors=True)
        (out / "logs").mkdir(parents=True)
        shutil.copy(cs_home / "logs" / f"{session_id}.jsonl", out / "logs")
        claude_dir = cs_home / "claude"
        if claude_dir.exists():
            shutil.copytree(claude_dir, out / "claude", ignore=shutil.ignore_patterns("*.lock"))
        (out / "tmux-history.txt").write_text(history)
        (out / "about.json").write_text(
            json.dumps({"claude": claude_version(claude), "cols": cols, "rows": ROWS, "session": session_id}) + "\n"
        )
    return out


def claude_version(claude: str) -> str:
    done = subprocess.run([claude, "--version"], capture_output=True, text=True, timeout=60)
    return done.stdout.split()[0] if done.stdout else "unknown"


if __name__ == "__main__":
    from tests.helpers.fake_anthropic import find_claude, find_new_claude, find_old_claude

    cs_exe = str(Path(sys.executable).parent / "cs")
    tmux_bin = shutil.which("tmux")
    wanted = sys.argv[1:] or ["pinned", "old", "new"]
    finders = {"pinned": find_claude, "old": find_old_claude, "new": find_new_claude}
    for which in wanted:
        for cols in (80, 120):
            print(make_fixture(f"{which}-{cols}", finders[which](), cols, cs_exe, tmux_bin), flush=True)

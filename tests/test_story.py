"""The story of a session (cs.story) on recorded sessions of real Claude Code
releases (tests/fixtures/story/: the pinned 2.1.330, the newest 2.1.332 and
the older 2.0.76, each at 80 and 120 columns, made by
`python -m tests.helpers.story_sessions`): what `cs show`, `cs show --screen`
and the exports print, through the real `cs` command."""

import json
import shutil
from pathlib import Path

import pytest

from cs.story import text as story_text
from cs.story.model import PROMPT, Entry
from tests.helpers.cli import run_cs
from tests.helpers.story_checks import check_story, chrome_rows
from tests.helpers.story_sessions import FIXTURES, PROMPTS

SESSIONS = sorted(p.name for p in FIXTURES.iterdir() if (p / "about.json").exists()) if FIXTURES.exists() else []


def installed(name: str, cs_home: Path) -> str:
    """The fixture's log and archived transcripts in a fresh cs home, indexed;
    the recording's id."""
    fixture = FIXTURES / name
    shutil.copytree(fixture / "logs", cs_home / "logs")
    if (fixture / "claude").exists():
        shutil.copytree(fixture / "claude", cs_home / "claude")
    run_cs(None, "index", check=True)
    return json.loads((fixture / "about.json").read_text())["session"]


def shown(*args) -> list:
    done = run_cs(None, "show", *args, check=True)
    return done.stdout.splitlines()


@pytest.mark.parametrize("name", SESSIONS)
def test_show_tells_each_thing_once_in_order_without_chrome(name, cs_home):
    sid = installed(name, cs_home)
    check_story(shown(sid))


@pytest.mark.parametrize("name", SESSIONS)
def test_the_screen_alone_tells_the_same_story(name, cs_home):
    """`--screen`: no transcript, the same prompts and replies, no chrome."""
    sid = installed(name, cs_home)
    check_story(shown(sid, "--screen"), transcript=False)


@pytest.mark.parametrize("name", SESSIONS)
def test_the_text_and_markdown_exports_tell_the_story(name, cs_home):
    sid = installed(name, cs_home)
    text = run_cs(None, "export", sid, "--format", "text", check=True).stdout.splitlines()
    assert text == shown(sid)
    markdown = run_cs(None, "export", sid, "--format", "markdown", check=True).stdout
    for prompt in PROMPTS:
        assert markdown.count(f"> {prompt}\n") == 1
    assert not chrome_rows(markdown.splitlines())


@pytest.mark.parametrize("name", [n for n in SESSIONS if n.startswith("old-")])
def test_inline_sessions_match_what_the_terminal_kept(name, cs_home):
    """Claude Code 2.0 draws inline: tmux's own history after the session holds
    the story's prompts and replies, in the same order."""
    sid = installed(name, cs_home)
    history = " ".join((FIXTURES / name / "tmux-history.txt").read_text().replace("\u00a0", " ").split())
    at = 0
    for line in shown(sid, "--screen"):
        if line.startswith(("> ", "● ")) and not line.startswith("> /"):
            words = " ".join(line[2:].split())[:60]
            found = history.find(words, at)
            assert found >= 0, f"{words!r} not in tmux's history after position {at}"
            at = found


def test_a_session_that_is_not_claude_is_told_from_its_screen(cs_home, tmp_path):
    from tests.helpers.logs import LogWriter

    log = LogWriter(cs_home / "logs", argv=["bash"], lock=False)
    log.output(b"$ ")
    log.input(b"echo hello\r")
    log.output(b"echo hello\r\nhello\r\n$ ")
    log.end(0)
    log.close()
    lines = shown(log.sid)
    assert "> echo hello" in lines and "hello" in lines
    assert lines[-1] == "exit status 0"


def test_markdown_quotes_what_it_does_not_trust():
    entries = [Entry("2026-12-06T10:00:00.000Z", PROMPT, "screen", "# not a heading\n<script>x</script>")]
    doc = story_text.as_markdown(entries, "t`itle")
    assert "> # not a heading" in doc and "> <script>x</script>" in doc and "# t'itle" in doc

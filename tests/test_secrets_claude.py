"""The real Claude Code CLI shows a key the model wrote (issue 21): it wraps the
108-character Anthropic key at the pane's width, with its hanging indent.
Recorded through the shell function and `cs record` in tmux at 80 and 120
columns, against the loopback stand-in of the API; no 16-character piece of
the key may be readable in `cs show`, the exports, `cs replay` or `cs tail`."""

import pytest

import tests.helpers.claude as claude_helpers
from tests.helpers.claude import exit_claude, input_box_holds, run_conversation
from tests.helpers.cli import run_cs
from tests.helpers.fake_anthropic import FakeAnthropic
from tests.helpers.leaks import assert_exports_unreadable, assert_unreadable
from tests.helpers.shell import logs
from tests.helpers.transcripts import SECRETS

pytestmark = pytest.mark.slow  # the real Claude Code CLI in a terminal

KEY = SECRETS["anthropic"]
REPLY = f"Your key is {KEY} and it is live."


@pytest.fixture
def api():
    """The stand-in API, answering with the key (overrides conftest's `api`)."""
    with FakeAnthropic(REPLY) as fake:
        yield fake


def shows_the_key_reply(tmux):
    """Wait for the reply (its last words) and an empty input box; then exit."""
    tmux.wait(lambda s: "Claude Code" in s and input_box_holds("")(s), what="claude to start")
    tmux.type("what is my key")
    tmux.wait(input_box_holds("what is my key"), what="the prompt in the input box")
    tmux.keys("Enter")
    during = tmux.wait(lambda s: ("it is live" in s and input_box_holds("")(s)) and s, what="the reply")
    return during, exit_claude(tmux)


@pytest.mark.parametrize("cols", [80, 120])
def test_a_key_claude_code_wraps_is_unreadable_in_every_output(tmux_bin, world, cs_home, monkeypatch, cols):
    monkeypatch.setattr(claude_helpers, "COLS", cols)
    during, _after = run_conversation(tmux_bin, world, "bash", True, shows_the_key_reply)
    if len(KEY) + 2 > cols:  # wrapped by Claude Code across rows: the test means something
        assert KEY not in during.replace("\n", "") and KEY[:40] in during
    (log,) = logs(cs_home)
    sid = log.name.split(".")[0]
    (cs_home.parent / f"claude-{cols}.jsonl").write_bytes(log.read_bytes())  # for reading when it fails
    run_cs(None, "index", "-q")
    shown = run_cs(None, "show", sid).stdout
    assert "Your key is" in shown and "[REDACTED:anthropic]" in shown
    assert_unreadable("show", shown)
    assert_exports_unreadable(sid)
    assert_unreadable("replay --no-wait", run_cs(None, "replay", "--no-wait", sid).stdout)
    assert_unreadable("tail", run_cs(None, "tail", sid).stdout)
    assert_unreadable("search --json", run_cs(None, "search", "--json", "key", check=False).stdout)

"""`cs show` reads in the order things happened (docs/rendering.md "Reading
order"): the real Claude Code CLI (the pinned 2.1.330, full-screen, and the
older 2.0.76, inline) recorded by `cs record`, three prompts with distinct
replies long enough to scroll; in `cs show` each prompt comes before its reply
and after the previous reply, and the chrome Claude Code redraws all the time
(the input box's rules, the status line, spinners) is shown once, after the
conversation. No timing in the assertions (the waits only drive the session)."""

import re
import time

import pytest

from tests.helpers.cli import run_cs
from tests.helpers.fake_anthropic import FakeAnthropic, claude_home, find_claude, find_old_claude
from tests.helpers.playback import pyte_screen, wait_screen
from tests.helpers.pty import Term, only_session_id
from tests.helpers.tools import missing_tool

WORDS = ("alpha", "bravo", "charlie")
PROMPTS = ("first question about otters", "second question about badgers", "third question about ferrets")


def reply(n, word):
    return f"Reply {n} begins: " + " ".join(f"{word}{i} is fine" for i in range(1, 25)) + f". Ends with {word}zulu."


def wait_for_bytes(term, start, needles, timeout=60):
    deadline = time.monotonic() + timeout
    while not all(n in term.screen[start:] for n in needles):
        assert not term.eof and time.monotonic() < deadline, term.screen[-2000:]
        term._pump(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("version", ["pinned", "old"])
def test_show_reads_in_order_with_chrome_once(cs_exe, cs_home, tmp_path, version):
    claude = find_claude() if version == "pinned" else find_old_claude()
    if not claude:
        missing_tool(f"the {version} Claude Code CLI (.ci/setup installs it)")
    project = tmp_path / "project"
    project.mkdir()
    script = [[{"type": "text", "text": reply(n, w)}] for n, w in enumerate(WORDS, 1)]
    with FakeAnthropic("a side reply", script=script) as api:
        env = claude_home(tmp_path, project, "sk-ant-test-" + "k" * 40, api.url)
        env.update(CS_HOME=str(cs_home), CS_NO_DAEMON="1", LANG="C.UTF-8", TERM="xterm-256color")
        term = Term([cs_exe, "record", "--", claude], cols=100, rows=30, env=env, cwd=str(project))
        screen, stream = pyte_screen(100, 30)
        term.expect(b"\xe2\x9d\xaf" if version == "pinned" else b"for shortcuts", timeout=60)
        time.sleep(1)  # (driving only: the old CLI drops keys typed while it starts)
        for prompt, word in zip(PROMPTS, WORDS):
            start = len(term.screen)
            for ch in prompt:
                term.send(ch.encode())
            # Typed: on the screen (its bytes come in redraw-sized pieces).
            wait_screen(term, screen, stream, lambda text, p=prompt: p in text, timeout=60, what=prompt)
            term.send(b"\r")
            # The reply is complete: its last word, then the turn summary's ✻.
            wait_for_bytes(term, start, [f"{word}zulu".encode()])
            wait_for_bytes(term, term.screen.index(f"{word}zulu".encode(), start), ["✻".encode()])
        term.send(b"\x03")
        term.expect(b"again to exit", timeout=30)
        term.send(b"\x03")
        term.finish(timeout=60)
    shown = run_cs(cs_exe, "show", only_session_id(cs_home)).stdout.splitlines()
    text = "\n".join(shown)

    def first(pattern):
        i = next((i for i, line in enumerate(shown) if re.search(pattern, line)), None)
        assert i is not None, (pattern, text)
        return i

    order = []
    for n, (prompt, word) in enumerate(zip(PROMPTS, WORDS), 1):
        order += [first(re.escape(prompt)), first(f"Reply {n} begins"), first(f"{word}zulu")]
    assert order == sorted(order), (order, text)
    conversation = range(order[0], order[-1] + 1)
    # Chrome: each kind at most once, none of it inside the conversation.
    rules = [i for i, line in enumerate(shown) if line.strip() and set(line.strip()) <= set("─")]
    status = [i for i, line in enumerate(shown) if re.search(r"for agents|\? for shortcuts", line)]
    spinners = [i for i, line in enumerate(shown) if re.match(r"\S [\w-]+…", line.strip())]
    for kind, where in (("rule", rules), ("status", status), ("spinner", spinners)):
        assert not [i for i in where if i in conversation], (kind, where, order, text)
    assert len(rules) <= 1 and len(set(shown[i] for i in status)) == len(status), text

"""Lines that wrap (docs/rendering.md "Wrapped lines", cs/index/paragraphs.py):
a logical line the terminal autowrapped at the right margin is one line in
the index; a paragraph a TUI word-wrapped itself (Claude Code's replies: rows
with a hanging indent under the bullet) is searchable as one text, a phrase
across the wrap is found, and `cs show` still shows the rows as the screen
showed them. Real logs, the real `cs` console script; the real Claude Code
CLI at 80, 120 and 200 columns (slow)."""

import json
import textwrap

import pytest

from cs.index.paragraphs import Paragraphs, searchable
from tests.helpers.cli import run_cs
from tests.helpers.fake_anthropic import claude_home
from tests.helpers.logs import LogWriter
from tests.helpers.pty import Term, only_session_id

LONG = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa "
    "quebec romeo sierra tango uniform victor whiskey xray yankee zulu"
)
MORE = " ".join(f"line {n} of 33" for n in range(1, 34))


def search(cs_exe, query):
    proc = run_cs(cs_exe, "search", "--jsonl", "--limit", "100", query, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return [json.loads(line)["text"] for line in proc.stdout.splitlines()]


def show(cs_exe, sid, *options):
    return run_cs(cs_exe, "show", sid, *options).stdout.splitlines()


def test_autowrapped_line_is_one_line(cs_exe, logs):
    """`cat` of a 162-character line on a 40-column terminal: four rows on the
    screen, one line in the index, scrolled off or left on the screen."""
    w = LogWriter(logs, cols=40, rows=6)
    w.output("$ cat notes.txt\r\n").output(LONG + "\r\n")
    w.output("".join(f"filler line {n}\r\n" for n in range(10)))  # the long line scrolls off
    w.output("$ cat more.txt\r\n" + MORE + "\r\n$ ").end()
    run_cs(cs_exe, "index")
    assert search(cs_exe, '"golf hotel india juliett"') == [LONG]  # across the first wrap (at column 40)
    assert search(cs_exe, '"line 32 of 33"') == [MORE]  # still on the screen at the end
    shown = show(cs_exe, w.sid)
    assert LONG in shown and MORE in shown


def claude_rows(text, cols, bullet="● "):
    """A paragraph word-wrapped the way Claude Code does: bullet, then rows
    with a hanging indent."""
    return textwrap.wrap(text, cols, initial_indent=bullet, subsequent_indent=" " * len(bullet))


REPLY = (
    "The build failed with error E1234 in module foo because the linker could not find the symbol bar_init, "
    "and the loader expects a path but got None instead of a string, so please rerun the configure step."
)


@pytest.mark.parametrize("cols", [60, 80, 120])
def test_word_wrapped_paragraph_is_searchable_as_one_text(cs_exe, logs, cols):
    rows = claude_rows(REPLY, cols)
    assert len(rows) >= 2
    # Ink's way: each row placed, words separated by cursor moves, a spinner below.
    w = LogWriter(logs, cols=cols, rows=24)
    w.output("❯ why did the build fail?\r\n\r\n")
    for row in rows:
        w.output(row.replace(" ", "\x1b[1C") + "\r\n")
    w.output("\r\n  Everything else compiled cleanly.\r\n✻ Cooked for 3s\r\n").end()
    run_cs(cs_exe, "index")
    # Every phrase of three words that crosses a wrap is found, in one line.
    crossing = []
    for a, b in zip(rows, rows[1:]):
        phrase = " ".join(a.split()[-2:] + b.split()[:1])
        crossing.append(phrase)
        assert search(cs_exe, f'"{phrase}"') == ["● " + REPLY], phrase
    assert crossing
    # cs show tells the story (cs.story): the reply once, unwrapped (a pager wraps
    # it again), the next paragraph a line of its own.
    shown = show(cs_exe, w.sid)
    assert shown.count("● " + REPLY) == 1
    assert "Everything else compiled cleanly." in shown
    assert not any("cleanly" in line for line in search(cs_exe, '"string, so"'))


def test_short_paragraphs_with_the_same_indent_stay_apart(cs_exe, logs):
    """The second row begins a paragraph of its own: its first word would have
    fitted on the row before, so it is no continuation."""
    w = LogWriter(logs, cols=80, rows=24)
    w.output("● First paragraph ends here.\r\n  Second paragraph starts here.\r\n").end()
    run_cs(cs_exe, "index")
    assert search(cs_exe, '"here. Second"') == []
    assert search(cs_exe, '"Second paragraph"') == ["  Second paragraph starts here."]


def test_joiner_rules():
    p = Paragraphs()
    lines = [
        ("● one two three four five six", 1),  # 29 wide on a 32-column screen: "seven" did not fit
        ("  seven eight", 2),
        ("  - item one that wraps here", 3),  # a bullet of its own: not a continuation
        ("    and goes on", 4),
        ("─" * 32, 5),  # a full-width rule: chrome, not autowrapped text
        ("x" * 32, 6),  # a full row of text: autowrapped
        ("yz", 7),
    ]
    out = p.feed(lines, 32) + p.close()
    assert out == [
        ("● one two three four five six\n  seven eight", 1),
        ("  - item one that wraps here\n    and goes on", 3),
        ("─" * 32, 5),
        ("x" * 32 + "yz", 6),
    ]
    assert [searchable(t) for t, _ in out][:2] == [
        "● one two three four five six seven eight",
        "  - item one that wraps here and goes on",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("cols", [80, 120, 200])
def test_real_claude_reply_phrase_across_the_wrap(cs_exe, cs_home, claude_bin, tmp_path, cols):
    """The real Claude Code CLI recorded by `cs record` at `cols` columns, a
    long reply: every phrase that crosses one of its wraps is found by `cs
    search`, and `cs show` tells the reply once, whole."""
    from tests.helpers.fake_anthropic import FakeAnthropic

    # Long enough to wrap several times at 200 columns; no phrase repeats.
    reply = REPLY + " " + " ".join(f"then step{i} passed" for i in range(1, 7 if cols < 100 else 25)) + "."
    project = tmp_path / "project"
    project.mkdir()
    with FakeAnthropic(reply) as api:
        env = claude_home(tmp_path, project, "sk-ant-test-" + "k" * 40, api.url)
        env.update(CS_HOME=str(cs_home), CS_NO_DAEMON="1", LANG="C.UTF-8", TERM="xterm-256color")
        term = Term([cs_exe, "record", "--", claude_bin], cols=cols, rows=40, env=env, cwd=str(project))
        term.expect(b"Claude Code", timeout=30)
        term.expect(b"\xe2\x9d\xaf", timeout=30)  # the input box's prompt
        for ch in "why did the build fail?":
            term.send(ch.encode())
        term.send(b"\r")
        term.expect(b"configure", timeout=40)
        term.expect(b"\xe2\x9c\xbb", timeout=40)  # ✻ the turn summary: the reply is complete
        term.send(b"\x03")
        term.expect(b"again to exit", timeout=20)
        term.send(b"\x03")
        term.finish(timeout=30)
    sid = only_session_id(cs_home)
    run_cs(cs_exe, "index")
    # cs show tells the reply once, unwrapped (cs.story); the screen wrapped it.
    shown = show(cs_exe, sid)
    replies = [line for line in shown if line.startswith(("● The build", "⏺ The build"))]
    assert len(replies) == 1 and replies[0][2:].startswith(reply[:200]), shown
    screen = show(cs_exe, sid, "--screen")
    assert [line for line in screen if line.startswith(("● The build", "⏺ The build"))] == replies
    rows = claude_rows(reply, cols)  # where Claude Code wraps it (Ink wraps the same way)
    assert len(rows) >= 2
    for a, b in zip(rows, rows[1:]):
        phrase = " ".join(a.split()[-2:] + b.split()[:2])
        found = search(cs_exe, f'"{phrase}"')
        assert found and all(reply[:100] in text for text in found), (phrase, found)

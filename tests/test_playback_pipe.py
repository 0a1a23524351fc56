"""A session whose output went to a pipe (`claude -p ... > file`: the start
line's `stdout_tty` is false) holds bare LFs; replay, tail, the asciicast and
HTML exports and the web player show it as a terminal would have (each line
from the left margin, not a staircase), while the log keeps its bytes
(cs.playback.events.shown_output; issue 21). pyte is the reference terminal."""

import json
import re

import pyte
import pytest

from cs.log import store
from tests.helpers.cli import run_cs
from tests.helpers.logs import LogWriter
from tests.helpers.pty import Term
from tests.helpers.tools import find_cs_exe

LINES = ["first line of the answer", "second line", "third and last line"]


def piped_session(logs, stdout_tty=False) -> str:
    w = LogWriter(logs, argv=("claude", "-p", "hello"), cols=80, rows=24, stdin_tty=True, stdout_tty=stdout_tty)
    for line in LINES:
        w.output(line + "\n", dt=0.05)
    w.end()
    return w.sid


def screen_of(data: bytes, cols=80, rows=24) -> list:
    screen = pyte.Screen(cols, rows)
    pyte.ByteStream(screen).feed(data)
    return [row.rstrip() for row in screen.display]


def drawn_as_lines(rows: list) -> bool:
    """Every line of the answer on a row of its own, from the left margin."""
    return all(line in rows for line in LINES)


def cast_output(cast: str) -> bytes:
    events = [json.loads(x) for x in cast.splitlines()[1:] if x.strip()]
    return "".join(e[2] for e in events if e[1] == "o").encode()


def test_a_piped_session_plays_as_its_terminal_would_have_shown_it(logs):
    sid = piped_session(logs)
    assert drawn_as_lines(screen_of(run_cs(None, "replay", "--no-wait", sid, text=False).stdout))
    assert drawn_as_lines(screen_of(run_cs(None, "tail", sid, text=False).stdout))
    for fmt in ("asciicast", "asciicast-v2"):
        assert drawn_as_lines(screen_of(cast_output(run_cs(None, "export", "--format", fmt, sid).stdout)))
    page = run_cs(None, "export", "--format", "html", sid).stdout
    cast = json.loads(re.search(r'id="cs-cast">(.*?)</script>', page, re.S).group(1))
    assert drawn_as_lines(screen_of(cast_output(cast)))
    # The log keeps the bytes as they went through the pipe.
    raw = run_cs(None, "show", "--raw", sid, text=False).stdout
    assert raw == "".join(line + "\n" for line in LINES).encode()
    assert b"\r" not in b"".join(p.read_bytes() for p in store.session_segments(logs, sid)).replace(b"\\r", b"")


def test_a_seek_into_a_piped_session_and_a_real_terminal_show_it_unstaired(logs):
    sid = piped_session(logs)
    seeked = run_cs(None, "replay", "--no-wait", "--at", "99%", sid, text=False).stdout
    assert "first line of the answer" in screen_of(seeked) and "second line" in screen_of(seeked)
    term = Term([find_cs_exe(), "replay", sid, "--idle-limit", "0"], rows=24, cols=80)
    term.finish(timeout=60)
    assert drawn_as_lines(screen_of(term.screen))


@pytest.mark.parametrize("stdout_tty", [True, None])
def test_a_terminal_session_is_played_byte_for_byte(logs, stdout_tty):
    # (None: an older start line without the field: played as it is.)
    w = LogWriter(logs, cols=80, rows=24, **({} if stdout_tty is None else {"stdout_tty": stdout_tty}))
    w.output("a\nb\r\n")
    w.end()
    assert run_cs(None, "replay", "--no-wait", w.sid, text=False).stdout == b"a\nb\r\n"


def test_the_web_player_shows_a_piped_session_unstaired(logs):
    pytest.importorskip("starlette")
    from tests.helpers.web import get, web_server

    sid = piped_session(logs)
    run_cs(None, "index", "-q")
    with web_server() as (base, token):
        _status, headers, _ = get(base + "/?token=" + token)
        jar = {"Cookie": headers["set-cookie"].split(";")[0]}
        status, _h, body = get(base + f"/api/session/{sid}/cast", jar)
    assert status == 200
    assert drawn_as_lines(screen_of(cast_output(body.decode())))

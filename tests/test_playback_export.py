"""`cs export`: asciicast v2 that asciinema 2.4 plays byte for byte, asciicast
v3 as its spec says, text as `cs show`, HTML that plays in headless Chromium,
and files written privately."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.playback import run
from tests.helpers.pty import Term, only_session_id
from tests.helpers.tools import missing_tool
from tests.helpers.web import browser

SCRIPT = (
    "printf '\\033[?1049h\\033[2Jfull screen \\342\\224\\200\\342\\224\\200 caf\\303\\251\\n'; "
    "printf '\\033[?1049l'; "
    "read -r line; printf 'you said: %s\\n' \"$line\"; "
    "read -r line; printf 'then: %s \\344\\270\\255\\346\\226\\207\\n' \"$line\"; exit 3"
)


@pytest.fixture
def session(cs_exe, cs_home):
    """A session recorded by the real recorder in a real PTY: UTF-8 output,
    the alternate screen, two typed lines, exit status 3."""
    env = dict(os.environ, CS_HOME=str(cs_home), CS_NO_DAEMON="1", LANG="C.UTF-8")
    term = Term([cs_exe, "record", "--", "sh", "-c", SCRIPT], rows=20, cols=70, env=env)
    term.expect(b"caf")
    term.send(b"hello there\r")
    term.expect(b"you said")
    term.send(b"second line\r")
    assert term.finish() == 3
    return only_session_id(cs_home)


def asciinema_bin():
    found = Path(sys.executable).parent / "asciinema"
    if not found.exists():
        missing_tool("asciinema 2.4 (pip install asciinema==2.4.0)")
    return str(found)


def test_asciinema_2_plays_our_v2_byte_for_byte(cs_exe, session, tmp_path):
    cast = tmp_path / "s.cast"
    run(cs_exe, "export", session[:8], "--format", "asciicast-v2", "-o", str(cast))
    raw = run(cs_exe, "show", "--raw", session[:8]).stdout
    played = subprocess.run(
        [asciinema_bin(), "cat", str(cast)], capture_output=True, check=True, env=dict(os.environ, LANG="C.UTF-8")
    ).stdout
    assert b"caf\xc3\xa9" in raw and played == raw
    head = json.loads(cast.read_text().splitlines()[0])
    assert head["version"] == 2 and (head["width"], head["height"]) == (70, 20)
    assert head["env"] == {"TERM": "xterm"} and head["idle_time_limit"] == 2.0
    assert head["title"].endswith("hello there") and head["command"].startswith("sh -c")


def test_v3_structure(cs_exe, session):
    lines = run(cs_exe, "export", session[:8]).stdout.decode().splitlines()
    head, events = json.loads(lines[0]), [json.loads(x) for x in lines[1:]]
    assert head["version"] == 3 and head["term"] == {"cols": 70, "rows": 20, "type": "xterm"}
    assert "width" not in head and "duration" not in head and isinstance(head["timestamp"], int)
    assert all(isinstance(e[0], float) and e[0] >= 0 for e in events)  # intervals, never negative
    codes = [e[1] for e in events]
    assert set(codes) <= {"o", "m", "x"} and "i" not in codes
    assert [e[2] for e in events if e[1] == "m"] == ["hello there", "second line"]
    assert events[-1][1:] == ["x", "3"]
    v2 = [
        json.loads(x)
        for x in run(cs_exe, "export", session[:8], "--format", "asciicast-v2").stdout.decode().splitlines()[1:]
    ]
    absolute = [round(sum(e[0] for e in events[: i + 1]), 6) for i in range(len(v2))]
    assert absolute == pytest.approx([e[0] for e in v2], abs=1e-5)
    with_input = run(cs_exe, "export", session[:8], "--input").stdout.decode().splitlines()
    typed = "".join(json.loads(x)[2] for x in with_input[1:] if json.loads(x)[1] == "i")
    assert typed == "hello there\rsecond line\r"


def test_text_is_what_cs_show_prints(cs_exe, session):
    shown = run(cs_exe, "show", session[:8]).stdout
    assert run(cs_exe, "export", session[:8], "--format", "text").stdout == shown
    assert b"then: second line" in shown


def test_output_file_is_private_and_never_overwritten_silently(cs_exe, session, tmp_path):
    target = tmp_path / "out.cast"
    os.umask(0o022)
    run(cs_exe, "export", session[:8], "-o", str(target))
    assert target.stat().st_mode & 0o777 == 0o600
    first = target.read_bytes()
    again = run(cs_exe, "export", session[:8], "--format", "text", "-o", str(target), check=False)
    assert again.returncode == 2 and b"--force" in again.stderr and target.read_bytes() == first
    run(cs_exe, "export", session[:8], "--format", "text", "-o", str(target), "--force")
    assert target.read_bytes() != first and target.stat().st_mode & 0o777 == 0o600


def test_several_sessions_by_filter(cs_exe, logs):
    from tests.helpers.logs import LogWriter

    for i in range(2):
        LogWriter(logs, cwd=f"/w/proj{i % 2}").output(f"session {i}\r\n").end()
    LogWriter(logs, cwd="/w/proj0").output("another\r\n").end()
    out = run(cs_exe, "export", "--project", "proj0", "--format", "text").stdout
    assert b"session 0" in out and b"another" in out and b"session 1" not in out
    casts = run(cs_exe, "export", "--project", "proj0").stdout.decode().splitlines()
    assert sum(1 for x in casts if json.loads(x).__class__ is dict) == 2
    assert run(cs_exe, "export", check=False).returncode == 2


def test_html_escapes_the_recording():
    from cs.playback.html import script_json

    hostile = "</script><script>alert(1)</script><!-- \u2028"
    text = script_json(hostile)
    assert "<" not in text and ">" not in text and "\u2028" not in text
    assert json.loads(text) == hostile


def test_html_plays_offline_in_headless_chromium(cs_exe, logs, tmp_path):
    from tests.helpers.logs import LogWriter

    w = LogWriter(logs, cols=100, rows=8)
    w.input("show me\r")
    w.output("\x1b[1;32mgreen text\x1b[0m and </script><script>document.title='pwned'</script>\r\n")
    w.output("second line \u00e9\u4e2d\r\n", dt=0.5)
    w.end()
    page_file = tmp_path / "s.html"
    run(cs_exe, "export", w.sid[:8], "--format", "html", "-o", str(page_file))
    with browser() as b:
        page = b.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri())
        page.wait_for_function("window.csPlayer !== undefined")
        page.evaluate("window.csPlayer.play()")
        page.wait_for_function(
            "document.querySelector('.ap-term') && "
            "document.querySelector('.ap-term').innerText.includes('second line')",
            timeout=20000,
        )
        text = page.inner_text(".ap-term")
        title = page.title()
    text = text.replace("\n", "")  # the player puts spans on lines of their own
    assert "green text and </script><script>document.title='pwned'</script>" in text
    assert "second line é中" in text
    assert title != "pwned" and "show me" in title
    assert all(u.startswith(("file:", "blob:", "data:")) for u in requests), requests


def test_resizes_markers_and_exit_in_both_versions(cs_exe, logs):
    from tests.helpers.logs import LogWriter

    w = LogWriter(logs, cols=50, rows=7, t0=1_700_000_000.0)
    w.output("a", dt=1.0).resize(60, 9).input("go\r", dt=0.5).output("\u00e9"[:1], dt=0.25)
    w.output(b"\xe4\xb8").output(b"\xad!", dt=0.25)  # a character cut between two lines
    w.end(9)
    v3 = [json.loads(x) for x in run(cs_exe, "export", w.sid[:8]).stdout.decode().splitlines()]
    assert [e[1:] for e in v3[1:]] == [["o", "a"], ["r", "60x9"], ["m", "go"], ["o", "é"], ["o", "中!"], ["x", "9"]]
    # (the log keeps milliseconds, truncated)
    assert [e[0] for e in v3[1:5]] == pytest.approx([1.0, 0.01, 0.5, 0.25], abs=0.0015)
    v2 = [
        json.loads(x) for x in run(cs_exe, "export", w.sid[:8], "--format", "asciicast-v2").stdout.decode().splitlines()
    ]
    assert [e[0] for e in v2[1:]] == pytest.approx([1.0, 1.01, 1.51, 1.76, 2.02], abs=0.0015)
    assert v2[0]["timestamp"] == 1_700_000_000

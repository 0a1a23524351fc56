"""Nothing leaks, through any output (issue 21): every kind of secret cs.redact
knows, hard-wrapped across two rows by a TUI at 80 and 120 columns (a row, a
row break, the indented continuation), coloured in its middle, and held by the
command line and the working directory themselves, is unreadable in every
output: `cs show`, `cs list/search --json`, the text, markdown, asciicast
(v3, v2) and HTML exports, `cs replay` (run in a real PTY, from the start and
from a seek), `cs tail` (raw and --text), and the web viewer's API and pages.

"Unreadable": no 16-character piece of the secret appears in the output, nor
in it with its escape sequences stripped and its rows joined (whitespace
removed), nor in the text an asciicast's events carry (decoded, joined).
Real logs (LogWriter), a real index, the real `cs`, a real PTY, a real
`cs web`; the web pages in headless Chromium (slow)."""

import pytest

from tests.helpers.cli import run_cs
from tests.helpers.leaks import (
    FILLER,
    IN_ARGV,
    IN_CLAUDE_ARGV,
    IN_CWD,
    KINDS,
    PEM,
    WIDTHS,
    assert_exports_unreadable,
    assert_unreadable,
    cast_text,
)
from tests.helpers.logs import LogWriter
from tests.helpers.pty import Term
from tests.helpers.tools import find_cs_exe
from tests.helpers.transcripts import CLAUDE_ID, assistant, user, write


def tui_rows(kind: str, width: int, shape: str, row: int) -> str:
    """A TUI's drawing of `kind`'s secret hard-wrapped at `width` (`shape`:
    `full` a row as wide as the terminal, CRLF, two blanks of indentation;
    `margin` a row two columns short of it (a TUI's right margin), CRLF;
    `moved` the rows placed by cursor moves, as Ink redraws them; `coloured`
    unwrapped, with a colour change in its middle)."""
    secret = KINDS[kind]
    half = max(1, len(secret) // 2)
    label = f"● {kind} is "
    if shape == "coloured":
        return f"{label}{secret[:half]}\x1b[1;33m{secret[half:]}\x1b[0m done\r\n"
    right = width - (2 if shape == "margin" else 0)
    lead = label + (FILLER * 3)[: right - half - len(label) - 1] + " "
    first, rest = lead + secret[:half], secret[half:]
    assert len(first) == right
    if shape == "moved":
        return f"\x1b[{row};1H{first}\x1b[{row + 1};3H{rest}\x1b[{row + 2};1H"
    return f"{first}\r\n  {rest}\r\n"


SHAPES = ("full", "margin", "moved", "coloured")


def write_screen_session(logs, width: int) -> str:
    """Every kind in every shape, then a private key block, at `width`."""
    w = LogWriter(logs, cols=width, rows=40)
    w.output("\x1b[2J\x1b[Hwrapneighbour ready\r\n", dt=0.05)
    for shape in SHAPES:
        w.output("\x1b[2J\x1b[H", dt=0.02)  # each shape on a clear screen, each kind on rows of its own
        for i, kind in enumerate(sorted(KINDS)):
            w.output(tui_rows(kind, width, shape, 2 + 3 * i), dt=0.02)
    w.output("$ cat id_ed25519\r\n" + "\r\n".join(PEM) + "\r\nwrapneighbour after\r\n", dt=0.05)
    w.input("q", dt=0.05)
    w.end()
    return w.sid


def write_drawn_session(logs, width: int) -> str:
    """Every kind drawn out of reading order, as a TUI repainting cells may:
    the right half first (an absolute cursor move), then the left half before
    it, each kind on a row of its own."""
    w = LogWriter(logs, cols=width, rows=40)
    w.output("\x1b[2J\x1b[Hdrawnneighbour\r\n", dt=0.05)
    for i, kind in enumerate(sorted(KINDS)):
        secret, row = KINDS[kind], 3 + 2 * i
        if len("key ") + len(secret) > width:
            continue  # (one row each: the 108 characters of an Anthropic key at 120 columns only)
        half = len(secret) // 2
        w.output(f"\x1b[{row};{5 + half}H{secret[half:]}", dt=0.02)
        w.output(f"\x1b[{row};1Hkey {secret[:half]}", dt=0.02)
    w.output(f"\x1b[{4 + 2 * len(KINDS)};1Hdone\r\n", dt=0.05)
    w.end()
    return w.sid


def write_command_sessions(logs, config_dir) -> list:
    """`bash -c "echo 'using key sk-ant-...'"` (run in a directory named by a
    key), and `claude "deploy with GITHUB_TOKEN=ghp_..."` with its transcript."""
    w = LogWriter(logs, argv=("bash", "-c", f"echo 'using key {IN_ARGV}'"), cwd=f"/home/u/{IN_CWD}", cols=80)
    w.output(f"using key {IN_ARGV}\r\n", dt=0.05)
    w.end()
    prompt = f"deploy with GITHUB_TOKEN={IN_CLAUDE_ARGV}"
    c = LogWriter(logs, argv=("claude", prompt), cwd=f"/home/u/{IN_CWD}", cols=80, t0=1796119200.0)
    c.event("claude_session", {"claude_session_id": CLAUDE_ID, "how": "session-id"})
    c.output("● deploying\r\n", dt=2)
    c.end()
    project = "-home-u-" + IN_CWD
    write(
        config_dir / "projects" / project / f"{CLAUDE_ID}.jsonl",
        user(prompt) + assistant([{"type": "text", "text": "done"}]),
    )
    return [w.sid, c.sid]


@pytest.fixture
def recorded(logs, tmp_path, monkeypatch):
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    screens = {width: write_screen_session(logs, width) for width in WIDTHS}
    commands = write_command_sessions(logs, config)
    run_cs(None, "index", "-q")
    return screens, commands


def index_file_text() -> str:
    """The index database file and its WAL, as text (what `strings` would read)."""
    from cs.log import paths

    db = paths.db_path()
    data = b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())
    return data.decode("utf-8", "replace")


def replay_in_a_pty(sid: str, width: int, *args) -> str:
    """`cs replay` in a real terminal of the recording's size: what the screen received."""
    argv = [find_cs_exe(), "replay", sid, "--idle-limit", "0", "--speed", "64", *args]
    term = Term(argv, rows=40, cols=width)
    term.finish(timeout=60)
    return term.screen.decode("utf-8", "replace")


def test_every_cli_output_hides_every_piece_of_every_secret(recorded):
    screens, commands = recorded
    everyone = list(screens.values()) + commands
    assert "wrapneighbour ready" in run_cs(None, "show", screens[80]).stdout  # the text around is kept
    assert_unreadable("index.db", index_file_text())
    assert_unreadable("list --json", run_cs(None, "list", "--json").stdout)
    for word in ("wrapneighbour", "using", "deploying", "deploy"):
        assert_unreadable(f"search --json {word}", run_cs(None, "search", "--json", word, check=False).stdout)
    for sid in everyone:
        assert_unreadable(f"show {sid[:8]}", run_cs(None, "show", sid).stdout)
        assert_exports_unreadable(sid, sid[:8])
        cast = run_cs(None, "export", "--input", sid).stdout
        assert_unreadable(f"export --input {sid[:8]}", cast_text(cast))
        assert_unreadable(f"tail {sid[:8]}", run_cs(None, "tail", sid).stdout)
        assert_unreadable(f"tail --text {sid[:8]}", run_cs(None, "tail", "--text", sid).stdout)
        assert_unreadable(f"replay --no-wait {sid[:8]}", run_cs(None, "replay", "--no-wait", sid).stdout)
    md = run_cs(None, "export", "--format", "markdown", commands[1]).stdout
    assert "deploy with GITHUB_TOKEN=[REDACTED:" in md
    assert_unreadable("export markdown", md)


@pytest.mark.parametrize("width", WIDTHS)
def test_replay_in_a_terminal_hides_every_piece_of_every_secret(recorded, width):
    screens, _ = recorded
    sid = screens[width]
    played = replay_in_a_pty(sid, width)
    assert "wrapneighbour after" in played
    assert_unreadable(f"replay at {width}", played)
    assert_unreadable(f"replay --at 50% at {width}", replay_in_a_pty(sid, width, "--at", "50%"))


@pytest.mark.slow
def test_the_web_viewer_hides_every_piece_of_every_secret(recorded):
    from tests.helpers.web import browser, get, web_server

    screens, commands = recorded
    with web_server() as (base, token):
        _status, headers, _ = get(base + "/?token=" + token)
        cookie = headers["set-cookie"].split(";")[0]
        jar = {"Cookie": cookie}
        paths = ["/", "/api/sessions", "/api/search?q=wrapneighbour", "/api/search?q=using", "/search?q=using"]
        for sid in list(screens.values()) + commands:
            paths += [
                f"/session/{sid}",
                f"/api/session/{sid}",
                f"/api/session/{sid}/text",
                f"/api/session/{sid}/cast",
                f"/api/session/{sid}/cast?at=50%25",
                f"/api/session/{sid}/conversation",
                f"/api/session/{sid}/download/asciicast",
            ]
        for path in paths:
            status, _headers, body = get(base + path, jar)
            assert status == 200, (path, status)
            text = body.decode("utf-8", "replace")
            assert_unreadable(path, text)
            if "/cast" in path or "download/asciicast" in path:
                assert_unreadable(path + " (events)", cast_text(text))
        with browser() as b:
            page = b.new_page()
            name, value = cookie.split("=", 1)
            page.context.add_cookies([{"name": name, "value": value, "url": base}])
            for sid in list(screens.values()) + commands:
                page.goto(f"{base}/session/{sid}")
                page.wait_for_selector(".ap-terminal, .ap-term", timeout=15000)
                page.wait_for_timeout(300)
                assert_unreadable(f"web page {sid[:8]}", page.inner_text("body"))
            page.goto(base + "/")
            assert_unreadable("web list page", page.inner_text("body"))


@pytest.mark.parametrize("width", WIDTHS)
def test_the_index_show_and_the_exports_hide_a_secret_drawn_out_of_reading_order(logs, width):
    # The byte stream alone cannot see it (the right half comes first); the
    # exports are told what the rendered session shows. (Replay, tail and the
    # web player still play such pieces: docs/security.md, "Limits".)
    sid = write_drawn_session(logs, width)
    assert "drawnneighbour" in run_cs(None, "show", sid).stdout
    run_cs(None, "index", "-q")
    assert_unreadable("index.db (drawn)", index_file_text())
    assert "drawnneighbour" in run_cs(None, "search", "drawnneighbour").stdout
    assert_unreadable("show (drawn)", run_cs(None, "show", sid).stdout)
    assert_exports_unreadable(sid, "(drawn)")


@pytest.mark.parametrize("mode", [(), ("--text",)])
def test_tail_following_a_live_session_hides_a_secret_wrapped_while_it_is_watched(logs, mode):
    import select
    import subprocess

    w = LogWriter(logs, cols=80, rows=40)  # live: the recorder's lock is held
    w.output("tailneighbour ready\r\n")
    proc = subprocess.Popen([find_cs_exe(), "tail", "-f", *mode, w.sid], stdout=subprocess.PIPE)
    seen, tick = b"", 0
    while not seen:  # it prints the screen (--text: lines that scrolled off): it is following
        if not select.select([proc.stdout], [], [], 0.2)[0]:
            assert tick < 1000, "cs tail -f printed nothing"
            w.output(f"tick {tick}\r\n")
            tick += 1
            continue
        seen += proc.stdout.read1(65536)
    for shape in ("full", "margin", "coloured"):
        for kind in sorted(KINDS):
            w.output(tui_rows(kind, 80, shape, 3))
    w.output("tailneighbour after\r\n")
    w.end()
    out, _ = proc.communicate(timeout=60)
    text = (seen + out).decode("utf-8", "replace")
    assert "tailneighbour after" in text
    assert_unreadable(f"tail -f {' '.join(mode)}", text)

"""Nothing leaks (issue 13): each kind of secret, printed, drawn in pieces by
cursor moves, and typed, is absent from `cs search`, from the database file's
bytes, from `cs show` and from the text, asciicast and markdown exports, while
the ordinary text beside it stays searchable. Real logs (LogWriter), a real
index, the real `cs` console script."""

import json
import os

import pytest

from cs.log import paths
from tests.helpers.cli import run_cs
from tests.helpers.logs import LogWriter
from tests.helpers.transcripts import SECRETS

SECRETS = dict(SECRETS)
SECRETS["assignment"] = "ANTHROPIC_TOKEN_X=hunter2hunter2hunter2"
PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "QyNTUxOQAAACDzQ2b7y0Zc3qLzl8PLjY5hbYSecretMaterialHere0123456789abcdef",
    "-----END OPENSSH PRIVATE KEY-----",
)


def _secret_value(kind):
    """The part that must never be seen (an assignment keeps its name)."""
    return SECRETS[kind].split("=", 1)[1] if kind == "assignment" else SECRETS[kind]


def _db_bytes() -> bytes:
    out = b""
    for suffix in ("", "-wal"):
        p = paths.db_path().with_name(paths.db_path().name + suffix)
        if p.exists():
            out += p.read_bytes()
    return out


def _write_session(logs, how: str, kind: str, word: str) -> str:
    """One finished session showing the secret of `kind` the way `how` says,
    next to an ordinary word that must stay searchable."""
    secret = SECRETS[kind]
    w = LogWriter(logs)
    if how == "printed":
        w.output(f"$ cat .env\r\n{word} {secret} trailing\r\n$ ", dt=0.05)
    elif how == "drawn":
        # One frame in three writes: the second half at column 41, then the
        # first half before it: never contiguous in the raw bytes, whole on
        # the screen.
        half = len(secret) // 2
        col = len(word) + 2
        w.output(f"\x1b[2J\x1b[5;1H{word} ", dt=0.05)
        w.output(f"\x1b[5;{col + half}H{secret[half:]}", dt=0.001)
        w.output(f"\x1b[5;{col}H{secret[:half]}\r\n\r\n", dt=0.001)
    else:  # typed, one key at a time, echoed by the shell
        for ch in f"echo {word} {secret}":
            w.input(ch, dt=0.02)
            w.output(ch, dt=0.001)
        w.input("\r", dt=0.02)
        w.output("\r\n", dt=0.01)
    w.output("done\r\n", dt=0.05)
    w.end()
    return w.sid


HOW = ("printed", "drawn", "typed")


@pytest.fixture
def sessions(logs):
    """Every (how, kind): its own session and its own ordinary word."""
    made = {}
    for how in HOW:
        for kind in sorted(SECRETS):
            word = f"{how}{kind.replace('-', '')}neighbour"
            made[(how, kind)] = (_write_session(logs, how, kind, word), word)
    run_cs(None, "index", "-q")
    return made


def test_no_secret_is_searchable_or_in_the_database_file(sessions):
    db = _db_bytes()
    for (how, kind), (sid, word) in sessions.items():
        value = _secret_value(kind)
        assert value.encode() not in db, (how, kind)
        for piece in (value[: len(value) // 2], value[len(value) // 2 :]):
            if len(piece) >= 12:
                assert piece.encode() not in db, (how, kind, piece)
        hits = [json.loads(x) for x in run_cs(None, "search", "--jsonl", word).stdout.splitlines()]
        assert hits and all(h["session_id"] == sid for h in hits), (how, kind, hits)
        texts = " ".join(h["text"] for h in hits)
        assert value not in texts and f"[REDACTED:{kind}]" in texts, (how, kind, texts)


def test_show_and_the_text_asciicast_exports_hold_no_secret(sessions):
    for (how, kind), (sid, word) in sessions.items():
        value = _secret_value(kind)
        shown = run_cs(None, "show", sid).stdout
        assert value not in shown and word in shown and f"[REDACTED:{kind}]" in shown, (how, kind, shown)
        for fmt in ("text", "asciicast", "asciicast-v2"):
            out = run_cs(None, "export", "--format", fmt, sid).stdout
            assert value not in out, (how, kind, fmt)
        if how != "drawn":  # contiguous in the stream: the stream redactor marks it
            cast = run_cs(None, "export", "--input", sid).stdout
            assert value not in cast and f"[REDACTED:{kind}]" in cast, (how, kind)


def test_a_private_key_block_leaves_no_line_behind(logs):
    w = LogWriter(logs)
    w.output("$ cat id_ed25519\r\n" + "\r\n".join(PEM) + "\r\nkeyneighbour\r\n", dt=0.05)
    w.end()
    run_cs(None, "index", "-q")
    db = _db_bytes()
    shown = run_cs(None, "show", w.sid).stdout
    cast = run_cs(None, "export", w.sid).stdout
    for body in PEM[1:3]:
        assert body.encode() not in db and body not in shown and body not in cast
    assert "[REDACTED:private-key]" in shown and "keyneighbour" in shown
    assert run_cs(None, "search", "keyneighbour").stdout


def test_raw_output_says_it_is_not_redacted_and_replay_and_tail_are_redacted_unless_raw(logs):
    w = LogWriter(logs)
    w.output(f"leak {SECRETS['github']}\r\n")
    w.end()
    for command in (("show",), ("replay", "--no-wait"), ("tail",)):
        proc = run_cs(None, *command, "--raw", w.sid)
        assert SECRETS["github"] in proc.stdout, command  # the raw bytes, as asked
        assert proc.stderr.count("raw bytes are not redacted") == 1, command
    for command in (("show",), ("replay", "--no-wait"), ("tail",), ("tail", "--text")):
        proc = run_cs(None, *command, w.sid)
        assert "leak [REDACTED:github]" in proc.stdout and SECRETS["github"] not in proc.stdout, command
        assert "not redacted" not in proc.stderr, command


def test_redact_off_and_the_users_own_patterns(logs):
    w = LogWriter(logs)
    w.output(f"internal ACME-{'7' * 12} and {SECRETS['github']}\r\n")
    w.end()
    run_cs(None, "config", "redact_patterns", r"ACME-\d{12},ZZZ-[a-z]{3}")
    run_cs(None, "index", "-q")
    shown = run_cs(None, "show", w.sid).stdout
    assert "[REDACTED:custom]" in shown and "ACME-7" not in shown and "[REDACTED:github]" in shown
    run_cs(None, "config", "redact", "off")
    shown = run_cs(None, "show", w.sid).stdout
    assert SECRETS["github"] in shown and "ACME-7777" in shown
    # The index keeps what it held until it is rebuilt.
    assert SECRETS["github"].encode() not in _db_bytes()
    run_cs(None, "index", "--rebuild", "-q")
    assert SECRETS["github"].encode() in _db_bytes()


def test_a_bad_user_pattern_is_refused_when_set(cs_home):
    proc = run_cs(None, "config", "redact_patterns", "(unclosed", check=False)
    assert proc.returncode == 2 and "not a regular expression" in proc.stderr
    proc = run_cs(None, "config", "redact", "maybe", check=False)
    assert proc.returncode == 2 and '"on" or "off"' in proc.stderr


def test_the_conversation_and_its_markdown_export_are_redacted(cs_home, logs, tmp_path, monkeypatch):
    from tests.helpers.transcripts import CLAUDE_ID, assistant, claude_recording, user

    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    secret = SECRETS["anthropic"]
    w = claude_recording(
        logs,
        config,
        "● reading your env\r\n",
        user(f"use the key {secret} for the pelican service")
        + assistant([{"type": "text", "text": f"Your .env says OPENAI_API_KEY={SECRETS['openai']} indeed."}]),
    )
    run_cs(None, "index", "-q")
    assert secret.encode() not in _db_bytes() and SECRETS["openai"].encode() not in _db_bytes()
    hits = run_cs(None, "search", "pelican").stdout
    assert "pelican" in hits and secret not in hits
    talk = run_cs(None, "show", "--conversation", w.sid).stdout
    assert "pelican" in talk and secret not in talk and SECRETS["openai"] not in talk
    md = run_cs(None, "export", "--format", "markdown", w.sid).stdout
    assert "pelican" in md and secret not in md and "[REDACTED:anthropic]" in md
    assert os.path.exists(cs_home / "claude" / f"{CLAUDE_ID}.jsonl")  # the archive itself is the truth: kept whole


def test_the_web_viewer_shows_no_secret(logs):
    from tests.helpers.web import get, web_server

    w = LogWriter(logs)
    w.output(f"webneighbour {SECRETS['github']} and AWS {SECRETS['aws']}\r\n")
    w.input(f"export NPM_TOKEN={SECRETS['npm']}\r")
    w.end()
    run_cs(None, "index", "-q")
    with web_server() as (base, token):
        _status, headers, _ = get(base + "/?token=" + token)
        jar = {"Cookie": headers["set-cookie"].split(";")[0]}
        bodies = [
            get(base + path, jar)[2].decode()
            for path in (
                "/api/search?q=webneighbour",
                "/search?q=webneighbour",
                f"/api/session/{w.sid}",
                f"/api/session/{w.sid}/text",
                f"/session/{w.sid}",
                "/",
            )
        ]
    assert "webneighbour" in bodies[0] and "webneighbour" in bodies[3]
    for body in bodies:
        for kind in ("github", "aws", "npm"):
            assert SECRETS[kind] not in body, (kind, body[:500])


def test_tail_text_is_redacted(logs):
    w = LogWriter(logs)
    w.output(f"tailneighbour {SECRETS['stripe']}\r\nmore\r\n")
    w.end()
    out = run_cs(None, "tail", "--text", w.sid).stdout
    assert "tailneighbour [REDACTED:stripe]" in out and SECRETS["stripe"] not in out


def test_a_real_pty_recording_typed_and_printed(cs_home, cs_exe):
    import sys
    import time

    from tests.helpers.pty import Term, only_session_id

    typed, printed = SECRETS["github"], SECRETS["openai"]
    env = dict(os.environ, PS1="$ ", ENV="/dev/null")
    term = Term([cs_exe, "record", "--", "sh"], env=env)
    term.expect(b"$ ")
    for ch in f"export GITHUB_TOKEN={typed}\r".encode():
        term.send(bytes([ch]))  # one key at a time, echoed one at a time
        time.sleep(0.003)
    term.expect(b"$ ", timeout=15)
    code = f"import sys; sys.stdout.write('ptyneighbour ' + {printed!r} + chr(10))"
    term.send(f'{sys.executable} -c "{code}"\r'.encode())
    term.expect(b"ptyneighbour sk-proj")
    term.send(b"exit\r")
    assert term.finish() == 0
    sid = only_session_id(cs_home)
    run_cs(None, "index", "-q")
    db = _db_bytes()
    assert typed.encode() not in db and printed.encode() not in db
    hits = run_cs(None, "search", "ptyneighbour").stdout
    assert "ptyneighbour [REDACTED:openai]" in hits
    shown = run_cs(None, "show", sid).stdout
    assert "export GITHUB_TOKEN=[REDACTED:" in shown and typed not in shown and printed not in shown
    for args in (("--format", "text"), ("--format", "asciicast", "--input"), ("--format", "html")):
        out = run_cs(None, "export", *args, sid).stdout
        assert typed not in out and printed not in out, args


def test_a_live_session_s_saved_screen_holds_no_secret(logs):
    w = LogWriter(logs)  # live: the recorder's lock is held
    w.output(f"liveneighbour {SECRETS['github']}\r\nsecond line\r\n$ ")
    w.input(f"echo {SECRETS['stripe']}")  # typed, not submitted yet
    w.output(f"echo {SECRETS['stripe']}")
    hits = run_cs(None, "search", "liveneighbour").stdout
    assert "liveneighbour [REDACTED:github]" in hits
    db = _db_bytes()
    assert SECRETS["github"].encode() not in db and SECRETS["stripe"].encode() not in db
    # Without a secret on its screen, a live session's renderer is saved as before.
    quiet = LogWriter(logs)
    quiet.output("quietneighbour\r\n$ ")
    run_cs(None, "search", "quietneighbour")
    import sqlite3

    conn = sqlite3.connect(paths.db_path())
    saved = {row[0] for row in conn.execute("SELECT session_id FROM render_state")}
    conn.close()
    assert saved == {quiet.sid}
    w.output("\r\nmore\r\n")
    w.end()
    quiet.end()
    run_cs(None, "index", "-q")
    assert SECRETS["stripe"].encode() not in _db_bytes()
    assert "echo [REDACTED:stripe]" in run_cs(None, "show", w.sid).stdout

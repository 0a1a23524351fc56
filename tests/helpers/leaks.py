"""Checking that no piece of a secret can be read in an output: the secrets
the leak tests write into sessions, and the check (no WINDOW-character piece
of any of them readable as the text is, without escape sequences, or with its
rows joined). Used by tests/test_secrets_everywhere.py and
tests/test_secrets_claude.py."""

import json
import re

from tests.helpers.cli import run_cs
from tests.helpers.transcripts import SECRETS

WINDOW = 16
WIDTHS = (80, 120)
KINDS = dict(SECRETS, assignment="ANTHROPIC_TOKEN_X=hunter2hunter2hunter2")
PEM_BODY = (
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "QyNTUxOQAAACDzQ2b7y0Zc3qLzl8PLjY5hbYSecretMaterialHere0123456789abcdef",
)
PEM = ("-----BEGIN OPENSSH PRIVATE KEY-----", *PEM_BODY, "-----END OPENSSH PRIVATE KEY-----")
# On the command line, and in the working directory.
IN_ARGV = SECRETS["anthropic"]
IN_CLAUDE_ARGV = SECRETS["github"]
IN_CWD = SECRETS["aws"]
FILLER = "the quick brown fox jumps over the lazy dog while it rains in spain and "
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[ -/]*[0-~])")


def secret_value(kind: str) -> str:
    """The part that must never be readable (an assignment keeps its name)."""
    return KINDS[kind].split("=", 1)[1] if kind == "assignment" else KINDS[kind]


def pieces(value: str) -> set:
    """Every WINDOW-character piece of `value` (the whole of a shorter one)."""
    if len(value) <= WINDOW:
        return {value}
    return {value[i : i + WINDOW] for i in range(len(value) - WINDOW + 1)}


def every_secret() -> dict:
    """{what: value} of every secret the sessions hold."""
    found = {kind: secret_value(kind) for kind in KINDS}
    found.update({f"pem{i}": body for i, body in enumerate(PEM_BODY)})
    found.update(argv=IN_ARGV, claude_argv=IN_CLAUDE_ARGV, cwd=IN_CWD)
    return found


def readable(text: str) -> list:
    """The text as a reader could piece it together: as it is, without escape
    sequences, and with the rows joined (every blank gone)."""
    plain = _ESCAPE.sub("", text)
    return [text, plain, re.sub(r"\s+", "", plain)]


def leaks(text: str) -> list:
    """(what, piece) of every secret piece readable in `text`."""
    views = readable(text)
    return [
        (what, piece)
        for what, value in every_secret().items()
        for piece in pieces(value)
        if any(piece in v for v in views)
    ]


def cast_text(cast: str) -> str:
    """An asciicast: its header and the data of its events, decoded and joined."""
    lines = [json.loads(line) for line in cast.splitlines() if line.strip()]
    head, events = lines[0], lines[1:]
    return json.dumps(head, ensure_ascii=False) + "\n" + "".join(e[2] for e in events if e[1] in "oim")


def html_cast(page: str) -> str:
    m = re.search(r'<script type="application/json" id="cs-cast">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def assert_unreadable(where: str, text: str) -> None:
    found = leaks(text)
    assert not found, f"{where}: {len(found)} secret pieces readable, e.g. {found[:3]}"


def assert_exports_unreadable(sid: str, label: str = "") -> None:
    """Every export format of the session: the text, and the events of an
    asciicast or the cast inside an HTML page, decoded."""
    for fmt in ("text", "asciicast", "asciicast-v2", "html"):
        out = run_cs(None, "export", "--format", fmt, sid).stdout
        assert_unreadable(f"export {fmt} {label}", out)
        if fmt.startswith("asciicast"):
            assert_unreadable(f"export {fmt} {label} (events)", cast_text(out))
        if fmt == "html":
            assert_unreadable(f"export html {label} (cast)", cast_text(html_cast(out)))

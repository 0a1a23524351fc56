"""cs.redact: each kind of secret found in rendered text, ordinary text left alone."""

import pytest

from cs.redact import Redactor
from tests.helpers.transcripts import SECRETS


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_each_kind_is_replaced_wherever_it_stands_in_a_line(kind):
    secret = SECRETS[kind]
    for line in (secret, f"token: {secret} (expires soon)", f"curl -H 'Authorization: Bearer {secret}'"):
        out = Redactor().line(line)
        assert secret not in out and f"[REDACTED:{kind}]" in out, out


@pytest.mark.parametrize(
    "line, expected",
    [
        ("export GITHUB_TOKEN=supersecretvalue", "export GITHUB_TOKEN=[REDACTED:assignment]"),
        ("DB_PASSWORD='correct horse'", "DB_PASSWORD=[REDACTED:assignment]"),  # quoted: spaces and all
        ("DB_PASSWORD='correct-horse-battery'", "DB_PASSWORD=[REDACTED:assignment]"),
        ("api_key: abcdef123456", "api_key: [REDACTED:assignment]"),
        ('"client_secret": "s3cr3t-v4lu3"', '"client_secret": [REDACTED:assignment]'),
        (
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AWS_SECRET_ACCESS_KEY=[REDACTED:assignment]",
        ),
    ],
)
def test_assignments_whose_name_says_secret_keep_the_name_and_lose_the_value(line, expected):
    assert Redactor().line(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "the primary key: id",
        "TOKEN=$GITHUB_TOKEN",
        "password: ",
        "press any key to continue",
        "def get_token(self):",
        "tokens used: 1234",
        "sk-ant- is the prefix of Anthropic keys",
    ],
)
def test_ordinary_text_is_left_alone(line):
    assert Redactor().line(line) == line


def test_a_private_key_block_is_redacted_across_lines_and_in_one_text():
    r = Redactor()
    block = [
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
        "QyNTUxOQAAACDm1ePnlzBDl29Dx0hrYRAN",
        "-----END OPENSSH PRIVATE KEY-----",
    ]
    out = [r.line(x) for x in ["before"] + block + ["after"]]
    assert out[0] == "before" and out[-1] == "after"
    assert all(x == "[REDACTED:private-key]" for x in out[1:-1])
    text = "key:\n" + "\n".join(block) + "\nthanks"
    assert Redactor().text(text) == "key:\n[REDACTED:private-key]\nthanks"


def test_the_users_own_patterns_and_switching_it_off():
    r = Redactor(extra=[r"ACME-[0-9]{6}"])
    assert r.line("ticket ACME-123456 closed") == "ticket [REDACTED:custom] closed"
    off = Redactor(enabled=False)
    assert off.line(SECRETS["github"]) == SECRETS["github"]


def test_a_secret_wrapped_over_several_rows_is_marked_on_each_and_the_next_row_is_left_alone():
    secret = "ghp_" + "a1B2c3D4e5" * 20  # 204 characters: three rows of 80
    text = "token " + secret
    rows = [text[i : i + 80] for i in range(0, len(text), 80)] + ["next line"]
    out = Redactor().lines(rows, {80})
    assert out == ["token [REDACTED:github]", "[REDACTED:github]", "[REDACTED:github]", "next line"]
    assert not any(secret[i : i + 12] in "".join(out) for i in range(0, len(secret) - 12))
    # Rows narrower than the terminal did not wrap: they are not joined.
    assert Redactor().lines(["abc " + "x" * 50, "ghp_tail"], {80}) == ["abc " + "x" * 50, "ghp_tail"]


def test_a_stream_keeps_escapes_and_holds_a_token_cut_by_a_chunk_boundary():
    from cs.redact import StreamRedactor

    secret = "ghp_" + "a1B2c3D4e5" * 4
    s = StreamRedactor(Redactor())
    out = s.feed("\x1b[1;31mkey: " + secret[:10]) + s.feed(secret[10:] + "\x1b[0m done\r\n") + s.flush()
    assert out == "\x1b[1;31mkey: [REDACTED:github]\x1b[0m done\r\n"
    typed = "".join(s.feed(ch) for ch in f"export TOKEN={secret}\r") + s.flush()
    assert secret not in typed and "export TOKEN=[REDACTED:" in typed


def test_a_key_block_cut_short_hides_at_most_key_lines_lines():
    from cs.redact import KEY_LINES

    r = Redactor()
    out = [r.line(x) for x in ["-----BEGIN RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA", "MIIEpAIBAAKCAQEB"]]
    assert out == ["[REDACTED:private-key]"] * 3
    out = [r.line(f"line {i}") for i in range(KEY_LINES + 5)]
    assert out[KEY_LINES - 3] == "[REDACTED:private-key]" and out[-1] == f"line {KEY_LINES + 4}"


def _wrapped(secret: str, width: int, margin: int = 0) -> tuple:
    """A TUI's hard wrap of `secret` (issue 21): the first half at the end of a
    row `margin` columns short of `width`, the rest on the next row after two
    blanks of indentation."""
    half = len(secret) // 2
    lead = "● Your key is " + "x " * width
    first = lead[: width - margin - half - 1].rstrip() + " " + secret[:half]
    first = first.rjust(width - margin) if len(first) < width - margin else first
    return first, "  " + secret[half:]


@pytest.mark.parametrize("kind", sorted(SECRETS))
@pytest.mark.parametrize("width, margin", [(80, 0), (80, 3), (120, 0)])
def test_the_indented_continuation_of_a_wrapped_secret_is_hidden_too(kind, width, margin):
    secret = SECRETS[kind]
    first, rest = _wrapped(secret, width, margin)
    for rows in ([first, rest, "after"], [first + "\n" + rest, "after"]):  # two rows; a word-wrapped paragraph
        out = "".join(Redactor().lines(rows, {width}))
        assert secret[len(secret) // 2 :] not in out and f"[REDACTED:{kind}]" in out, out
        assert "after" in out
    # A secret found at the end of the row before is continued whatever the width (a narrow TUI).
    head, tail = secret[: len(secret) - 12], secret[len(secret) - 12 :]
    if Redactor().line(head) != head:
        assert tail not in "".join(Redactor().lines(["● key " + head, "  " + tail], {200}))


def test_a_short_row_followed_by_an_indented_word_is_left_alone():
    rows = ["● the function returns None", "  when the config file is missing"]
    assert Redactor().lines(rows, {80}) == rows
    assert Redactor().lines(["x" * 78 + " ok", "  fine"], {80}) == ["x" * 78 + " ok", "  fine"]


@pytest.mark.parametrize("kind", sorted(SECRETS))
@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_a_stream_hides_a_secret_wrapped_coloured_or_moved_to_the_next_row(kind, chunk):
    from cs.redact import StreamRedactor

    secret = SECRETS[kind]
    first, rest = _wrapped(secret, 80)
    half = len(secret) // 2
    for data in (
        f"{first}\r\n{rest}\r\n$ ",  # a row, CRLF, the indented continuation
        f"\x1b[3;1H{first}\x1b[4;3H{rest.strip()}\x1b[5;1H$ ",  # rows placed by cursor moves
        f"key {secret[:half]}\x1b[1;33m{secret[half:]}\x1b[0m done\r\n",  # coloured in its middle
    ):
        s = StreamRedactor(Redactor(), 80)
        out = "".join(s.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)) + s.flush()
        assert secret[half:] not in out and secret[:half] not in out, (data, out)
        assert f"[REDACTED:{kind}]" in out
        assert out.replace(f"[REDACTED:{kind}]", "") == _without(data, secret), out


def _without(data: str, secret: str) -> str:
    """`data` with the secret's characters taken out (what the marks replace)."""
    half = len(secret) // 2
    return data.replace(secret[:half], "").replace(secret[half:], "")


def test_a_stream_holds_an_escape_cut_after_its_introducer_and_passes_other_text_unchanged():
    from cs.redact import StreamRedactor

    s = StreamRedactor(Redactor(), 80)
    assert s.feed("plain \x1b[") == "plain "
    assert s.feed("1;33mcolour\x1b]0;title\x07 done\r\n") == "\x1b[1;33mcolour\x1b]0;title\x07 done\r\n"
    text = "".join(f"line {i} with words\r\n  indented row {i}\r\n" for i in range(50))
    assert "".join(s.feed(text[i : i + 5]) for i in range(0, len(text), 5)) + s.flush() == text


@pytest.mark.parametrize("kind", sorted(set(SECRETS) - {"aws"}))
def test_the_first_part_of_a_secret_at_the_right_edge_is_hidden_when_its_continuation_is_gone(kind):
    # The continuation row was overwritten (or comes in a later indexing
    # pass): a token at the edge that begins as a secret does is its first part.
    secret = SECRETS[kind]
    head = secret[: max(12, len(secret) // 2)]
    row = ("● key " + "x " * 40)[: 80 - len(head) - 1] + " " + head
    out = Redactor().lines([row, "$ something else entirely"], {80})
    assert head not in out[0] and out[0].endswith(f"[REDACTED:{kind}]"), out
    assert out[1] == "$ something else entirely"
    # Not at the edge: a line of its own, left alone unless a rule matches it.
    short = "short " + SECRETS["github"][:14]
    assert Redactor().lines([short], {80}) == [short]


@pytest.mark.parametrize("kind", sorted(set(SECRETS) - {"aws"}))
def test_a_secret_wrapped_short_of_the_edge_is_joined_when_its_first_part_begins_as_one(kind):
    # A narrow TUI (a side panel): the first row ends 30 columns short of the
    # terminal, its part too short for the rule alone, but it begins as the
    # kind's secrets do.
    secret = SECRETS[kind]
    head, tail = secret[:12], secret[12:]
    out = Redactor().lines(["● key " + head, "  " + tail, "after"], {120})
    assert head not in "".join(out) and tail not in "".join(out) and out[2] == "after", out


def test_rows_joined_for_one_secret_keep_what_each_holds_on_its_own():
    # Consecutive rows each ending in a secret: joined (a secret may go on), the
    # npm token no longer ends at a word boundary once joined; still hidden.
    rows = [f"key {SECRETS['github']}", f"key {SECRETS['npm']}", f"key {SECRETS['openai']}", "done"]
    out = "\n".join(Redactor().lines(rows, {120}))
    for kind in ("github", "npm", "openai"):
        assert SECRETS[kind] not in out and f"[REDACTED:{kind}]" in out, out
    assert out.endswith("done")


@pytest.mark.parametrize("kind", sorted(set(SECRETS) - {"aws"}))
def test_a_stream_hides_a_continuation_written_after_the_first_part_was_given_up(kind):
    # Following a live session, what is held is written when the log goes
    # quiet (flush); the continuation that comes later is still recognised.
    from cs.redact import StreamRedactor

    secret = SECRETS[kind]
    first, rest = _wrapped(secret, 80)
    s = StreamRedactor(Redactor(), 80)
    out = s.feed(first + "\r\n") + s.flush() + s.feed(rest + "\r\n$ ") + s.flush()
    assert secret[len(secret) // 2 :] not in out and secret[: len(secret) // 2] not in out, out
    assert out.endswith("\r\n$ ")


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("chunk", [5, 4096])
def test_a_stream_hides_claude_codes_wrap_of_a_key_indented_by_a_cursor_move(width, chunk):
    # As Claude Code 2.1 draws it at 80 columns (tests/test_secrets_claude.py
    # records it): words placed by CHA, the row ended by CR, the continuation
    # indented by CUF and moved down by CUD. At 120 columns the same bytes end
    # the first row short of the edge: the key found there, and the indent, join.
    from cs.redact import StreamRedactor

    key = SECRETS["anthropic"]
    data = (
        "\x1b[13B\x1b[38;5;231m●\x1b[3G\x1b[39mYour\x1b[8Gkey\x1b[12Gis\x1b[15G"
        + key[:64]
        + "\r\x1b[2C\x1b[1B"
        + key[64:]
        + "\x1b[51Gand\x1b[55Git\x1b[58Gis\x1b[61Glive.\r\x1b[2B"
    )
    s = StreamRedactor(Redactor(), width)
    out = "".join(s.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)) + s.flush()
    assert key[64:] not in out and key[:20] not in out and out.count("[REDACTED:anthropic]") == 2, out
    assert out.endswith("\x1b[51Gand\x1b[55Git\x1b[58Gis\x1b[61Glive.\r\x1b[2B")


def test_a_streams_column_followed_from_the_last_absolute_move_agrees_with_every_token():
    # The fast path (a chunk with no keyword) follows the cursor's column only
    # from the chunk's last CR or absolute move; it must agree with the
    # column followed through every token of the chunk.
    import random

    from cs.redact import StreamRedactor
    from tests.helpers.logs import tui_chunk

    rng = random.Random(3)
    for i in range(300):
        text = tui_chunk(rng, i).decode() + ("\r\n" if i % 3 == 0 else "") + "x" * rng.randint(0, 50)
        s = StreamRedactor(Redactor(), 80)
        s.col = rng.randint(0, 79)
        tokens, _ = s._tokens(text)
        assert s._column_after(text) == (tokens[-1][3] if tokens else s.col), (i, text[-80:])


def test_a_word_that_only_begins_like_a_secret_name_is_no_assignment():
    """`KeyError: 'config'` (every Python traceback) and `tokenizer: "gpt2"` name
    no secret; the word must end the name or a part of it."""
    r = Redactor()
    for text in ("KeyError: 'config'", 'tokenizer: "gpt2-large"', "keyboard: us-intl"):
        assert r.text(text) == text
    for text in (
        "API_KEY=abcdef123456",
        "SECRET_KEY_BASE=abcdef123456",
        "apikey: abcdef123456",
        "DB_PASSWORDS=hunter2x",
    ):
        assert r.text(text).endswith("[REDACTED:assignment]"), text

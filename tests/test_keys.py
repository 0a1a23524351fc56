"""cs.index.keys.InputLines: keystrokes -> submitted lines. Every case is also fed
split in two at every byte boundary, and byte by byte, and must give the same
lines (marks differ by design: they are the chunk where typing began)."""

import re

import pytest

from cs.index.keys import InputLines

CASES = [
    # (name, keystrokes, submitted lines)
    ("plain enter CR", b"hello world\r", ["hello world"]),
    ("plain enter LF", b"hello world\n", ["hello world"]),
    ("two lines", b"first\rsecond\r", ["first", "second"]),
    ("empty enters ignored", b"\r\r  \rx\r", ["x"]),
    ("backspace DEL", b"helpp\x7f\x7flo\r", ["hello"]),
    ("backspace ^H", b"helpp\x08\x08lo\r", ["hello"]),
    ("backspace past start", b"ab\x7f\x7f\x7fcd\r", ["cd"]),
    ("ctrl-u kills the line", b"rm -rf /\x15ls\r", ["ls"]),
    ("ctrl-w kills a word", b"git commit --amend\x17-m x\r", ["git commit -m x"]),
    ("ctrl-w trailing spaces", b"one two   \x17three\r", ["one three"]),
    ("ctrl-c abandons", b"oops\x03fine\r", ["fine"]),
    ("arrows ignored", b"ab\x1b[D\x1b[C\x1b[A\x1b[Bcd\r", ["abcd"]),
    ("ss3 arrows ignored", b"ab\x1bOA\x1bOBcd\r", ["abcd"]),
    ("function keys ignored", b"a\x1b[15~\x1bOPb\r", ["ab"]),
    ("alt key ignored", b"a\x1bbc\r", ["ac"]),
    ("utf-8 text", "café 日本語 🚀 ok\r".encode(), ["café 日本語 🚀 ok"]),
    ("utf-8 backspace removes a character", "naïf\x7fve\r".encode(), ["naïve"]),
    (
        "bracketed paste one submission",
        b"\x1b[200~line one\r\nline two\rline three\x1b[201~ and more\r",
        ["line one\nline two\nline three and more"],
    ),
    ("paste with LF only", b"\x1b[200~a\nb\x1b[201~\r", ["a\nb"]),
    ("paste then keep typing", b"x \x1b[200~pasted\x1b[201~ y\r", ["x pasted y"]),
    ("device attributes replies", b"a\x1b[?1;2c\x1b[>0;276;0cb\r", ["ab"]),
    ("tmux DCS reply", b"a\x1bP>|tmux 3.3a\x1b\\b\r", ["ab"]),
    ("cursor position report", b"ab\x1b[12;40Rc\r", ["abc"]),
    ("focus in and out", b"\x1b[Ia\x1b[Ob\r", ["ab"]),
    ("OSC colour reply ST", b"a\x1b]11;rgb:0000/0000/0000\x1b\\b\r", ["ab"]),
    ("OSC colour reply BEL", b"a\x1b]10;rgb:ffff/ffff/ffff\x07b\r", ["ab"]),
    ("SGR mouse report", b"a\x1b[<0;10;5Mb\x1b[<0;10;5m\r", ["ab"]),
    ("X10 mouse report", b"a\x1b[M !!b\r", ["ab"]),
    ("kitty protocol enter", b"hi\x1b[13u", ["hi"]),
    ("kitty protocol shift-enter", b"hi\x1b[13;2uthere\r", ["hi\nthere"]),
    ("backslash enter continues", b"first part \\\rsecond part\r", ["first part \nsecond part"]),
    ("alt enter is a newline", b"line one\x1b\rline two\r", ["line one\nline two"]),
    ("modifyOtherKeys letters", b"h\x1b[27;2;73~\r", ["hI"]),
]


def run(chunks):
    keys = InputLines()
    out = []
    for i, chunk in enumerate(chunks):
        out += keys.feed(chunk, mark=i)
    out += keys.close()
    return out


def texts(lines):
    return [t for t, _ in lines]


@pytest.mark.parametrize("name,data,expected", CASES, ids=[c[0] for c in CASES])
def test_whole(name, data, expected):
    assert texts(run([data])) == expected


@pytest.mark.parametrize("name,data,expected", CASES, ids=[c[0] for c in CASES])
def test_split_at_every_byte(name, data, expected):
    for cut in range(1, len(data)):
        head, tail = data[:cut], data[cut:]
        if head.endswith(b"\x1b") and tail[:1] not in b"[]OPX^_\\":
            # ESC then a letter in separate reads is the Escape key followed by
            # typing (a terminal sends Alt-x in one write): see cs/index/keys.py.
            continue
        assert texts(run([head, tail])) == expected, cut


@pytest.mark.parametrize("name,data,expected", CASES, ids=[c[0] for c in CASES])
def test_byte_by_byte(name, data, expected):
    if re.search(rb"\x1b[^\[\]OPX^_\\]", data):
        pytest.skip("Alt-key split from its key is the Escape key (documented)")
    assert texts(run([data[i : i + 1] for i in range(len(data))])) == expected


def test_escape_key_alone_does_not_eat_the_next_chunk():
    # Esc to interrupt Claude, then type a new prompt in a later read.
    assert texts(run([b"\x1b", b"no, do it differently\r"])) == ["no, do it differently"]


def test_mark_is_the_chunk_where_the_line_was_submitted():
    """Issue 12: a hit on a typed line points at Enter, when the whole line
    existed, not at its first key."""
    keys = InputLines()
    assert keys.feed(b"he", mark="m1") == []
    assert keys.feed(b"llo", mark="m2") == []
    assert keys.feed(b"\rnext", mark="m3") == [("hello", "m3")]
    assert keys.feed(b" one\r", mark="m4") == [("next one", "m4")]
    # After the line is killed, typing starts a new line with a new mark.
    keys.feed(b"junk", mark="m5")
    keys.feed(b"\x15", mark="m6")
    assert keys.feed(b"real\r", mark="m7") == [("real", "m7")]


def test_unsubmitted_line_returned_by_close():
    keys = InputLines()
    assert keys.feed(b"half typed", mark=1) == []
    assert keys.close() == [("half typed", 1)]
    assert keys.close() == []


def test_open_paste_is_not_submitted_by_newlines():
    keys = InputLines()
    assert keys.feed(b"\x1b[200~one\rtwo\r", mark=1) == []
    assert keys.feed(b"\x1b[201~\r", mark=2) == [("one\ntwo\n", 2)]


def test_random_bytes_never_raise():
    import random

    pieces = [
        b"\x1b",
        b"[",
        b"]",
        b"O",
        b"P",
        b"\\",
        b"\x07",
        b"\r",
        b"\n",
        b"\x7f",
        b"\x08",
        b"\x15",
        b"\x17",
        b"\x03",
        b"200~",
        b"201~",
        b"M",
        b"<0;1;2M",
        b"13u",
        b"27;2;65~",
        "é".encode(),
        b"\xe6",
        b"\xff",
        b"abc ",
        b";",
        b"1",
    ]
    for case in range(300):
        rng = random.Random(case)
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 100)))
        keys = InputLines()
        lines = []
        for pos in range(0, len(data), 7):
            lines += keys.feed(data[pos : pos + 7], pos)
        lines += keys.close()
        assert all(isinstance(t, str) and t.strip() for t, _ in lines)

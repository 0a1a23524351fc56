"""`cs search`, `cs list`, `cs show`, `cs replay` through the real CLI."""

import json
import subprocess
import time
from datetime import UTC

import pytest

from cs.ask import search
from cs.log import paths
from tests.helpers.logs import LogWriter

SPECIAL_LINES = [
    'say "hi" to x"y',
    "glob foo*bar here",
    "rm -rf build",
    "NEAR the end",
    "call(paren first",
    "paren last) here",
    "key:value pair",
    "caret ^anchor",
    "this AND that",
    "either OR neither",
]


def run(cs_exe, *args, check=True):
    proc = subprocess.run([cs_exe, *args], capture_output=True, timeout=30)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    if check:
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc


def json_lines(proc):
    return [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]


@pytest.fixture
def corpus(cs_home):
    logs = paths.logs_dir()
    day = 86400
    now = time.time()
    old = LogWriter(logs, session_id="aaaaaaaa-1111-4111-8111-111111111111", cwd="/home/u/alpha", t0=now - 30 * day)
    old.output("build failed with error E1234 in module\r\n")
    old.output("failed badly, with no error at all\r\n")
    old.input("make test\r").end(exit_code=2)
    new = LogWriter(
        logs,
        session_id="aaaaaaab-2222-4222-8222-222222222222",
        cwd="/home/u/beta/sub",
        git_root="/home/u/beta",
        t0=now - 60,
    )
    for text in SPECIAL_LINES:
        new.output(text + "\r\n")
    new.output("build failed with error E1234 again\r\n")
    new.input("ls E1234\r").end()
    return {"old": old.sid, "new": new.sid}


@pytest.mark.parametrize("line", SPECIAL_LINES)
def test_fts_special_characters_are_literal(cs_exe, corpus, line):
    special = {
        'say "hi" to x"y': 'x"y',
        "glob foo*bar here": "foo*bar",
        "rm -rf build": "-rf",
        "NEAR the end": "NEAR",
        "call(paren first": "call(",
        "paren last) here": "last)",
        "key:value pair": "key:value",
        "caret ^anchor": "^anchor",
        "this AND that": "AND",
        "either OR neither": "OR",
    }[line]
    # `--` as with any command: a leading dash is otherwise an option.
    hits = json_lines(run(cs_exe, "search", "--jsonl", "--", special))
    assert line in [h["text"] for h in hits]


def test_bare_special_characters_never_error(cs_exe, corpus):
    for ch in ['"', "*", "-", "(", ")", ":", "^", '"(', "*-", "NOT", "x:", '""', "AND OR NEAR("]:
        proc = run(cs_exe, "search", "--jsonl", "--", ch, check=False)
        assert proc.returncode in (0, 1), (ch, proc.stderr)
    hits = json_lines(run(cs_exe, "search", "--jsonl", "--", '"'))
    assert 'say "hi" to x"y' in [h["text"] for h in hits]


def test_phrase_versus_words(cs_exe, corpus):
    phrase = [h["text"] for h in json_lines(run(cs_exe, "search", "--jsonl", '"failed with error"'))]
    assert sorted(phrase) == ["build failed with error E1234 again", "build failed with error E1234 in module"]
    words = [h["text"] for h in json_lines(run(cs_exe, "search", "--jsonl", "failed", "with", "error"))]
    assert "failed badly, with no error at all" in words and len(words) == 3


def test_substring_and_short_terms(cs_exe, corpus):
    hits = json_lines(run(cs_exe, "search", "--jsonl", "1234"))
    assert {h["text"] for h in hits} >= {"build failed with error E1234 again", "ls E1234"}
    short = json_lines(run(cs_exe, "search", "--jsonl", "E1", "again"))
    assert [h["text"] for h in short] == ["build failed with error E1234 again"]
    assert short[0]["matches"] and all(len(m) == 2 for m in short[0]["matches"])


def test_newest_first_and_limit(cs_exe, corpus):
    hits = json_lines(run(cs_exe, "search", "--jsonl", "E1234"))
    stamps = [h["timestamp"] for h in hits]
    assert stamps == sorted(stamps, reverse=True) and len(hits) == 3
    assert len(json_lines(run(cs_exe, "search", "--jsonl", "--limit", "1", "E1234"))) == 1
    ranked = json_lines(run(cs_exe, "search", "--jsonl", "--rank", "E1234"))
    assert len(ranked) == 3


def test_filters(cs_exe, corpus):
    def texts(*args):
        proc = run(cs_exe, "search", "--jsonl", *args, check=False)
        hits = json_lines(proc)
        assert proc.returncode == (0 if hits else 1), proc.stderr  # no hits: exit 1, as without --jsonl
        return sorted(h["text"] for h in hits)

    assert texts("E1234", "--session", "aaaaaaaa") == ["build failed with error E1234 in module"]
    assert texts("E1234", "--project", "beta") == ["build failed with error E1234 again", "ls E1234"]
    assert texts("E1234", "--project", "alpha") == ["build failed with error E1234 in module"]
    assert texts("E1234", "--cwd", "/home/u/beta") == texts("E1234", "--project", "beta")
    assert texts("E1234", "--cwd", "/home/u/bet") == []
    assert texts("E1234", "--since", "7d") == ["build failed with error E1234 again", "ls E1234"]
    assert texts("E1234", "--until", "7d") == ["build failed with error E1234 in module"]
    assert texts("E1234", "--input") == ["ls E1234"]
    assert "ls E1234" not in texts("E1234", "--output")
    proc = run(cs_exe, "search", "E1234", "--since", "yesterdayish", check=False)
    assert proc.returncode != 0 and b"invalid" in proc.stderr


def test_json_shape(cs_exe, corpus):
    proc = run(cs_exe, "search", "--jsonl", "make test")
    (hit,) = json_lines(proc)
    assert set(hit) >= {
        "session_id",
        "timestamp",
        "direction",
        "text",
        "matches",
        "project",
        "cwd",
        "command",
        "segment",
        "offset",
        "replay",
    }
    assert hit["direction"] == "input" and hit["session_id"] == corpus["old"]
    assert hit["replay"] == f"cs replay aaaaaaaa --at {hit['offset']}"
    listed = json_lines(run(cs_exe, "list", "--jsonl"))
    assert [s["id"] for s in listed] == [corpus["new"], corpus["old"]]
    assert set(listed[0]) >= {"id", "started_at", "ended_at", "status", "command", "project", "exit_code", "log_bytes"}
    assert listed[1]["exit_code"] == 2 and listed[1]["status"] == "finished"
    assert listed[1]["argv"] == ["claude"]  # data, not JSON text inside JSON


def test_human_output_without_terminal_has_no_escapes(cs_exe, corpus):
    proc = run(cs_exe, "search", "E1234")
    out = proc.stdout.decode()
    assert "\x1b[" not in out
    assert "aaaaaaab" in out and "beta" in out and "cs replay aaaaaaab --at" in out
    listing = run(cs_exe, "list").stdout.decode()
    assert "alpha" in listing and "finished" in listing


def test_raw_fts_and_regex(cs_exe, corpus):
    hits = json_lines(run(cs_exe, "search", "--jsonl", "--fts", "failed AND again"))
    assert [h["text"] for h in hits] == ["build failed with error E1234 again"]
    assert hits[0]["matches"]
    bad = run(cs_exe, "search", "--fts", "AND (", check=False)
    assert bad.returncode != 0 and b"FTS5" in bad.stderr
    rx = json_lines(run(cs_exe, "search", "--jsonl", "--regex", r"E\d{4} in"))
    assert [h["text"] for h in rx] == ["build failed with error E1234 in module"]
    bad = run(cs_exe, "search", "--regex", "(unclosed", check=False)
    assert bad.returncode != 0 and b"regular expression" in bad.stderr


def test_no_match_exits_1(cs_exe, corpus):
    proc = run(cs_exe, "search", "zzzz-not-there", check=False)
    assert proc.returncode == 1 and proc.stdout == b""


def test_unknown_and_ambiguous_ids(cs_exe, corpus):
    for cmd in (["show"], ["replay", "--no-wait"], ["search", "x", "--session"]):
        amb = run(cs_exe, *cmd, "aaaaaaa", check=False)
        assert amb.returncode == 1 and b"ambiguous" in amb.stderr, cmd
        unknown = run(cs_exe, *cmd, "bbbb", check=False)
        assert unknown.returncode == 1 and b"no session" in unknown.stderr, cmd
        junk = run(cs_exe, *cmd, "../etc", check=False)
        assert junk.returncode == 1 and b"no session" in junk.stderr, cmd
    assert run(cs_exe, "show", "AAAAAAAB").returncode == 0  # case does not matter


def test_show_text_raw_and_grep(cs_exe, corpus):
    text = run(cs_exe, "show", "aaaaaaaa").stdout.decode().splitlines()
    # The story of the session (cs.story): the screen's rows, the typed line, how it ended.
    assert text == [
        "build failed with error E1234 in module",
        "failed badly, with no error at all",
        "",
        "> make test",
        "",
        "exit status 2",
    ]
    raw = run(cs_exe, "show", "--raw", "aaaaaaab").stdout
    assert raw == b"".join(t.encode() + b"\r\n" for t in SPECIAL_LINES) + b"build failed with error E1234 again\r\n"
    grep = run(cs_exe, "show", "aaaaaaab", "--grep", "AND", "-C", "1").stdout.decode().splitlines()
    assert grep == ["caret ^anchor", "this AND that", "either OR neither"]
    two = run(cs_exe, "show", "aaaaaaab", "--grep", "^(NEAR|either)").stdout.decode().splitlines()
    assert two == ["NEAR the end", "either OR neither"]
    miss = run(cs_exe, "show", "aaaaaaab", "--grep", "nothing-like-this", check=False)
    assert miss.returncode == 1


def test_replay_writes_original_bytes(cs_exe, corpus):
    raw = run(cs_exe, "show", "--raw", "aaaaaaab").stdout
    assert run(cs_exe, "replay", "--no-wait", "aaaaaaab").stdout == raw
    hit = json_lines(run(cs_exe, "search", "--jsonl", "key:value"))[0]
    at = hit["replay"].split()[-2:]
    start = run(cs_exe, "replay", "--no-wait", "aaaaaaab", *at, "--speed", "50")
    # The screen at that moment is repainted (tests/test_playback_seek.py), then
    # the bytes from the hit's chunk on follow as they were.
    assert start.stdout.startswith(b"\x1b[0m\x1b[H\x1b[2J") and b"glob foo*bar here " in start.stdout
    assert start.stdout.endswith(raw[raw.index(b"key:value pair") :])
    assert run(cs_exe, "replay", "aaaaaaab", "--from", at[1]).stdout == start.stdout
    bad = run(cs_exe, "replay", "aaaaaaab", "--at", "soonish", check=False)
    assert bad.returncode == 2 and b"--at" in bad.stderr


def test_split_terms_unit():
    assert search.split_terms(['say "two words" x"y']) == ["say", "two words", 'x"y']
    assert search.split_terms(['"unclosed phrase']) == ["unclosed phrase"]
    assert search.split_terms(['"']) == ['"']
    assert search.fts_string('a"b') == '"a""b"'


def test_json_is_one_document_and_jsonl_one_object_per_line(cs_exe, corpus):
    """docs/usage.md "JSON output": the same hits either way, and the same exit
    status as the plain output, with hits and without."""
    for command in (["search", "E1234"], ["list"]):
        document = json.loads(run(cs_exe, *command, "--json").stdout)
        assert isinstance(document, list) and document
        assert document == json_lines(run(cs_exe, *command, "--jsonl"))
    statuses = {
        fmt: run(cs_exe, "search", *fmt, "no-such-word-anywhere", check=False)
        for fmt in ((), ("--json",), ("--jsonl",))
    }
    assert {p.returncode for p in statuses.values()} == {1}
    assert json.loads(statuses[("--json",)].stdout) == [] and statuses[("--jsonl",)].stdout == b""
    assert statuses[()].stderr.decode().splitlines() == ["cs: no matches"]


def test_search_sees_what_a_live_log_gained_while_logs_is_unchanged(cs_exe, monkeypatch):
    """The catch-up's watermark (logs/ unchanged since a clean pass) is stored;
    a live session's log grows in place (logs/ keeps its times): the next
    `cs search` finds the new line. A new log is found too."""
    from cs import db as dbmod
    from cs.index import indexer

    logs = paths.ensure_private_dir(paths.logs_dir())
    live = LogWriter(logs).output("before the watermark\r\n")
    LogWriter(logs, lock=False).output("an ended session\r\n").end()
    real = time.time_ns
    with monkeypatch.context() as m:
        m.setattr(time, "time_ns", lambda: real() + 10 * indexer.RACY_NS)  # logs/ is not racy any more
        db = dbmod.open_db()
        indexer.catch_up(db, logs)
        assert db.execute("SELECT count(*) FROM catch_up_watermark").fetchone()[0] == 1
        db.conn.close()
    live.output("grown in place\r\n")
    hits = [json.loads(x) for x in run(cs_exe, "search", "--jsonl", "grown in place").stdout.splitlines()]
    assert [h["session_id"] for h in hits] == [live.sid]
    new = LogWriter(logs, lock=False).output("a new log\r\n").end()
    hits = [json.loads(x) for x in run(cs_exe, "search", "--jsonl", "a new log").stdout.splitlines()]
    assert [h["session_id"] for h in hits] == [new.sid]


def _fill_lines(db, n, seed, ts_of):
    """n lines (every tenth one holds 'needle') in 5 sessions, ts from ts_of(i, rng)."""
    import random

    rng = random.Random(seed)
    sids = [f"{i:08d}-0000-4000-8000-000000000000" for i in range(5)]
    db.conn.executemany("INSERT INTO sessions (id, status) VALUES (?, 'finished')", [(s,) for s in sids])
    rows = [
        (sids[rng.randrange(5)], ts_of(i, rng), "output", f"line {i} {'needle' if i % 10 == 0 else 'hay'}", 1, i)
        for i in range(n)
    ]
    db.conn.executemany(
        "INSERT INTO lines (session_id, ts, direction, text, segment, offset) VALUES (?, ?, ?, ?, ?, ?)", rows
    )
    db.conn.commit()


def _reference(db, k):
    return [
        r[0]
        for r in db.execute(
            "SELECT l.id FROM lines_fts f JOIN lines l ON l.id = f.rowid WHERE lines_fts MATCH '\"needle\"'"
            " ORDER BY l.ts DESC, l.id DESC LIMIT ?",
            [k],
        ).fetchall()
    ]


def _stamp(seconds: float) -> str:
    from datetime import datetime

    from cs.log.timestamps import format_timestamp

    return format_timestamp(datetime.fromtimestamp(seconds, UTC))


@pytest.mark.parametrize(
    "shape",
    [
        "in order",  # ids follow time: the search stops early
        "shuffled",  # ids say nothing of time: it gives up and sorts
        "ties",  # many equal ts: ids decide
        "one late line",  # an old id with the newest ts
        "a late line near the end",  # the same, in a block the early stop must read
    ],
)
def test_newest_first_stops_early_and_finds_what_a_full_sort_finds(cs_home, monkeypatch, shape):
    """The early stop of a newest-first search (line_ts_blocks) returns exactly
    the lines a sort of every match returns, in the same order, whatever the
    ids say of the times; with the blocks partly built; after a ts update."""
    from cs import db as dbmod
    from cs.ask import search as search_mod
    from cs.index import indexer

    db = dbmod.open_db()
    base = 1.7e9
    ts_of = {
        "in order": lambda i, rng: _stamp(base + i + rng.random()),
        "shuffled": lambda i, rng: _stamp(base + rng.randrange(30000)),
        "ties": lambda i, rng: _stamp(base + i // 1000),
        "one late line": lambda i, rng: _stamp(base + (10**6 if i == 30 else i)),
        "a late line near the end": lambda i, rng: _stamp(base + (10**6 if i == 13000 else i)),
    }[shape]
    _fill_lines(db, 20000, 7, ts_of)
    reads = []
    real = search_mod._newest_ids

    def spy(*a, **k):
        ids = real(*a, **k)
        reads.append(ids is not None)
        return ids

    monkeypatch.setattr(search_mod, "_newest_ids", spy)

    def check():
        for limit in (1, 7, 20, 200):
            hits = search.search(db, ["needle"], limit=limit)
            assert [h.line_id for h in hits] == _reference(db, limit * 3)[:limit], limit

    check()  # line_ts_blocks not built yet (through = 0): no bound, it reads on or gives up
    indexer.note_line_times(db, step=6000)  # partly built
    check()
    while db.execute("SELECT through FROM line_ts_progress").fetchone()[0] < 20000:
        indexer.note_line_times(db, step=6000)
    reads.clear()
    check()
    if shape in ("in order", "ties", "a late line near the end"):
        assert reads[:3] == [True] * 3  # limits 1, 7, 20: decided by the early stop (200: sorted by SQLite)
    # An old line's ts updated to the newest (a provisional line confirmed): found first.
    (old,) = db.execute("SELECT id FROM lines WHERE text = 'line 10 needle'").fetchone()
    db.execute("UPDATE lines SET ts = ? WHERE id = ?", [_stamp(base + 10**7), old])
    db.conn.commit()
    check()
    assert search.search(db, ["needle"], limit=1)[0].line_id == old

"""Reading what the team shared (cs/team/read.py, docs/team.md "Reading"):
alice shares, bob lists, shows, replays, counts and searches with --team and
sees it attributed to her; `cs show --team` prints what alice's own `cs show`
prints; `--member` filters; bad ids, members and a database that says no get a
clear message and a non-zero exit; another member's text is redacted again
with the reader's patterns and its escape sequences made inert; `cs web
--team` in a real Chromium. A real PostgreSQL (tests.helpers.team), the real
`cs` in processes of its own, no mocks.

Everything read was shipped by alice's real `cs share` (the recording with
team_share_recording on: `share_with_recording`; token usage from a transcript
where her Claude Code keeps it: `alices_claude_session`)."""

import json
import re
import uuid

import pytest

from tests.helpers.cli import run_cs
from tests.helpers.logs import LogWriter
from tests.helpers.team import alices_session, team_fixture
from tests.helpers.transcripts import CLAUDE_ID, assistant, user, write


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    yield from team_fixture(tmp_path_factory)


def share_with_recording(person, sid):
    """`cs share` with team_share_recording on: the recording is shipped too (cs.team.share)."""
    person.cs("config", "team_share_recording", "on")
    try:
        person.cs("share", sid)
    finally:
        person.cs("config", "team_share_recording", "off")


def alices_claude_session(team, word, usages):
    """A recording of alice's `claude` whose transcript (where Claude Code keeps
    it) has one reply per usage (input, output tokens), model claude-test."""
    a = team.alice
    cid = str(uuid.uuid4())
    w = LogWriter(a.logs, argv=("claude",), cwd="/home/u/proj", lock=False)
    w.event("claude_session", {"claude_session_id": cid, "how": "session-id", "config_dir": str(a.home / ".claude")})
    w.output(f"{word} is being counted\r\n", dt=0.2)
    w.end()
    transcript = user(f"count the {word}")
    for i, (inp, out) in enumerate(usages):
        transcript += assistant(
            [{"type": "text", "text": f"{word} {i}"}],
            msg_id=f"msg_{word}_{i}",
            req=f"req_{i}",
            usage={"input_tokens": inp, "output_tokens": out},
        )
    write(
        a.home / ".claude" / "projects" / "-home-u-proj" / f"{cid}.jsonl",
        transcript.replace(CLAUDE_ID.encode(), cid.encode()),
    )
    return w.sid


@pytest.fixture(scope="module")
def shared(team):
    """A session of alice's, shared: its id."""
    sid = alices_session(team, "pomegranate")
    team.alice.cs("share", sid)
    return sid


def test_bob_lists_alices_shared_session_with_its_owner(team, shared):
    rows = json.loads(team.bob.cs("list", "--team", "--json").stdout)
    mine = [r for r in rows if r["id"] == shared]
    assert len(mine) == 1 and mine[0]["owner"] == "alice" and mine[0]["recording"] is False
    assert "[REDACTED:" in mine[0]["command"]  # what alice shipped, redacted
    text = team.bob.cs("list", "--team").stdout
    assert text.splitlines()[0].split()[:4] == ["STARTED", "DURATION", "OWNER", "ID"]
    assert any("alice" in line and shared[:8] in line for line in text.splitlines())
    assert json.loads(team.bob.cs("list", "--team", "--member", "bob", "--json").stdout) == []
    assert shared in [r["id"] for r in json.loads(team.bob.cs("list", "--team", "--member", "alice", "--json").stdout)]
    assert json.loads(team.bob.cs("list", "--team", "--project", "no-such-project", "--json").stdout) == []
    assert json.loads(team.bob.cs("list", "--team", "--until", "2000-01-01", "--json").stdout) == []
    assert len(json.loads(team.bob.cs("list", "--team", "-n", "1", "--jsonl").stdout.splitlines()[0])) > 0


def test_show_team_prints_what_alices_own_show_prints(team, shared):
    local = team.alice.cs("show", shared).stdout
    assert "pomegranate ledger reconciled" in local
    for args in ((shared[:8],), (f"alice/{shared[:8]}",), (shared[:6], "--member", "alice")):
        assert team.bob.cs("show", "--team", *args).stdout == local, args
    grep = team.bob.cs("show", "--team", shared[:8], "--grep", "pomegranate").stdout
    assert grep == team.alice.cs("show", shared, "--grep", "pomegranate").stdout
    data = json.loads(team.bob.cs("show", "--team", shared[:8], "--json").stdout)
    assert data["session"]["owner"] == "alice" and data["session"]["id"] == shared
    assert any("pomegranate" in e["text"] for e in data["entries"])


def test_bad_ids_members_and_ambiguous_prefixes_get_a_clear_message(team, shared):
    cases = [
        (("show", "--team", "not an id!"), 2, "not a session id"),
        (("show", "--team", "ffffffff"), 1, "no shared session matches"),
        (("show", "--team", shared[:8], "--member", "bob"), 1, "no shared session of bob's"),
        (("show", "--team", "Bad Name/" + shared[:8]), 2, "not a member's name"),
        (("show", "--team", f"alice/{shared[:8]}", "--member", "bob"), 2, "--member says bob"),
        (("list", "--team", "--member", "Robert'); DROP"), 2, "not a member's name"),
        (("list", "--member", "alice"), 2, "goes with --team"),
        (("search", "--member", "alice", "x"), 2, "goes with --team"),
        (("show", shared[:8], "--json"), 2, "--json goes with --team"),
        (("list", "--team", "--cwd", "/tmp"), 2, "not with --team"),
        (("replay", "--team", "ffffffff", "--no-wait"), 1, "no shared session matches"),
    ]
    for args, code, said in cases:
        r = team.bob.cs(*args, check=False)
        assert r.returncode == code and said in r.stderr, (args, r.returncode, r.stderr)
    # The same id shared by two members: the prefix is ambiguous, OWNER/ID is not.
    w = LogWriter(team.bob.logs, session_id=shared, argv=("bash",), lock=False)
    w.output("bob's own pomegranate notes\r\n", dt=0.05).end()
    team.bob.cs("share", shared)
    r = team.bob.cs("show", "--team", shared[:8], check=False)
    assert r.returncode == 2 and f"alice/{shared[:8]}" in r.stderr and f"bob/{shared[:8]}" in r.stderr
    assert "bob's own pomegranate notes" in team.bob.cs("show", "--team", f"bob/{shared[:8]}").stdout
    assert "ledger reconciled" in team.bob.cs("show", "--team", shared[:8], "--member", "alice").stdout
    team.bob.cs("unshare", shared)


def test_a_database_that_says_no_gets_a_clear_message(team, shared):
    broken = dict(team.bob.env, PGPASSWORD="wrong")
    for args in (("list", "--team"), ("show", "--team", shared[:8]), ("stats", "--team"), ("replay", "--team", "x1")):
        r = run_cs(None, *args, env=broken, check=False)
        if args[0] == "replay":  # a bad id is refused before connecting
            assert r.returncode == 2, r.stderr
            continue
        assert r.returncode == 1 and "password authentication failed" in r.stderr, (args, r.stderr)
    down = dict(team.bob.env)
    r = run_cs(None, "config", "team_url", "postgresql://bob@127.0.0.1:1/team", env=down)
    try:
        r = run_cs(None, "list", "--team", env=down, check=False)
        assert r.returncode == 1 and "cannot connect to the team database" in r.stderr
    finally:
        run_cs(None, "config", "team_url", team.member_url("bob"), env=down)


def test_team_text_is_redacted_with_the_readers_patterns_and_made_inert(team):
    sid = alices_session(team, "quokka-code-9191")
    team.alice.cs("share", sid)
    # alice writes an entry of her own with SQL: escape sequences a terminal would obey.
    with team.connect_as("alice", team.alice.password) as conn:
        conn.execute(
            "UPDATE entries SET text = text || %s WHERE owner = current_user AND session_id = %s AND seq = 0",
            ["\x1b]0;pwned\x07\x1b[2J\x9b31m", sid],
        )
    team.bob.cs("config", "redact_patterns", "quokka-code-[0-9]+")
    try:
        shown = team.bob.cs("show", "--team", sid[:8]).stdout
        listed = team.bob.cs("search", "--team", "--json", "ledger", "--member", "alice").stdout
    finally:
        team.bob.cs("config", "--unset", "redact_patterns")
    assert "quokka-code-9191" not in shown and "[REDACTED:custom]" in shown
    assert "quokka-code-9191" not in listed
    assert "\x1b" not in shown and "\x9b" not in shown and "\x07" not in shown
    assert "\u241b]0;pwned\u2407\u241b[2J" in shown  # shown, inert


def test_bob_replays_alices_shared_recording(team):
    sid = alices_session(team, "rambutan")
    team.alice.cs("share", sid)
    r = team.bob.cs("replay", "--team", sid[:8], "--no-wait", check=False)
    assert r.returncode == 1 and "alice shared its story but not its recording" in r.stderr, r.stderr
    share_with_recording(team.alice, sid)
    local = team.alice.cs("replay", sid, "--no-wait").stdout
    played = team.bob.cs("replay", "--team", f"alice/{sid[:8]}", "--no-wait").stdout
    assert "rambutan ledger reconciled" in played
    assert played == local  # the same player, the same redaction
    assert "[REDACTED:" in played
    later = team.bob.cs("replay", "--team", sid[:8], "--no-wait", "--at", "0.08s").stdout
    assert "ledger reconciled" in later and "\x1b[2J" in later  # a seek: the repaint of that moment first
    # The same screen as alice's own seek, with one difference: her repaint is redacted at
    # playback, where a padded row ending in a key takes the next row's first word with it
    # (over-redaction, docs/security.md); bob's recording was redacted as it was recorded.
    assert "rambutan ledger reconciled, token [REDACTED:github] accepted" in later
    assert "$ deploy --token [REDACTED:github]" in team.alice.cs("replay", sid, "--no-wait", "--at", "0.08s").stdout
    r = team.bob.cs("replay", "--team", sid[:8], "--raw", check=False)
    assert r.returncode == 2


def test_stats_per_member_project_and_model(team):
    sid = alices_claude_session(team, "durian", [(100, 10), (200, 20)])
    team.alice.cs("share", sid)
    f = json.loads(team.bob.cs("stats", "--team", "--json").stdout)
    alice = f["by_member"]["alice"]
    assert alice["sessions"] >= 1 and alice["lines"] > 0
    assert f["by_model"]["claude-test"] == {
        "sessions": 1,
        "input_tokens": 300,
        "output_tokens": 30,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
    }
    assert f["total"]["input_tokens"] >= 300 and "bob" not in f["by_member"]
    assert json.loads(team.bob.cs("stats", "--team", "--member", "bob", "--json").stdout)["total"]["sessions"] == 0
    text = team.bob.cs("stats", "--team").stdout
    assert "per member" in text and re.search(r"^\s+alice\s+\d+", text, re.M)
    assert "claude-test" in text


def test_bob_searches_words_and_substrings_and_by_member(team, shared):
    hits = json.loads(team.bob.cs("search", "--team", "--json", "MEGRANA").stdout)  # a substring
    assert {h["owner"] for h in hits} == {"alice"}
    words = json.loads(team.bob.cs("search", "--team", "--fts", "--json", "pomegranate", "ledger").stdout)
    assert words and {h["session_id"] for h in words} >= {shared}
    r = team.bob.cs("search", "--team", "--fts", "--json", "megrana", check=False)
    assert r.returncode == 1  # full-text matches words, not pieces of them
    r = team.bob.cs("search", "--team", "--member", "bob", "--json", "pomegranate", check=False)
    assert r.returncode == 1 and json.loads(r.stdout) == []
    assert json.loads(team.bob.cs("search", "--team", "--member", "alice", "--json", "pomegranate").stdout)


def test_the_full_text_index_serves_a_word_search(team, shared):
    """The --fts condition, as cs.team.search writes it, can use lines_text_words (the planner
    kept from a scan, as for the trigram index in tests/test_team.py)."""
    from cs.team.search import FTS_CONDITION

    with team.connect_as("bob", team.bob.password) as bob:
        bob.execute("SET enable_seqscan = off")
        plan = bob.execute(f"EXPLAIN SELECT * FROM lines l WHERE {FTS_CONDITION}", ["pomegranate ledger"]).fetchall()
    plan = "\n".join(row[0] for row in plan)
    index = re.search(r"Bitmap Index Scan on (\w+)", plan).group(1)
    assert team.sql(
        "SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = %s::regclass", [f"cs_team.{index}"]
    ) == [("cs_team.lines_text_words",)]


def test_a_common_word_is_answered_from_the_newest_lines_a_rare_one_by_the_index(team, monkeypatch):
    """cs.team.search reads the newest lines first (the ts index, newest first:
    no sort of the table) and goes to the trigram index only when they hold too
    few hits; either way the answer is the newest hits of all, as a plain
    ORDER BY over every line gives them. (A window of 30 lines stands in for
    20,000.)"""
    from cs.team import connect
    from cs.team import search as team_search

    w = LogWriter(team.alice.logs, argv=("bash",), lock=False)
    for i in range(60):
        w.output(f"starfruit line {i:02d}{' rare-guava' if i == 3 else ''}\r\n", dt=0.05)
    w.end()
    team.alice.cs("share", w.sid)
    monkeypatch.setenv("CS_HOME", str(team.bob.cs_home))
    monkeypatch.setattr(team_search, "RECENT_WINDOW", 30)
    with connect.connect(team.cluster.url("bob", team.bob.password, "team")) as conn:
        common = [h["text"] for h in team_search.search(conn, ["starfruit"], limit=5)]
        rare = [h["text"] for h in team_search.search(conn, ["rare-guava"], limit=5)]
        conn.execute("SET enable_seqscan = off")
        recent, _indexed = team_search.statements(["l.text ILIKE %s"], member=False)
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + recent, [30, "%x%", 5]).fetchall())
    assert common == [f"starfruit line {i:02d}" for i in range(59, 54, -1)]  # the newest five, from the window
    assert rare == ["starfruit line 03 rare-guava"]  # older than the window: found by the index
    indexes = re.findall(r"Index Scan using (\w+) on lines_", plan)
    assert indexes and {
        parent
        for i in indexes
        for (parent,) in team.sql(
            "SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = %s::regclass", [f"cs_team.{i}"]
        )
    } == {"cs_team.lines_ts"}, plan


@pytest.mark.slow
def test_cs_web_team_in_a_real_browser(team):
    from playwright.sync_api import expect

    from tests.helpers.web import browser, web_server

    sid = alices_session(team, "jackfruit")
    share_with_recording(team.alice, sid)
    with web_server(env=team.bob.env, args=("--team",)) as (base, token), browser() as b:
        page = b.new_page()
        page.goto(base + "/?token=" + token)
        row = page.locator(f"#sessions tr[data-session='{sid}']")
        expect(row.locator("td.member")).to_have_text("alice")
        page.select_option("#member", "alice")
        page.locator("form.filters button").click()
        expect(page.locator(f"#sessions tr[data-session='{sid}']")).to_be_visible()
        assert set(page.locator("#sessions td.member").all_inner_texts()) == {"alice"}
        page.goto(f"{base}/?member=bob")
        expect(page.locator(f"#sessions tr[data-session='{sid}']")).to_have_count(0)
        page.goto(f"{base}/session/alice/{sid}")
        expect(page.locator("dd.member")).to_have_text("alice")
        expect(page.locator("#conversation .entry", has_text="jackfruit ledger reconciled")).to_have_count(1)
        expect(page.locator("#player .ap-term")).to_contain_text("jackfruit ledger reconciled", timeout=10_000)
        page.goto(f"{base}/search")
        page.fill("#q", "jackfruit")
        group = page.locator("#results section.group", has_text=sid[:8])
        expect(group).to_contain_text("alice")
        group.locator("h3 a").click()
        expect(page).to_have_url(re.compile(f"/session/alice/{sid}$"))
        # The guard is the local viewer's: no token, no entry.
        other = b.new_page()
        response = other.goto(base + "/api/sessions")
        assert response.status == 403
        # A session that is not there: a clear 404.
        response = page.goto(f"{base}/session/alice/ffffffff")
        assert response.status == 404 and "no shared session" in page.content()


def test_readers_use_the_read_url_when_set(team):
    """A real streaming replica (pg_basebackup -R) as bob's team_read_url:
    every reader answers from it, row-level security included, even with the
    primary stopped; shipping goes to the team URL only, and says so when it
    is down."""
    sid = alices_session(team, "tamarind")
    team.alice.cs("share", sid)
    replica = team.cluster.replica()
    try:
        team.cluster.caught_up(replica)
        team.bob.cs("config", "team_read_url", replica.url("bob", db="team"))
        team.cluster.pause()
        try:
            listed = json.loads(team.bob.cs("list", "--team", "--json").stdout)
            assert any(r["id"] == sid and r["owner"] == "alice" for r in listed)
            assert "tamarind ledger reconciled" in team.bob.cs("search", "--team", "tamarind").stdout
            assert "tamarind ledger reconciled" in team.bob.cs("show", "--team", sid[:8]).stdout
            r = team.bob.cs("share", sid[:8], check=False)  # not his, and the primary is down: refused either way
            assert r.returncode != 0 and "Traceback" not in r.stderr
            down = team.alice.cs("share", alices_session(team, "tamarind-later"), check=False)
            assert down.returncode == 1 and "cannot connect to the team database" in down.stderr
        finally:
            team.cluster.resume()
        with team.connect_as("bob", team.bob.password) as bob:  # on the primary: the same rows, bob can't change them
            assert bob.execute("DELETE FROM sessions WHERE owner = 'alice'").rowcount == 0
    finally:
        team.bob.cs("config", "--unset", "team_read_url")
        replica.stop()

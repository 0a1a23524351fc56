"""Teams through a real PostgreSQL (cs/team, docs/team.md): a cluster of the
test module's own (tests.helpers.postgres: Debian's initdb, a free loopback
port, password logins), an admin who owns the team database and may create
roles, two members with real logins -- alice (her password in ~/.pgpass) and
bob (his in PGPASSWORD) -- each with a cs home of their own, driving the real
`cs`. Row-level security is tried with SQL in bob's own login; the absence of
secrets is checked as the superuser, over every table."""

import json
import re

import pytest

from tests.helpers.cli import run_cs
from tests.helpers.leaks import leaks
from tests.helpers.logs import LogWriter
from tests.helpers.team import ADMIN, ADMIN_PASSWORD, DB, TABLES, Person, alices_session, team_fixture


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    yield from team_fixture(tmp_path_factory)


def every_text(team) -> str:
    """Everything the team database holds, every column of every row, as the superuser sees it."""
    out = []
    for table in TABLES:
        for (row,) in team.sql(f"SELECT row_to_json(t)::text FROM cs_team.{table} t"):
            out.append(row)
    return "\n".join(out)


def team_hits(person, *words, check=True):
    return person.cs("search", "--team", "--json", *words, check=check)


def test_init_makes_the_schema_with_forced_row_level_security(team):
    assert "ready (0001_shared_sessions, 0002_by_month)" in team.init_output
    rows = team.sql(
        "SELECT relname, relkind, relrowsecurity, relforcerowsecurity FROM pg_class"
        " WHERE relnamespace = 'cs_team'::regnamespace AND relname = ANY(%s)",
        [list(TABLES)],
    )
    assert sorted(rows) == sorted((t, "p", True, True) for t in TABLES)  # partitioned by month
    assert team.sql("SELECT name FROM cs_team.cs_team_migrations") == [("0001_shared_sessions",), ("0002_by_month",)]
    indexes = team.sql("SELECT indexdef FROM pg_indexes WHERE schemaname = 'cs_team' AND indexname = 'lines_text_trgm'")
    assert "gin_trgm_ops" in indexes[0][0]
    again = team.admin.cs("team", "init", team.url).stdout
    assert "already up to date" in again
    config = (team.admin.cs_home / "config.toml").read_text()
    assert f'team_url = "{team.url}"' in config and ADMIN_PASSWORD not in config


def test_members_are_logins_in_the_group_and_nothing_more(team):
    rows = team.sql(
        "SELECT rolname, rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, pg_has_role(oid, 'cs_member', 'MEMBER')"
        " FROM pg_roles WHERE rolname IN ('alice', 'bob', 'cs_member') ORDER BY rolname"
    )
    assert rows == [
        ("alice", True, False, False, False, True),
        ("bob", True, False, False, False, True),
        ("cs_member", False, False, False, False, True),
    ]
    assert f"alice runs:  cs team join '{team.member_url('alice')}'" in team.add_output
    hashes = team.sql("SELECT rolpassword FROM pg_authid WHERE rolname IN ('alice', 'bob')")
    assert all(h.startswith("SCRAM-SHA-256$") for (h,) in hashes)  # hashed by cs: the server never saw them
    for person in (team.alice, team.bob):
        assert person.password not in team.cluster.log()
    assert 'CREATE ROLE "alice"' in team.cluster.log()  # (the log holds the statements)
    for person in (team.alice, team.bob):
        config = (person.cs_home / "config.toml").read_text()
        assert f'team_url = "{team.member_url(person.name)}"' in config
        assert person.password not in config


def test_a_login_that_is_not_a_member_cannot_join(team):
    team.sql("CREATE ROLE mallory LOGIN PASSWORD 'mallory-pw'")
    mallory = Person(team.root, "mallory")
    mallory.use_pgpassword("mallory-pw")
    r = mallory.cs("team", "join", team.member_url("mallory"), check=False)
    assert r.returncode == 1 and "not a member of this team" in r.stderr
    assert not (mallory.cs_home / "config.toml").exists()
    # (and without CONNECT on the team's database, the server says so first)
    assert "permission denied for database" in r.stderr or "cs team add mallory" in r.stderr


def test_a_url_with_a_password_is_refused(team):
    r = team.bob.cs("team", "join", team.cluster.url("bob", team.bob.password, DB), check=False)
    assert r.returncode == 2
    assert "~/.pgpass" in r.stderr and "PGPASSWORD" in r.stderr
    assert team.bob.password not in (team.bob.cs_home / "config.toml").read_text()
    r = team.bob.cs("config", "team_url", team.cluster.url("bob", team.bob.password, DB), check=False)
    assert r.returncode != 0 and "~/.pgpass" in r.stderr


def test_urls_are_told_apart():
    from cs.team import url

    assert url.without_password("postgresql://a:pw@h:5/db?sslmode=require&password=x") == (
        "postgresql://a@h:5/db?sslmode=require"
    )
    assert url.with_user("postgresql://admin@h/db?sslmode=verify-full", "bob") == (
        "postgresql://bob@h/db?sslmode=verify-full"
    )
    assert url.tls_warning("postgresql://a@127.0.0.1:5432/db", {}) is None
    assert url.tls_warning("postgresql://a@localhost/db", {}) is None
    assert url.tls_warning("postgresql://a@db.example.com/db?sslmode=verify-full", {}) is None
    assert url.tls_warning("postgresql://a@db.example.com/db", {"PGSSLMODE": "require"}) is None
    assert "not encrypted" in url.tls_warning("postgresql://a@db.example.com/db?sslmode=prefer", {})


def test_alice_shares_and_bob_finds_it_attributed_to_her(team):
    sid = alices_session(team, "pineapple")
    shared = team.alice.cs("share", sid[:8]).stdout
    said = re.search(
        r"shared (\w+): (\d+) story entries, (\d+) searchable lines \((\d+) rows new or changed, 0 removed", shared
    )
    assert said and said[1] == sid[:8], shared
    entries, lines, written = map(int, said.groups()[1:])
    assert entries and lines and written == entries + lines  # the first time, every row is new
    hits = json.loads(team_hits(team.bob, "PINEAPPLE", "ledger").stdout)
    assert hits and {h["owner"] for h in hits} == {"alice"}
    assert {h["session_id"] for h in hits} == {sid}
    assert any("pineapple ledger reconciled" in h["text"] for h in hits)
    shown = team.bob.cs("search", "--team", "pineapple").stdout
    assert "alice" in shown and sid[:8] in shown
    assert team.sql("SELECT owner, entries > 0, lines > 0 FROM cs_team.sessions WHERE id = %s", [sid]) == [
        ("alice", True, True)
    ]


def test_no_piece_of_a_secret_reaches_the_team_database(team):
    sid = alices_session(team, "mango")
    team.alice.cs("share", sid)
    everything = every_text(team)
    assert "mango ledger reconciled" in everything
    assert "[REDACTED:" in everything  # the secret's lines were shipped, redacted
    ((cwd, command),) = team.sql("SELECT cwd, command FROM cs_team.sessions WHERE id = %s", [sid])
    assert "[REDACTED:" in cwd and "[REDACTED:" in command
    typed = team.sql("SELECT text FROM cs_team.lines WHERE session_id = %s AND direction = 'input'", [sid])
    assert any(text.startswith("export STRIPE=[REDACTED:") for (text,) in typed), typed
    assert leaks(everything) == []


def test_bob_cannot_read_an_unshared_session(team):
    sid = alices_session(team, "papaya")  # recorded, never shared
    r = team_hits(team.bob, "papaya", check=False)
    assert r.returncode == 1 and json.loads(r.stdout) == []
    assert team.sql("SELECT count(*) FROM cs_team.lines WHERE session_id = %s", [sid]) == [(0,)]


def test_bob_cannot_change_delete_or_forge_alices_rows(team):
    import psycopg

    sid = alices_session(team, "kiwi")
    team.alice.cs("share", sid)
    before = every_text(team)
    ((month,),) = team.sql("SELECT month FROM cs_team.sessions WHERE id = %s", [sid])
    with team.connect_as("bob", team.bob.password) as bob:
        assert bob.execute("SELECT count(*) FROM lines WHERE owner = 'alice' AND session_id = %s", [sid]).fetchone()[0]
        for table in TABLES:
            assert bob.execute(f"UPDATE {table} SET owner = 'bob' WHERE owner = 'alice'").rowcount == 0
            assert bob.execute(f"DELETE FROM {table} WHERE owner = 'alice'").rowcount == 0
        assert bob.execute("UPDATE lines SET text = 'forged' WHERE session_id = %s", [sid]).rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            bob.execute("INSERT INTO sessions (owner, id, month) VALUES ('alice', 'forged-session', %s)", [month])
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            bob.execute(
                "INSERT INTO lines (owner, session_id, month, direction, text_hash, text)"
                " VALUES ('alice', %s, %s, 'output', 1, 'x')",
                [sid, month],
            )
        partition = f"sessions_{month:%Y_%m}"
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # a month's partition is no way around the policies
            bob.execute(f"DELETE FROM {partition} WHERE owner = 'alice'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bob.execute("SET ROLE alice")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bob.execute("ALTER TABLE lines DISABLE ROW LEVEL SECURITY")
    assert every_text(team) == before


def test_shipping_twice_changes_nothing(team):
    sid = alices_session(team, "quince")
    team.alice.cs("share", sid)

    def rows():
        return sorted(
            team.sql(f"SELECT '{t}', xmin::text, ctid::text FROM cs_team.{t} WHERE owner = 'alice'") for t in TABLES
        )

    before = rows()
    again = team.alice.cs("share", sid).stdout
    assert "(0 rows new or changed, 0 removed)" in again
    assert rows() == before


def test_alice_unshares_and_it_is_gone_for_bob(team):
    sid = alices_session(team, "lychee")
    team.alice.cs("share", sid)
    assert json.loads(team_hits(team.bob, "lychee").stdout)
    assert f"unshared {sid[:8]}" in team.alice.cs("unshare", sid[:8]).stdout
    r = team_hits(team.bob, "lychee", check=False)
    assert r.returncode == 1
    for table in TABLES:
        column = "id" if table == "sessions" else "session_id"
        assert team.sql(f"SELECT count(*) FROM cs_team.{table} WHERE {column} = %s", [sid]) == [(0,)]
    r = team.bob.cs("unshare", sid[:8], check=False)  # not his: nothing of his matches
    assert r.returncode == 1 and "none of your shared sessions" in r.stderr


def test_status_says_who_i_am_what_is_shared_and_the_last_error(team):
    sid = alices_session(team, "guava")
    team.alice.cs("share", sid)
    status = json.loads(team.alice.cs("team", "status", "--json").stdout)
    assert status["user"] == "alice" and status["shared"] >= 1 and status["url"] == team.member_url("alice")
    assert sid in [s["id"] for s in status["sessions"]]
    assert sid[:8] in team.alice.cs("team", "status").stdout
    broken = dict(team.bob.env, PGPASSWORD="wrong")
    r = run_cs(None, "search", "--team", "guava", env=broken, check=False)
    assert r.returncode == 1 and "password authentication failed" in r.stderr and "PGPASSWORD" in r.stderr
    r = run_cs(None, "team", "status", env=broken, check=False)
    assert r.returncode == 1 and "last error" in r.stdout and "wrong" not in r.stdout
    text = team.bob.cs("team", "status").stdout  # the right password again: the error is gone
    assert "you:     bob" in text and "last error" not in text


def test_sharing_with_redaction_off_is_refused(team):
    sid = alices_session(team, "durian")
    team.alice.cs("config", "redact", "off")
    try:
        r = team.alice.cs("share", sid, check=False)
    finally:
        team.alice.cs("config", "redact", "on")
    assert r.returncode == 1 and "cs config redact on" in r.stderr
    assert team.sql("SELECT count(*) FROM cs_team.sessions WHERE id = %s", [sid]) == [(0,)]


def test_remove_and_purge(team):
    carol = Person(team.root, "carol")
    added = team.admin.cs("team", "add", "carol").stdout
    carol.use_pgpassword(next(line.split(": ", 1)[1] for line in added.splitlines() if line.startswith("password")))
    carol.cs("team", "join", team.member_url("carol"))
    w = LogWriter(carol.logs, argv=("bash",), lock=False)
    w.output("carambola ledger\r\n", dt=0.05).end()
    carol.cs("share", w.sid)
    assert team.sql("SELECT count(*) FROM cs_team.sessions WHERE owner = 'carol'") == [(1,)]
    r = team.admin.cs("team", "remove", "postgres", check=False)
    assert r.returncode == 2  # never a role that is not a member's
    r = team.admin.cs("team", "add", "alice", check=False)
    assert r.returncode == 1 and "already a role" in r.stderr
    others = team.sql("SELECT count(*) FROM cs_team.lines WHERE owner <> 'carol'")
    out = team.admin.cs("team", "remove", "carol", "--purge").stdout
    assert "login carol dropped" in out and "1 shared session(s) deleted" in out
    assert team.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'carol'") == [(0,)]
    for table in TABLES:
        assert team.sql(f"SELECT count(*) FROM cs_team.{table} WHERE owner = 'carol'") == [(0,)]
    assert team.sql("SELECT count(*) FROM cs_team.lines WHERE owner <> 'carol'") == others


def test_a_connection_without_tls_to_another_host_is_warned_about(tmp_path):
    """(No server needed: the warning comes before the connection, which fails, saying why.)"""
    dave = Person(tmp_path, "dave")
    r = dave.cs("team", "join", "postgresql://dave@team-db.invalid/team", check=False)
    assert r.returncode == 1
    assert "warning: the connection to team-db.invalid is not encrypted" in r.stderr
    assert "sslmode=verify-full" in r.stderr and "cannot connect to the team database" in r.stderr
    r = dave.cs("team", "join", "postgresql://dave@team-db.invalid/team?sslmode=verify-full", check=False)
    assert r.returncode == 1 and "warning" not in r.stderr
    assert not (dave.cs_home / "config.toml").exists()  # nothing kept of a join that failed


def test_the_shared_story_is_the_story_cs_tells(team, monkeypatch):
    from cs.db import open_db
    from cs.story.build import build_story

    sid = alices_session(team, "tamarind")
    team.alice.cs("share", sid)
    monkeypatch.setenv("CS_HOME", str(team.alice.cs_home))
    monkeypatch.setenv("HOME", str(team.alice.home))
    story = build_story(team.alice.logs, sid, db=open_db(team.alice.cs_home / "index.db"), redact=True)
    shipped = team.sql(
        "SELECT kind, source, text, at_segment, at_offset FROM cs_team.entries WHERE session_id = %s ORDER BY seq",
        [sid],
    )
    assert shipped == [(e.kind, e.source, e.text, *(e.at[:2] if e.at else (None, None))) for e in story.entries]
    assert any("tamarind ledger reconciled" in text for _k, _s, text, _a, _o in shipped)


def test_the_trigram_index_serves_a_substring_search(team):
    """(With so few rows the planner would rather scan: forbidden here, it must find the index usable.)"""
    from cs.ask.search import like_pattern

    with team.connect_as("bob", team.bob.password) as bob:
        bob.execute("SET enable_seqscan = off")
        plan = bob.execute("EXPLAIN SELECT * FROM lines WHERE text ILIKE %s", [like_pattern("eapple ledg")]).fetchall()
    plan = "\n".join(row[0] for row in plan)
    index = re.search(r"Bitmap Index Scan on (\w+)", plan).group(1)  # the month's copy of lines_text_trgm
    assert team.sql(
        "SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = %s::regclass", [f"cs_team.{index}"]
    ) == [("cs_team.lines_text_trgm",)]


def test_a_line_redacted_since_it_was_shipped_leaves_the_team_database(team):
    sid = alices_session(team, "zucchini-code-4242")
    team.alice.cs("share", sid)
    assert "zucchini-code-4242" in every_text(team)
    team.alice.cs("config", "redact_patterns", "zucchini-code-[0-9]+")
    try:
        again = team.alice.cs("share", sid).stdout
    finally:
        team.alice.cs("config", "--unset", "redact_patterns")
    assert "0 removed" not in again
    assert "zucchini-code-4242" not in every_text(team)
    assert team.sql(
        "SELECT count(*) FROM cs_team.lines WHERE session_id = %s AND text LIKE %s", [sid, "%[REDACTED:custom]%"]
    )[0][0]


def test_init_keeps_the_url_without_its_password(team, tmp_path):
    admin = Person(tmp_path, ADMIN)
    r = admin.cs("team", "init", team.cluster.url(ADMIN, ADMIN_PASSWORD, DB))
    assert "already up to date" in r.stdout and "the password was not kept" in r.stderr
    config = (admin.cs_home / "config.toml").read_text()
    assert f'team_url = "{team.url}"' in config and ADMIN_PASSWORD not in config


def test_share_takes_the_filters_of_cs_list(team):
    import time

    def session_in(project, word, ago=0):
        w = LogWriter(team.alice.logs, argv=("make",), cwd=f"/home/alice/{project}", lock=False, t0=time.time() - ago)
        w.output(f"{word} built\r\n", dt=0.05)
        w.end()
        return w.sid

    mine = [session_in("kumquat", "first-kumquat", ago=60), session_in("kumquat", "second-kumquat")]
    other = session_in("persimmon", "persimmon")
    said = team.alice.cs("share", "--project", "kumquat").stdout
    assert all(f"shared {sid[:8]}" in said for sid in mine) and other[:8] not in said
    shared = {i for (i,) in team.sql("SELECT id FROM cs_team.sessions WHERE project = 'kumquat'")}
    assert shared == set(mine)
    assert team.sql("SELECT count(*) FROM cs_team.sessions WHERE id = %s", [other]) == [(0,)]
    newest = team.alice.cs("share", "--project", "kumquat", "-n", "1").stdout
    assert newest.count("cs: shared ") == 1 and mine[1][:8] in newest
    for args, message in (
        ((), "give session ids, or choose sessions"),
        ((other[:8], "--project", "kumquat"), "not both"),
    ):
        r = team.alice.cs("share", *args, check=False)
        assert r.returncode == 2 and message in r.stderr, r.stderr
    r = team.alice.cs("share", "--project", "no-such-project", check=False)
    assert r.returncode == 1 and "no session of yours matches" in r.stderr


def test_bob_cannot_forge_rows_of_the_newer_tables_nor_shape_the_schema(team):
    """Tried with SQL in bob's own login: a transcript line, usage, a recording
    event or a story entry in alice's name; his own row hung on her session;
    a truncate; a partition for a month no session can have; the schema."""
    import psycopg

    sid = alices_session(team, "medlar")
    team.alice.cs("share", sid)
    ((month,),) = team.sql("SELECT month FROM cs_team.sessions WHERE id = %s", [sid])
    forged = (
        "INSERT INTO transcript_lines (owner, session_id, month, claude_session_id, line_no, line)"
        " VALUES ('alice', %s, %s, 'x', 0, '{}')",
        "INSERT INTO usage (owner, session_id, month, message_id, request_id) VALUES ('alice', %s, %s, 'm', 'r')",
        "INSERT INTO recording (owner, session_id, month, seq, elapsed, kind, data)"
        " VALUES ('alice', %s, %s, 999, 0, 'o', 'x')",
        "INSERT INTO entries (owner, session_id, month, seq, kind, source, text)"
        " VALUES ('alice', %s, %s, 999, 'output', 'screen', 'x')",
    )
    before = every_text(team)
    with team.connect_as("bob", team.bob.password) as bob:
        for statement in forged:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                bob.execute(statement, [sid, month])
        with pytest.raises(psycopg.errors.ForeignKeyViolation):  # his row needs a session of his
            bob.execute(
                "INSERT INTO entries (session_id, month, seq, kind, source, text)"
                " VALUES (%s, %s, 0, 'output', 'screen', 'forged')",
                [sid, month],
            )
        for statement in (
            "TRUNCATE lines",
            "SELECT ensure_month('1990-01-01')",
            "ALTER FUNCTION ensure_month(date) OWNER TO bob",
            "CREATE TABLE cs_team.mine (x int)",
        ):
            with pytest.raises(psycopg.Error):
                bob.execute(statement)
    assert every_text(team) == before

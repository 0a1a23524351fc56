"""The team database's migrations on a real PostgreSQL: a database made by
the first release of the team schema (0001: tables not partitioned), with
rows in it, is brought to the current schema by `cs team init` again, every
row kept, each in its month, and row-level security as before."""

import os

import pytest

from cs.team import schema
from tests.helpers.cli import run_cs
from tests.helpers.postgres import Cluster

ADMIN, PASSWORD, DB = "oldadmin", "old-" + os.urandom(6).hex(), "oldteam"


@pytest.fixture
def cluster():
    c = Cluster()
    try:
        yield c.start()
    finally:
        c.stop()


def test_a_0001_database_is_migrated_with_its_rows(cluster, tmp_path):
    import psycopg

    cluster.sql(f"CREATE ROLE {ADMIN} LOGIN CREATEROLE PASSWORD '{PASSWORD}'")
    cluster.sql(f"CREATE DATABASE {DB} OWNER {ADMIN}")
    url = cluster.url(ADMIN, PASSWORD, DB)
    name, first = schema.migration_files()[0]
    assert name == "0001_shared_sessions"
    with psycopg.connect(url) as conn:  # what `cs team init` did with the first release
        conn.execute("CREATE SCHEMA cs_team")
        conn.execute("SET search_path TO cs_team, public")
        conn.execute(
            "CREATE TABLE cs_team_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), applied_by name NOT NULL DEFAULT current_user)"
        )
        conn.execute(first)
        conn.execute("INSERT INTO cs_team_migrations (name) VALUES (%s)", [name])
    cluster.sql("CREATE ROLE olda LOGIN IN ROLE cs_member")
    rows = [("olda", "s-2025", "2025-03-31T23:30:00+00"), ("olda", "s-2026", "2026-11-02T10:00:00+00")]
    for owner, sid, started in rows:  # as the superuser: the first release's shipping is gone
        cluster.sql(
            "INSERT INTO cs_team.sessions (owner, id, started_at, command) VALUES (%s, %s, %s, 'make')",
            [owner, sid, started],
            db=DB,
        )
        cluster.sql(
            "INSERT INTO cs_team.entries (owner, session_id, seq, kind, source, text) VALUES (%s, %s, 0, 'output', 'screen', 'built')",
            [owner, sid],
            db=DB,
        )
        cluster.sql(
            "INSERT INTO cs_team.lines (owner, session_id, direction, text_hash, text) VALUES (%s, %s, 'output', 7, %s)",
            [owner, sid, f"line of {sid}"],
            db=DB,
        )

    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(HOME=str(tmp_path), CS_HOME=str(tmp_path / "cs"), CS_NO_DAEMON="1", PGPASSWORD=PASSWORD)
    out = run_cs(None, "team", "init", cluster.url(ADMIN, db=DB), env=env).stdout
    assert "ready (0002_by_month" in out

    got = cluster.sql("SELECT id, month::text FROM cs_team.sessions ORDER BY id", db=DB)
    assert got == [("s-2025", "2025-03-01"), ("s-2026", "2026-11-01")]
    assert cluster.sql("SELECT session_id, month::text FROM cs_team.lines ORDER BY 1", db=DB) == got
    assert cluster.sql("SELECT session_id, text FROM cs_team.entries ORDER BY 1", db=DB) == [
        ("s-2025", "built"),
        ("s-2026", "built"),
    ]
    partitions = {r[0] for r in cluster.sql("SELECT inhrelid::regclass::text FROM pg_inherits", db=DB)}
    assert {"cs_team.sessions_2025_03", "cs_team.lines_2026_11", "cs_team.recording_2025_03"} <= partitions
    forced = cluster.sql(
        "SELECT bool_and(relrowsecurity AND relforcerowsecurity) FROM pg_class"
        " WHERE relnamespace = 'cs_team'::regnamespace AND relkind = 'p'",
        db=DB,
    )
    assert forced == [(True,)]

"""`cs team prune --older` (cs/team/prune.py) on a real PostgreSQL: whole
months go as partitions, the boundary month row by row; members may not
prune; bad ages are refused. The team is tests.helpers.team's (a
cluster of this module's own)."""

import time
from datetime import UTC, datetime

import pytest

from tests.helpers.logs import LogWriter
from tests.helpers.team import team_fixture


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """The module's own cluster, admin, alice and bob (tests.helpers.team)."""
    yield from team_fixture(tmp_path_factory)


DAY = 86400


def shared_session(person, started: float, word: str) -> str:
    w = LogWriter(person.logs, argv=("bash",), t0=started, lock=False)
    w.output(f"{word} was here\r\n", dt=0.05)
    w.end()
    person.cs("share", w.sid)
    return w.sid


def partitions(team):
    return {
        name
        for (name,) in team.sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'cs_team.sessions'::regclass"
        )
    }


def test_prune_drops_whole_months_and_the_older_part_of_the_boundary_month(team):
    now = time.time()
    old = shared_session(team.alice, now - 800 * DAY, "ancient")  # two years ago: its month goes whole
    boundary_month = datetime.fromtimestamp(now - 400 * DAY, UTC)
    early = shared_session(
        team.alice, datetime(boundary_month.year, boundary_month.month, 1, 1, tzinfo=UTC).timestamp(), "early"
    )
    recent = shared_session(team.bob, now - 5 * DAY, "recent")
    old_month = datetime.fromtimestamp(now - 800 * DAY, UTC)
    old_partition = f"sessions_{old_month:%Y_%m}"
    assert old_partition in partitions(team)

    cutoff = datetime(boundary_month.year, boundary_month.month, 15, tzinfo=UTC).date().isoformat()
    dry = team.admin.cs("team", "prune", "--older", cutoff, "--dry-run").stdout
    assert "would remove 2 shared session(s)" in dry and f"{old_month:%Y-%m}" in dry
    assert team.sql("SELECT count(*) FROM cs_team.sessions WHERE id = ANY(%s)", [[old, early]]) == [(2,)]

    refused = team.bob.cs("team", "prune", "--older", cutoff, check=False)
    assert refused.returncode == 1 and "only the team database's admin" in refused.stderr

    done = team.admin.cs("team", "prune", "--older", cutoff).stdout
    assert "removed 2 shared session(s)" in done
    assert old_partition not in partitions(team)  # the month is gone as a table, not row by row
    ids = {i for (i,) in team.sql("SELECT id FROM cs_team.sessions")}
    assert old not in ids and early not in ids and recent in ids
    for table in ("entries", "lines"):
        assert team.sql(f"SELECT count(*) FROM cs_team.{table} WHERE session_id = ANY(%s)", [[old, early]]) == [(0,)]
    assert "recent was here" in team.bob.cs("search", "--team", "recent was here").stdout


def test_prune_needs_a_valid_age(team):
    for bad in ("1x", "-1y", "yesterday"):
        r = team.admin.cs("team", "prune", "--older", bad, check=False)
        assert r.returncode == 2 and "Traceback" not in r.stderr and "--older" in r.stderr, r.stderr
    r = team.admin.cs("team", "prune", check=False)
    assert r.returncode == 2 and "--older" in r.stderr


def test_no_partition_for_a_month_no_session_can_have(team):
    """ensure_month runs as the schema's owner for any member: a start time
    from a broken log (the year 9999) gets a clear refusal, not a table."""
    w = LogWriter(team.alice.logs, argv=("bash",), t0=253370764800.0, lock=False)  # 9999-01-01
    w.output("from the far future\r\n", dt=0.05)
    w.end()
    r = team.alice.cs("share", w.sid, check=False)
    assert r.returncode == 1 and "its start time is wrong" in r.stderr, r.stderr
    assert partitions(team) and "sessions_9999_01" not in partitions(team)

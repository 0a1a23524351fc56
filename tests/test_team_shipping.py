"""Shipping to the team's PostgreSQL (cs/team/share.py, follow.py, marks.py;
docs/team.md): what more a shipment carries (the archived Claude transcript,
token usage, the recording, the git remote), incrementally, by the watcher,
and through an outage -- on a cluster of this module's own (it is stopped and
started again), with real `cs` processes, real logs growing while a session
is live, and the secrets of tests/helpers/leaks.py checked as the superuser."""

import json
import os
import subprocess
import sys
import time

import pytest

from tests.helpers.leaks import leaks
from tests.helpers.logs import LogWriter
from tests.helpers.postgres import Cluster
from tests.helpers.transcripts import SECRETS, assistant, user, write
from tests.test_team import ADMIN, ADMIN_PASSWORD, DB, TABLES, Team

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    cluster = Cluster()
    try:
        cluster.start()
        cluster.sql(f"CREATE ROLE {ADMIN} LOGIN CREATEROLE PASSWORD '{ADMIN_PASSWORD}'")
        cluster.sql(f"CREATE DATABASE {DB} OWNER {ADMIN}")
        t = Team(cluster, tmp_path_factory.mktemp("team"))
        t.admin.cs("team", "init", t.url)
        t.bob.password = "bob-" + os.urandom(8).hex()
        t.alice.password = "alice-" + os.urandom(8).hex()
        for p in (t.alice, t.bob):
            t.admin.cs("team", "add", p.name, "--password-stdin", input=p.password + "\n")
        t.alice.use_pgpass(cluster.port, t.alice.password)
        t.bob.use_pgpassword(t.bob.password)
        t.alice.cs("team", "join", t.member_url("alice"))
        t.bob.cs("team", "join", t.member_url("bob"))
        t.alice.env["CLAUDE_CONFIG_DIR"] = str(t.alice.home / ".claude")
        yield t
    finally:
        cluster.stop()


def claude_session(team, word: str, live: bool = False):
    """A recording of alice's `claude` with a secret on its screen and typed,
    its transcript (a secret in a prompt, usage on the reply) where Claude Code
    keeps it; still live (its writer returned) or finished."""
    a = team.alice
    cid = "%08x-2222-4333-8444-%012x" % (int.from_bytes(os.urandom(4), "big"), int.from_bytes(os.urandom(6), "big"))
    w = LogWriter(a.logs, argv=("claude",), cwd="/home/u/proj", lock=live)
    w.event("claude_session", {"claude_session_id": cid, "how": "session-id", "config_dir": str(a.home / ".claude")})
    w.output(f"\x1b[1m{word}\x1b[0m ledger, token {SECRETS['github']} accepted\r\n", dt=0.2)
    w.input(f"export STRIPE={SECRETS['stripe']}\r", dt=0.1)
    w.resize(100, 30)
    w.output(f"aws {SECRETS['aws']} in the config\r\n", dt=0.1)
    transcript = user(f"deploy {word} with {SECRETS['anthropic']}") + assistant(
        [{"type": "text", "text": f"{word} deployed; key {SECRETS['openai']} rotated"}], msg_id="msg_" + word
    )
    transcript = transcript.replace(b"11111111-2222-4333-8444-555555555555", cid.encode())
    write(a.home / ".claude" / "projects" / "-home-u-proj" / f"{cid}.jsonl", transcript)
    if not live:
        w.end()
    return w, cid


def rows(team, table, sid, order="1"):
    column = "id" if table == "sessions" else "session_id"
    return team.sql(f"SELECT * FROM cs_team.{table} WHERE {column} = %s ORDER BY {order}", [sid])


def local_recording(team, sid):
    """The recording as shipped at once, computed here from alice's log (her cs home)."""
    code = (
        "import json, sys; from cs.team import share; from cs.log import paths;"
        "rows, rec = share.recording_rows(paths.logs_dir(), sys.argv[1], None, True);"
        "print(json.dumps([[r[0], r[1], r[2], r[3], r[4], r[5]] for r in rows]))"
    )
    out = subprocess.run([sys.executable, "-c", code, sid], env=team.alice.env, capture_output=True, text=True, check=True)
    return [tuple(r) for r in json.loads(out.stdout)]


def test_transcript_usage_and_recording_are_shipped_redacted(team):
    team.alice.cs("config", "team_share_recording", "on")
    try:
        w, cid = claude_session(team, "pomelo")
        said = team.alice.cs("share", w.sid).stdout
    finally:
        team.alice.cs("config", "team_share_recording", "off")
    assert "transcript lines" in said and "usage rows" in said and "recording events" in said, said
    lines = rows(team, "transcript_lines", w.sid, "claude_session_id, line_no")
    assert [r[4] for r in lines] == [0, 1] and {r[3] for r in lines} == {cid}
    first = json.loads(lines[0][6])  # a transcript line still
    assert first["type"] == "user" and first["sessionId"] == cid and "pomelo" in first["message"]["content"]
    assert "[REDACTED:" in first["message"]["content"]
    assert lines[0][5] is not None  # its timestamp
    usage = rows(team, "usage", w.sid)
    assert len(usage) == 1 and usage[0][3] == "msg_pomelo" and usage[0][8] == 100
    recording = team.sql(
        "SELECT seq, elapsed, kind, data, at_segment, at_offset FROM cs_team.recording WHERE session_id = %s ORDER BY seq",
        [w.sid],
    )
    assert recording == local_recording(team, w.sid)
    assert [r[0] for r in recording] == list(range(len(recording)))
    assert "r" in {r[2] for r in recording} and "100x30" in [r[3] for r in recording]
    assert "pomelo" in "".join(r[3] for r in recording if r[2] == "o")
    ((cols, rows_, log_bytes, recorded),) = team.sql(
        "SELECT cols, rows, log_bytes, recording FROM cs_team.sessions WHERE id = %s", [w.sid]
    )
    assert (cols, rows_, recorded) == (80, 24, True) and log_bytes > 0
    everything = "\n".join(
        r[0] for t in TABLES for r in team.sql(f"SELECT row_to_json(t)::text FROM cs_team.{t} t WHERE owner = 'alice'")
    )
    assert "[REDACTED:" in everything and leaks(everything) == []

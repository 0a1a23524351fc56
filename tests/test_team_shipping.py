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
from tests.helpers.team import TABLES, team_fixture
from tests.helpers.transcripts import SECRETS, assistant, user, write

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """A cluster of this module's own (it is stopped and started again), its admin, alice and bob;
    alice's Claude Code keeps its transcripts in her ~/.claude."""
    for t in team_fixture(tmp_path_factory):
        t.alice.env["CLAUDE_CONFIG_DIR"] = str(t.alice.home / ".claude")
        yield t


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
    out = subprocess.run(
        [sys.executable, "-c", code, sid], env=team.alice.env, capture_output=True, text=True, check=True
    )
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


def local_lines(team, sid):
    """The searchable lines alice's index holds now, as a full shipment sends them: {(direction, text)}."""
    code = (
        "import json, sys; from cs.team import share; from cs.db import open_db; from cs.log import paths;"
        "db = open_db(paths.db_path());"
        "rows, _ = share.line_rows(db, sys.argv[1], share.redactor(), 0);"
        "print(json.dumps([[r[0], r[4]] for r in rows]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, sid], env=team.alice.env, capture_output=True, text=True, check=True
    )
    return sorted(tuple(r) for r in json.loads(out.stdout))


def team_lines(team, sid):
    return sorted(team.sql("SELECT direction, text FROM cs_team.lines WHERE session_id = %s", [sid]))


def wait_for(what, check, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def test_the_database_stopped_in_a_live_shared_session_every_line_arrives_once(team):
    """The required one: a live session shared with `cs share`, followed by the
    real watcher (`cs index --watch`, a process of its own); the database
    stopped while the session goes on (status says what waits and the error,
    local search still answers); started again: the team has every line once,
    the recording whole and contiguous, each transcript line once."""
    a = team.alice
    a.cs("config", "team_share_recording", "on")
    w, cid = claude_session(team, "quokka", live=True)
    for i in range(30):
        w.output(f"alpha {i} the watcher follows\r\n", dt=0.01)
    a.cs("share", w.sid)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "cs", "index", "--watch"], env=a.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        for i in range(60):
            w.output(f"beta {i} shipped while live\r\n", dt=0.01)
            time.sleep(0.01)
        try:
            wait_for("beta lines shipped", lambda: ("output", "beta 3 shipped while live") in team_lines(team, w.sid))
        except AssertionError:
            watcher.terminate()
            marks = sorted(p.name for p in (a.cs_home / "team").iterdir())
            raise AssertionError((watcher.communicate(timeout=10), marks, team_lines(team, w.sid)[-5:])) from None
        team.cluster.pause()
        try:
            for i in range(30):
                w.output(f"gamma {i} written while the database is down {SECRETS['aws'] if i == 7 else ''}\r\n")
                time.sleep(0.02)
            time.sleep(2.5)  # the watcher indexes them and tries to ship them
            status = a.cs("team", "status", check=False)
            assert status.returncode == 1
            assert "waiting: 1 session(s) to ship" in status.stdout and "last error" in status.stdout, status.stdout
            assert "cannot" in status.stdout
            found = a.cs("search", "gamma 12")  # everything local works
            assert "gamma 12" in found.stdout
            state = json.loads(a.cs("team", "status", "--json", check=False).stdout)
            assert state["waiting"]["sessions"][0]["id"] == w.sid and state["waiting"]["lines"] > 0
        finally:
            team.cluster.resume()
        for i in range(5):
            w.output(f"delta {i} after the database is back\r\n", dt=0.01)
        w.end()
        wait_for(
            "the team to catch up",
            lambda: (
                team_lines(team, w.sid) == local_lines(team, w.sid)
                and team.sql("SELECT status FROM cs_team.sessions WHERE id = %s", [w.sid]) == [("finished",)]
                and team.sql("SELECT count(*) FROM cs_team.recording WHERE session_id = %s", [w.sid])[0][0]
                == len(local_recording(team, w.sid))
            ),
            timeout=90,
        )
    finally:
        watcher.terminate()
        watcher.wait(10)
        a.cs("config", "team_share_recording", "off")
    lines = team_lines(team, w.sid)
    assert lines == local_lines(team, w.sid)
    texts = [t for _d, t in lines]
    for word, n in (("alpha", 30), ("beta", 60), ("gamma", 30), ("delta", 5)):
        for i in range(n):
            assert sum(1 for t in texts if f"{word} {i} " in t) == 1, (word, i, [t for t in texts if "gamma" in t])
    recording = team.sql(
        "SELECT seq, elapsed, kind, data, at_segment, at_offset FROM cs_team.recording WHERE session_id = %s ORDER BY seq",
        [w.sid],
    )
    assert [r[0] for r in recording] == list(range(len(recording)))  # contiguous
    assert recording == local_recording(team, w.sid)  # in pieces, through an outage = at once
    transcript = team.sql("SELECT line_no FROM cs_team.transcript_lines WHERE session_id = %s ORDER BY 1", [w.sid])
    assert transcript == [(0,), (1,)]
    assert leaks("\n".join(r[3] for r in recording)) == []
    status = a.cs("team", "status").stdout
    assert "waiting: nothing" in status and "last error" not in status


def test_a_recording_shipped_in_pieces_equals_the_one_shipped_at_once(team):
    a = team.alice
    a.cs("config", "team_share_recording", "on")
    try:
        w, _cid = claude_session(team, "wombat", live=True)
        a.cs("share", w.sid)
        for piece in range(4):
            for i in range(10):  # a secret cut between two pieces, too
                w.output(f"piece {piece} row {i} {SECRETS['gitlab'][:9] if i == 9 else ''}", dt=0.01)
                w.output(f"{SECRETS['gitlab'][9:] if i == 9 else ''}\r\n", dt=0.01)
            a.cs("share", w.sid)
        w.end()
        a.cs("share", w.sid)
    finally:
        a.cs("config", "team_share_recording", "off")
    shipped = team.sql(
        "SELECT seq, elapsed, kind, data, at_segment, at_offset FROM cs_team.recording WHERE session_id = %s ORDER BY seq",
        [w.sid],
    )
    assert shipped == local_recording(team, w.sid)
    assert leaks("".join(r[3] for r in shipped)) == []


def lines_sent(log: str) -> int:
    """How many lines the `INSERT INTO lines` statements in the server's log
    carried: one statement holds many (cs.team.share._bulk), its third
    parameter the array of their directions."""
    import re

    sent = 0
    for statement in re.finditer(r"INSERT INTO lines .*?\n.*?parameters: (.*)", log, re.IGNORECASE):
        directions = re.search(r"\$3 = '\{([^}]*)\}'", statement.group(1))
        sent += len(directions.group(1).split(",")) if directions else 0
    return sent


def test_incremental_shipping_sends_only_what_is_new(team):
    a = team.alice
    w, _cid = claude_session(team, "numbat", live=True)
    for i in range(40):
        w.output(f"first {i}\r\n", dt=0.01)
    a.cs("share", w.sid)
    before = {
        t: team.sql(f"SELECT xmin::text, ctid::text FROM cs_team.{t} WHERE session_id = %s ORDER BY 1, 2", [w.sid])
        for t in ("transcript_lines", "usage")
    }
    log_at = len(team.cluster.log())
    for i in range(40):
        w.output(f"second {i}\r\n", dt=0.01)
    said = a.cs("share", w.sid).stdout
    sent = team.cluster.log()[log_at:]
    assert "INSERT INTO transcript_lines" not in sent and "INSERT INTO usage" not in sent
    assert "INSERT INTO recording" not in sent  # (team_share_recording is off)
    inserts = lines_sent(sent)
    assert 16 <= inserts <= 40 + 24, inserts  # the new lines, and those still on the live screen before
    assert (
        sum(
            1
            for (t,) in team.sql("SELECT text FROM cs_team.lines WHERE session_id = %s", [w.sid])
            if t.startswith("first ")
        )
        == 40
    )
    for t, rows_before in before.items():
        assert (
            team.sql(f"SELECT xmin::text, ctid::text FROM cs_team.{t} WHERE session_id = %s ORDER BY 1, 2", [w.sid])
            == rows_before
        )
    assert "rows new or changed" in said
    log_at = len(team.cluster.log())
    assert "(0 rows new or changed, 0 removed)" in a.cs("share", w.sid).stdout  # nothing new: nothing sent
    assert "INSERT" not in team.cluster.log()[log_at:]
    w.end()


def test_team_share_all_project_and_none(team):
    """Sessions the watcher's rounds pick by themselves (`cs index` runs one
    round after its pass, as the watcher does after each of its own)."""
    a = team.alice

    def session(cwd, word):
        w = LogWriter(a.logs, argv=("bash",), cwd=cwd, lock=False)
        w.output(f"{word} here\r\n", dt=0.05).end()
        return w.sid

    def shipped(sid):
        return team.sql("SELECT count(*) FROM cs_team.sessions WHERE id = %s", [sid]) == [(1,)]

    try:
        a.cs("config", "team_share", "none")
        a.cs("index")
        none = session("/home/u/proj", "none-session")
        a.cs("index")
        assert not shipped(none)
        a.cs("config", "team_share", "project:oth*")
        a.cs("index")
        other = session("/home/u/proj", "not-this-project")
        a.cs("index")
        assert not shipped(other)
        a.cs("config", "team_share", "project:pr*,project:x")
        a.cs("index")
        picked = session("/home/u/proj", "project-picked")
        out = a.cs("index").stdout
        assert shipped(picked) and "shipped 1 session(s) to the team" in out
        assert not shipped(none) and not shipped(other)  # started before: not shared by themselves
        a.cs("config", "team_share", "all")
        a.cs("index")
        anything = session("/home/u/elsewhere", "all-picked")
        a.cs("index")
        assert shipped(anything)
        a.cs("unshare", anything)
        a.cs("index")
        assert not shipped(anything)  # taken back: never shipped again by itself
    finally:
        a.cs("config", "team_share", "none")


def test_a_team_share_typo_is_refused(team):
    r = team.alice.cs("config", "team_share", "al", check=False)
    assert r.returncode != 0
    assert "team_share: expected none, all, or project:GLOB" in r.stderr
    r = team.alice.cs("config", "team_share", "projects:cs", check=False)
    assert r.returncode != 0 and "'projects:cs' is none of these" in r.stderr


def test_marks_are_private_and_losing_them_duplicates_nothing(team):
    import shutil
    import stat

    a = team.alice
    w, _cid = claude_session(team, "dingo")
    a.cs("share", w.sid)
    folder = a.cs_home / "team"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    counts = {t: rows(team, t, w.sid) for t in ("lines", "transcript_lines", "usage", "entries")}
    shutil.rmtree(folder)
    said = a.cs("share", w.sid).stdout
    assert "(0 rows new or changed, 0 removed)" in said
    assert {t: rows(team, t, w.sid) for t in counts} == counts


def test_bob_follows_alices_live_session(team):
    """`cs tail --team -f`: bob sees alice's live session's story arrive as
    her shipments do, each line once, and his tail ends with her session,
    with its exit status."""
    import select

    a = team.alice
    w = LogWriter(a.logs, argv=("bash",), cwd="/home/u/proj", lock=True)
    w.output("wombat warm-up\r\n", dt=0.05)
    a.cs("share", w.sid)
    tail = subprocess.Popen(
        [sys.executable, "-m", "cs", "tail", "--team", f"alice/{w.sid[:8]}", "-f"],
        env=team.bob.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out = b""

    def read_until(text, timeout=20):
        nonlocal out
        deadline = time.monotonic() + timeout
        while text.encode() not in out:
            left = deadline - time.monotonic()
            assert left > 0, f"bob's tail never showed {text!r}: {out!r}"
            if select.select([tail.stdout], [], [], left)[0]:
                chunk = os.read(tail.stdout.fileno(), 65536)  # (not readline: select knows nothing of its buffer)
                assert chunk, f"bob's tail ended early: {tail.stderr.read().decode()}"
                out += chunk

    try:
        for step in range(3):
            for i in range(5):
                w.output(f"wombat step {step} line {i}\r\n", dt=0.05)
            a.cs("share", w.sid)
            read_until(f"wombat step {step} line 3")  # (the newest line waits until the story goes on)
        w.end(exit_code=3)
        a.cs("share", w.sid)
        assert tail.wait(timeout=30) == 3
        out += tail.stdout.read()
    finally:
        tail.kill()
    told = [line.strip() for line in out.decode().splitlines() if "wombat step" in line]
    assert told == [f"wombat step {s} line {i}" for s in range(3) for i in range(5)]

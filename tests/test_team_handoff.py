"""Hand-off (cs/team/handoff.py, `cs resume --team`): bob continues alice's
shared Claude Code conversation in his own checkout of the same repository,
with the real Claude Code CLI against the loopback API stand-in; the new
recording says which session it continued. The team database is a real
PostgreSQL (tests.helpers.team: a cluster of this module's own)."""

import json
import os
import re
import shutil
import subprocess
import uuid

import pytest

from cs.errors import CsError
from cs.team import handoff, remote
from tests.helpers.claude import Tmux
from tests.helpers.cli import run_cs
from tests.helpers.fake_anthropic import FakeAnthropic, claude_home, find_claude, find_new_claude, find_old_claude
from tests.helpers.shell import system_path_dirs
from tests.helpers.team import team_fixture
from tests.helpers.tools import find_cs_exe, missing_tool


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """The module's own cluster, admin, alice and bob (tests.helpers.team)."""
    yield from team_fixture(tmp_path_factory)


API_KEY = "sk-ant-api03-cs-handoff-test-" + "h" * 20
ALICE_PROMPT = "where do the herons of the north pond nest"
BOB_PROMPT = "and when do their chicks fledge"


def test_remotes_of_one_repository_are_the_same():
    same = (
        "git@github.com:acme/app.git",
        "https://alice:ghp_TOKEN@github.com/acme/app",
        "ssh://git@GitHub.com:22/acme/app.git/",
        "https://github.com/acme/app.git",
    )
    assert {remote.normalized(u) for u in same} == {"github.com/acme/app"}
    assert remote.normalized("https://github.com/acme/other") == "github.com/acme/other"
    assert remote.normalized("/srv/git/app.git") is None and remote.normalized("") is None


def checkout(directory, origin):
    directory.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(directory)], check=True)
    subprocess.run(["git", "-C", str(directory), "remote", "add", "origin", origin], check=True)
    return directory


def test_a_checkout_is_matched_by_its_remote(tmp_path):
    mine = checkout(tmp_path / "mine", "https://github.com/acme/app")
    other = checkout(tmp_path / "other", "git@github.com:acme/other.git")
    shared = handoff.Shared("alice", str(uuid.uuid4()), None, str(uuid.uuid4()), "github.com/acme/app", "/x")
    assert handoff.checkout(shared, str(mine)) == (str(mine), None)
    with pytest.raises(CsError, match="not a checkout of github.com/acme/app .its origin: github.com/acme/other"):
        handoff.checkout(shared, str(other))
    directory, note = handoff.checkout(shared, str(mine), cwd_option=str(other))  # chosen: continued, with a note
    assert directory == str(other) and "not a checkout of github.com/acme/app" in note
    shared.git_remote = None
    with pytest.raises(CsError, match="--cwd DIR"):
        handoff.checkout(shared, str(mine))


def test_shared_transcript_names_and_lines_are_untrusted(tmp_path):
    """A teammate's rows name files: only the session's uuid and plain file
    names under its subagents folder are written, inside the project folder;
    a line that is not a JSON object is left out; `cwd` becomes the member's."""
    config, here = tmp_path / "claude", tmp_path / "here"
    here.mkdir()
    cid = str(uuid.uuid4())
    line = json.dumps({"type": "user", "cwd": "/home/alice/app", "sessionId": cid, "message": {"content": "hi"}})
    files = {
        cid: [line, "not json", "[1, 2]"],
        f"{cid}/subagents/agent-1.jsonl": [line],
        f"{cid}/subagents/../../../escape.jsonl": [line],
        f"{uuid.uuid4()}": [line],
    }
    target, written = handoff.place(files, cid, str(here), str(config))
    assert written and target == config / "projects" / re.sub("[^A-Za-z0-9]", "-", str(here)) / f"{cid}.jsonl"
    assert [json.loads(x)["cwd"] for x in target.read_text().splitlines()] == [str(here)]
    assert target.stat().st_mode & 0o777 == 0o600
    every = sorted(str(p.relative_to(config)) for p in config.rglob("*") if p.is_file())
    assert every == sorted(
        [f"projects/{target.parent.name}/{cid}.jsonl", f"projects/{target.parent.name}/{cid}/subagents/agent-1.jsonl"]
    )
    assert handoff.place(files, cid, str(here), str(config)) == (target, False)  # never overwritten
    with pytest.raises(CsError, match="not a uuid"):
        handoff.place({"../../x": [line]}, "../../x", str(here), str(config))


def test_the_recorder_says_what_it_continued_and_the_command_never_sees_it(tmp_path, cs_home):
    env = dict(os.environ, CS_HOME=str(cs_home), CS_NO_DAEMON="1", CS_CONTINUES="alice/" + "f" * 36)
    proc = subprocess.run([find_cs_exe(), "record", "--", "env"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "CS_SESSION_ID=" in proc.stdout and "CS_CONTINUES" not in proc.stdout
    (log,) = (cs_home / "logs").glob("*.jsonl")
    events = [json.loads(x) for x in log.read_text().splitlines() if '"continued"' in x]
    assert [(e["team_owner"], e["team_session_id"]) for e in events] == [("alice", "f" * 36)]
    (listed,) = [json.loads(x) for x in run_cs(None, "list", "--jsonl", env=env).stdout.splitlines()]
    assert (listed["continued_owner"], listed["continued_id"]) == ("alice", "f" * 36)
    nested = dict(env, CS_SESSION_ID="f" * 36)  # inside a recorded session: run directly, still not passed on
    proc = subprocess.run(
        [find_cs_exe(), "record", "--", "env"], env=nested, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "CS_CONTINUES" not in proc.stdout
    env["CS_CONTINUES"] = "no-slash"  # not OWNER/ID: no event, and still not passed on
    proc = subprocess.run([find_cs_exe(), "record", "--", "env"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "CS_CONTINUES" not in proc.stdout


def box_holds(text):
    """The input row holds text: `❯ text`, or `> text` in the 2.0 releases."""
    want = {(glyph + " " + text).rstrip() for glyph in ("❯", ">")}
    return lambda screen: any(line.replace("\u00a0", " ").rstrip() in want for line in screen.splitlines())


def claude_env(person, project, api, claude_path):
    """The person's environment for running the real claude in project (their
    cs home, their team login; HOME prepared for claude)."""
    env = dict(person.env)
    env.update(claude_home(person.home / "claude", project, API_KEY, api.url))
    env["PGPASSFILE"] = str(person.home / ".pgpass")
    dirs = [os.path.dirname(claude_path), os.path.dirname(find_cs_exe()), *system_path_dirs()]
    if shutil.which("node"):
        dirs.append(os.path.dirname(shutil.which("node")))
    env.update(PATH=os.pathsep.join(dict.fromkeys(dirs)), LANG="C.UTF-8")
    return env


@pytest.mark.slow
@pytest.mark.parametrize("release", ["pinned", "older", "newest"])
def test_bob_continues_alices_conversation_with_the_real_claude(team, tmp_path, tmux_bin, release):
    claude_path = {"pinned": find_claude, "older": find_old_claude, "newest": find_new_claude}[release]()
    if not claude_path:
        missing_tool(f"the {release} Claude Code CLI (.ci/setup installs it)")
    alice_dir = checkout(tmp_path / "alice" / "app", "git@github.com:acme/app.git")
    bob_dir = checkout(tmp_path / "bob" / "app", "https://github.com/acme/app")
    with FakeAnthropic("Herons nest in the tallest alders by the north pond.") as api:
        a_env = claude_env(team.alice, alice_dir, api, claude_path)
        proc = subprocess.run(
            [find_cs_exe(), "record", "--", "claude", "-p", ALICE_PROMPT],
            env=a_env,
            cwd=alice_dir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0 and "alders" in proc.stdout, proc.stderr
        sid = json.loads(run_cs(None, "list", "--jsonl", "-n", "1", env=a_env).stdout.splitlines()[0])["id"]
        run_cs(None, "share", sid, env=a_env)

        b_env = claude_env(team.bob, bob_dir, api, claude_path)
        asked_before = len(api.message_requests())
        tmux = Tmux(tmux_bin, b_env, bob_dir, f"{find_cs_exe()} resume --team alice/{sid[:8]}; echo rc=$?; sleep 60")
        try:
            tmux.wait(lambda s: "north pond" in s and box_holds("")(s), what="alice's conversation", timeout=40)
            tmux.type(BOB_PROMPT)
            tmux.wait(box_holds(BOB_PROMPT), what="bob's prompt typed")
            tmux.keys("Enter")
            tmux.wait(lambda s: s.count("tallest alders") >= 2, what="the reply to bob", timeout=40)
            tmux.wait(box_holds(""), what="an empty input box")
            tmux.type("/exit")
            tmux.wait(box_holds("/exit"), what="/exit typed")
            tmux.keys("Enter")
            tmux.wait(lambda s: "rc=0" in s, what="claude to exit")
        finally:
            tmux.kill()
        asked = api.message_requests()[asked_before:]
        # (The conversation's requests carry the tools; a side request, a title, may carry the prompt alone.)
        bobs = [r for r in asked if r.get("tools") and BOB_PROMPT in json.dumps(r.get("messages"))]
    # Bob's first request of the conversation carries alice's conversation before his prompt.
    assert bobs, "bob's prompt never reached the API"
    earlier = json.dumps(bobs[0]["messages"][:-1])
    assert ALICE_PROMPT in earlier and "tallest alders" in earlier
    # Bob's session is recorded, and says whose session it continued.
    newest = json.loads(run_cs(None, "list", "--jsonl", "-n", "1", env=b_env).stdout.splitlines()[0])
    assert newest["cwd"] == str(bob_dir) and (newest["continued_owner"], newest["continued_id"]) == ("alice", sid)
    assert "--resume" in newest["argv"]
    # Shared, it tells the team whose session it continued.
    run_cs(None, "share", newest["id"], env=b_env)
    (row,) = [
        r for r in json.loads(run_cs(None, "list", "--team", "--json", env=a_env).stdout) if r["id"] == newest["id"]
    ]
    assert (row["owner"], row["continued_owner"], row["continued_id"]) == ("bob", "alice", sid)
    assert row["git_remote"] == "github.com/acme/app"

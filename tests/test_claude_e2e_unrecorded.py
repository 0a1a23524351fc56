"""Claude Code sessions run WITHOUT the cs wrapper (issue 24): the real Claude
Code CLI, interactive in tmux from a shell without cs, and `claude -p`, against
the loopback API stand-in. After `cs index` each is found by `cs search`,
listed (transcript-only), shown and counted; still after Claude Code's own
file is deleted; and not at all with `archive_unrecorded off`."""

import json
import os
import shutil
import subprocess

import pytest

from tests.helpers.claude import PROMPT, REPLY, Tmux, exit_claude, input_box_holds, run_conversation
from tests.helpers.cli import run_cs
from tests.helpers.fake_anthropic import FakeAnthropic, claude_home
from tests.helpers.shell import system_path_dirs
from tests.helpers.tools import find_cs_exe

pytestmark = pytest.mark.slow

API_KEY = "sk-ant-api03-cs-unrecorded-test-" + "z" * 20
ANSWER = "The marmots file their tax returns every second Thursday."


def bare_world(tmp_path, cs_home, claude_bin, api):
    """A HOME for claude, PATH with claude but no cs wrapper, the cs home."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    env = claude_home(tmp_path, project, API_KEY, api.url)
    dirs = [os.path.dirname(claude_bin), *system_path_dirs()]
    if shutil.which("node"):
        dirs.append(os.path.dirname(shutil.which("node")))
    env.update(PATH=os.pathsep.join(dict.fromkeys(dirs)), CS_HOME=str(cs_home), CS_NO_DAEMON="1", LANG="C.UTF-8")
    return env, project


def cs(env, *args, check=True):
    return run_cs(None, *args, env=env, check=check, timeout=120)


def jsonl(proc):
    return [json.loads(line) for line in proc.stdout.splitlines()]


def claude_print(env, project, claude_bin, prompt):
    proc = subprocess.run([claude_bin, "-p", prompt], env=env, cwd=project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_claude_p_without_the_wrapper_is_found_listed_shown_counted_and_kept(tmp_path, cs_home, claude_bin):
    with FakeAnthropic(ANSWER) as api:
        env, project = bare_world(tmp_path, cs_home, claude_bin, api)
        assert ANSWER in claude_print(env, project, claude_bin, "what do the marmots do").stdout
        main = [usage for _id, usage, is_main in api.responses if is_main]

    out = cs(env, "index").stdout
    assert "found 1 Claude Code session(s) cs did not record" in out
    (session,) = jsonl(cs(env, "list", "--jsonl"))
    assert session["source"] == "transcript" and session["cwd"] == str(project.resolve())
    assert "transcript-only" in cs(env, "list").stdout
    hits = jsonl(cs(env, "search", "--jsonl", "marmots"))
    assert {h["session_id"] for h in hits} == {session["id"]}
    assert {"prompt", "reply"} <= {h["kind"] for h in hits}
    shown = cs(env, "show", session["id"][:8]).stdout
    assert "> what do the marmots do" in shown and ANSWER in shown
    stats = json.loads(cs(env, "stats", "--json").stdout)
    assert stats["sessions"]["count"] == 1
    assert stats["tokens"]["total"]["input_tokens"] == sum(u["input_tokens"] for u in main)

    # Claude Code deletes its transcript (cleanupPeriodDays): ours stays, a rebuilt index too.
    shutil.rmtree(tmp_path / "home" / ".claude" / "projects")
    cs(env, "index", "-q")
    assert jsonl(cs(env, "search", "--jsonl", "marmots"))
    cs(env, "index", "--rebuild", "-q")
    assert [s["id"] for s in jsonl(cs(env, "list", "--jsonl"))] == [session["id"]]
    assert ANSWER in cs(env, "show", session["id"][:8]).stdout


def test_an_interactive_session_without_the_wrapper_is_taken_in(world, tmux_bin, cs_home):
    """claude typed in a bash that never loaded `cs init`: nothing recorded it."""
    run_conversation(tmux_bin, world, "bash", with_cs=False)
    env = dict(world["env"], HOME=str(world["tmp"] / "bash-bare" / "home"))
    assert not os.path.isdir(cs_home / "logs") or not os.listdir(cs_home / "logs")
    cs(env, "index")
    (session,) = jsonl(cs(env, "list", "--jsonl"))
    assert session["source"] == "transcript"
    assert {h["session_id"] for h in jsonl(cs(env, "search", "--jsonl", "purple otters"))} == {session["id"]}
    shown = cs(env, "show", session["id"][:8]).stdout
    assert f"> {PROMPT}" in shown and REPLY in shown
    assert json.loads(cs(env, "stats", "--json").stdout)["sessions"]["count"] == 1


def test_archive_unrecorded_off_takes_none_in(tmp_path, cs_home, claude_bin):
    with FakeAnthropic(ANSWER) as api:
        env, project = bare_world(tmp_path, cs_home, claude_bin, api)
        cs(env, "config", "archive_unrecorded", "off")
        claude_print(env, project, claude_bin, "what do the marmots do")
    out = cs(env, "index").stdout
    assert "found" not in out
    assert jsonl(cs(env, "list", "--jsonl")) == []
    assert jsonl(cs(env, "search", "--jsonl", "marmots", check=False)) == []
    assert not (cs_home / "claude").exists() or not any((cs_home / "claude").glob("*.jsonl"))


def test_cs_resume_continues_an_unrecorded_session_recorded_and_it_keeps_what_came_before(
    tmp_path, cs_home, claude_bin, tmux_bin
):
    """`cs resume` of a session cs did not record, after Claude Code deleted its
    file: the archived transcript is put back, claude --resume runs recorded;
    what was said before stays the transcript-only session's, the rest is the
    recording's."""
    second = "Beavers build dams out of spreadsheets."
    with FakeAnthropic(ANSWER) as api:
        env, project = bare_world(tmp_path, cs_home, claude_bin, api)
        claude_print(env, project, claude_bin, "what do the marmots do")
        cs(env, "index", "-q")
        (old,) = jsonl(cs(env, "list", "--jsonl"))
        shutil.rmtree(tmp_path / "home" / ".claude" / "projects")
        api.reply_text = second
        tmux = Tmux(tmux_bin, env, project, f"{find_cs_exe()} resume {old['id'][:8]}; echo rc=$?; sleep 600")
        try:
            tmux.wait(lambda s: "Claude Code" in s and input_box_holds("")(s), timeout=60, what="claude to start")
            tmux.type("and the beavers?")
            tmux.wait(input_box_holds("and the beavers?"), what="the prompt typed")
            tmux.keys("Enter")
            tmux.wait(lambda s: second in s, timeout=60, what="the reply")
            exit_claude(tmux)
        finally:
            tmux.kill()
    cs(env, "index", "-q")
    by_source = {r["source"]: r["id"] for r in jsonl(cs(env, "list", "--jsonl"))}
    assert set(by_source) == {"transcript", "recording"} and by_source["transcript"] == old["id"]
    said_before = jsonl(cs(env, "search", "--jsonl", "--source", "transcript", "marmots"))
    assert said_before and {h["session_id"] for h in said_before} == {old["id"]}
    said_after = jsonl(cs(env, "search", "--jsonl", "--source", "transcript", "beavers"))
    assert said_after and {h["session_id"] for h in said_after} == {by_source["recording"]}

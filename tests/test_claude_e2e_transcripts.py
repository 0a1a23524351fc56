"""Claude Code's own transcripts, kept with the recording: the real Claude Code
CLI (the pinned release and an older 2.x one) through `cs record`, against the
loopback API stand-in, which answers with text, tool calls and usage.

What must hold: the recording is linked to the Claude session(s) it produced
(with and without the exit message, across /clear); the transcript is archived
and stays searchable and showable after Claude Code deletes it; `cs resume`
brings it back; token totals are exactly what the API returned, each response
once."""

import json
import os
import shutil
import subprocess

import pytest

from tests.helpers.claude import Tmux, input_box_holds
from tests.helpers.cli import run_cs
from tests.helpers.fake_anthropic import FakeAnthropic, claude_home, find_claude, find_old_claude
from tests.helpers.shell import system_path_dirs
from tests.helpers.tools import missing_tool

pytestmark = pytest.mark.slow

API_KEY = "sk-ant-api03-cs-transcript-test-" + "y" * 20
SECRET_NOTE = "the capybara keeps its umbrella under the third stair"


def script(notes_path):
    """A turn with text and a tool call (two content blocks of one response,
    so Claude Code writes the same usage on two lines), then the answer."""
    return [
        [
            {"type": "text", "text": "Let me read the notes first."},
            {"type": "tool_use", "name": "Read", "input": {"file_path": str(notes_path)}},
        ],
        [{"type": "text", "text": "Your notes say where the capybara keeps its umbrella."}],
    ]


@pytest.fixture(params=["pinned", "older"])
def claude_exe(request):
    path = find_claude() if request.param == "pinned" else find_old_claude()
    if not path:
        missing_tool(f"the {request.param} Claude Code CLI (.ci/setup installs it)")
    return path


def world(tmp_path, cs_home, claude_path, api):
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    env = claude_home(tmp_path, project, API_KEY, api.url)
    dirs = [os.path.dirname(claude_path), *system_path_dirs()]
    node = shutil.which("node")
    if node:
        dirs.append(os.path.dirname(node))
    env.update(PATH=os.pathsep.join(dict.fromkeys(dirs)), CS_HOME=str(cs_home), CS_NO_DAEMON="1", LANG="C.UTF-8")
    return env, project


def cs(env, *args, check=True, cwd=None):
    return run_cs(None, *args, env=env, check=check, timeout=120)


def jsonl(proc):
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_print_mode_is_linked_archived_searchable_and_counted(tmp_path, cs_home, claude_exe):
    with FakeAnthropic("a side answer", script=None) as api:
        env, project = world(tmp_path, cs_home, claude_exe, api)
        notes = project / "notes.txt"
        notes.write_text(SECRET_NOTE + "\n")
        api.script = script(notes)
        proc = subprocess.run(
            [
                shutil.which("cs", path=env["PATH"]) or str(cs_exe_path()),
                "record",
                "--",
                "claude",
                "-p",
                "what do my notes say",
            ],
            env=env,
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert "umbrella" in proc.stdout
        main_responses = [usage for _id, usage, main in api.responses if main]

    (recording,) = jsonl(cs(env, "list", "--jsonl"))
    hits = jsonl(cs(env, "search", "--jsonl", "--source", "transcript", "capybara"))
    kinds = {h["kind"] for h in hits}
    assert {"result", "reply"} <= kinds, hits  # the tool's result and the reply
    assert all(h["session_id"] == recording["id"] for h in hits)
    assert jsonl(cs(env, "search", "--jsonl", "--kind", "prompt", "notes say"))[0]["text"] == "what do my notes say"
    tools = jsonl(cs(env, "search", "--jsonl", "--kind", "tool", "notes.txt"))
    assert tools and tools[0]["text"].startswith("Read ")
    # A transcript hit's replay command starts at that moment of the recording.
    reply = next(h for h in hits if h["kind"] == "reply")
    replay = reply["replay"].split()
    assert replay[:2] == ["cs", "replay"] and replay[3:] == ["--at", reply["timestamp"]]
    played = subprocess.run([cs_exe_path(), *replay[1:], "--no-wait"], env=env, capture_output=True, timeout=60)
    assert played.returncode == 0 and b"umbrella" in played.stdout

    # Tokens: exactly what the API returned for the conversation, each response once.
    stats = json.loads(cs(env, "stats", "--json").stdout)
    assert stats["tokens"]["total"]["input_tokens"] == sum(u["input_tokens"] for u in main_responses)
    assert stats["tokens"]["total"]["output_tokens"] == sum(u["output_tokens"] for u in main_responses)

    # Claude Code deletes its transcript (cleanupPeriodDays): ours stays.
    shutil.rmtree(tmp_path / "home" / ".claude" / "projects")
    cs(env, "index", "--rebuild", "-q")
    assert jsonl(cs(env, "search", "--jsonl", "--source", "transcript", "umbrella"))
    shown = cs(env, "show", recording["id"][:8], "--conversation", "--tools").stdout
    for expected in ("> what do my notes say", "⚙ Read", SECRET_NOTE, "where the capybara keeps its umbrella"):
        assert expected in shown, shown
    archived = list((cs_home / "claude").glob("*.jsonl"))
    assert archived and all(p.stat().st_mode & 0o777 == 0o600 for p in archived)


def cs_exe_path():
    from tests.helpers.tools import find_cs_exe

    return find_cs_exe()


def test_clear_mid_session_gives_two_linked_transcripts_and_resume_restores(tmp_path, cs_home, tmux_bin):
    claude_path = find_claude()
    if not claude_path:
        missing_tool("the Claude Code CLI")
    with FakeAnthropic("Otters answer every question twice.") as api:
        env, project = world(tmp_path, cs_home, claude_path, api)
        env["PATH"] = os.pathsep.join([os.path.dirname(cs_exe_path()), env["PATH"]])
        tmux = Tmux(tmux_bin, env, project, f"{cs_exe_path()} record -- claude; echo rc=$?; sleep 60")
        try:
            for prompt in ("first question about otters", "/clear", "second question about otters"):
                tmux.wait(input_box_holds(""), what="an empty input box")
                tmux.type(prompt)
                tmux.wait(input_box_holds(prompt), what="the prompt typed")
                tmux.keys("Enter")
                if prompt != "/clear":
                    tmux.wait(lambda s, p=prompt: p in s and "Otters answer" in s, what="the reply")
            tmux.wait(input_box_holds(""), what="an empty input box")
            tmux.type("/exit")
            tmux.wait(input_box_holds("/exit"), what="/exit typed")
            tmux.keys("Enter")
            tmux.wait(lambda s: "rc=0" in s, what="claude to exit")
        finally:
            tmux.kill()

        (recording,) = jsonl(cs(env, "list", "--jsonl"))
        prompts = jsonl(cs(env, "search", "--jsonl", "--kind", "prompt", "question about otters"))
        assert sorted(h["text"] for h in prompts) == ["first question about otters", "second question about otters"]
        log = next((cs_home / "logs").glob("*.jsonl"))
        linked = [
            json.loads(line)["claude_session_id"] for line in log.read_text().splitlines() if '"claude_session"' in line
        ]
        assert len(set(linked)) == 2 and linked[0] == recording["id"], linked

        # Claude Code forgets the session; cs resume puts the archive back and resumes it, recorded.
        shutil.rmtree(tmp_path / "home" / ".claude" / "projects")
        tmux = Tmux(tmux_bin, env, tmp_path, f"{cs_exe_path()} resume {recording['id'][:8]}; echo rc=$?; sleep 60")
        try:
            tmux.wait(lambda s: "second question about otters" in s, what="the resumed conversation", timeout=30)
            tmux.wait(input_box_holds(""), what="an empty input box")
            tmux.type("/exit")
            tmux.wait(input_box_holds("/exit"), what="/exit typed")
            tmux.keys("Enter")
            tmux.wait(lambda s: "rc=0" in s, what="claude to exit")
        finally:
            tmux.kill()
        recordings = jsonl(cs(env, "list", "--jsonl"))
        assert len(recordings) == 2
        resumed = recordings[0]
        assert resumed["argv"][1:3] == ["--resume", linked[-1]] and resumed["cwd"] == str(project)


def test_continue_and_resume_link_the_same_claude_session(tmp_path, cs_home):
    """`claude -p --continue` names no session on its command line (found by
    directory and time), `--resume X` does: both recordings link to the
    session the first one created, and each line goes to the recording it was
    said in."""
    claude_path = find_claude()
    if not claude_path:
        missing_tool("the Claude Code CLI")
    with FakeAnthropic("Badgers keep careful ledgers.") as api:
        env, project = world(tmp_path, cs_home, claude_path, api)

        def claude(*args):
            proc = subprocess.run(
                [cs_exe_path(), "record", "--", "claude", "-p", *args],
                env=env,
                cwd=project,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert proc.returncode == 0, proc.stderr

        claude("first: the badger question")
        (first,) = jsonl(cs(env, "list", "--jsonl"))
        claude("--continue", "second: the badger follow-up")
        claude("--resume", first["id"], "third: the badger wrap-up")
    recordings = {r["id"]: r for r in jsonl(cs(env, "list", "--jsonl"))}
    assert len(recordings) == 3
    prompts = jsonl(cs(env, "search", "--jsonl", "--kind", "prompt", "badger"))
    by_text = {h["text"]: h["session_id"] for h in prompts}
    assert set(by_text) == {"first: the badger question", "second: the badger follow-up", "third: the badger wrap-up"}
    assert len(set(by_text.values())) == 3  # each prompt in its own recording
    assert by_text["first: the badger question"] == first["id"]

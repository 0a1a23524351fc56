"""`cs mcp` end to end with the real Claude Code CLI (the pinned release, an
older 2.x one and the newest), against the loopback stand-in of the Anthropic API.

An earlier session is recorded (`cs record -- claude -p ...`: the model reads
a notes file holding a phrase and a GitHub token), and Claude Code deletes its
transcript. `cs mcp install` registers the server in that HOME through
`claude mcp add`, and a settings.json lets `mcp__cs` tools run without asking.
A second recorded `claude -p` is answered by the stand-in with a tool_use of
`mcp__cs__search_sessions` (after loading its schema with ToolSearch, where
the release defers MCP tools as the pinned one does); Claude Code runs it through `cs mcp`, and the
next request it sends must carry a tool_result with the earlier session's
words, the token redacted, and the session asking left out."""

import json
import os
import shutil
import subprocess

import pytest

from tests.helpers.cli import run_cs
from tests.helpers.fake_anthropic import FakeAnthropic, find_claude, find_new_claude, find_old_claude
from tests.helpers.tools import find_cs_exe, missing_tool
from tests.helpers.transcripts import SECRETS
from tests.test_claude_e2e_transcripts import world

pytestmark = pytest.mark.slow
pytest.importorskip("mcp", reason="the mcp extra (pip install -e '.[test]')")

TOKEN = SECRETS["github"]
NOTE = "the capybara keeps its umbrella under the third stair"
SEARCH_TOOL = "mcp__cs__search_sessions"


@pytest.fixture(params=["pinned", "older", "newest"])
def claude_exe(request):
    path = {"pinned": find_claude, "older": find_old_claude, "newest": find_new_claude}[request.param]()
    if not path:
        missing_tool(f"the {request.param} Claude Code CLI (.ci/setup installs it)")
    return path


def record_claude(env, project, prompt):
    proc = subprocess.run(
        [find_cs_exe(), "record", "--", "claude", "-p", prompt],
        env=env,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def search_call() -> dict:
    return {"type": "tool_use", "id": "toolu_cs_search", "name": SEARCH_TOOL, "input": {"query": "capybara umbrella"}}


def tool_results(body) -> list:
    """The tool_result blocks of a request's newest message."""
    content = (body.get("messages") or [{}])[-1].get("content")
    return [b for b in content if b.get("type") == "tool_result"] if isinstance(content, list) else []


def result_text(block) -> str:
    content = block.get("content")
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [])


def test_claude_code_searches_a_session_whose_transcript_is_gone(tmp_path, cs_home, claude_exe):
    with FakeAnthropic("a side answer") as api:
        env, project = world(tmp_path, cs_home, claude_exe, api)
        notes = project / "notes.txt"
        notes.write_text(f"{NOTE}; the umbrella key is {TOKEN}\n")
        api.script = [
            [{"type": "tool_use", "name": "Read", "input": {"file_path": str(notes)}}],
            [{"type": "text", "text": "Your notes are about a capybara."}],
        ]
        record_claude(env, project, "what do my notes say")
        run_cs(None, "index", "-q", env=env)  # (the watcher's work: the transcript archived as it grows)
        shutil.rmtree(tmp_path / "home" / ".claude" / "projects")  # Claude Code's clean-up
        notes.unlink()
        run_cs(None, "index", "--rebuild", "-q", env=env)  # from the logs and the archive alone
        kept = run_cs(None, "search", "--source", "transcript", "umbrella", env=env).stdout
        assert NOTE in kept, kept  # the earlier session's words outlive Claude Code's transcript

        said = run_cs(None, "mcp", "install", env=env).stdout
        assert "mcp add" in said, said
        registered = json.loads((tmp_path / "home" / ".claude.json").read_text())["mcpServers"]["cs"]
        assert registered["command"] == find_cs_exe() and registered["args"] == ["mcp"]
        settings = tmp_path / "home" / ".claude" / "settings.json"
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps({"permissions": {"allow": ["mcp__cs"]}}))

        offered, answered = [], []

        def script(body):
            """As a model would: load the tool's schema first where Claude Code
            defers MCP tools (ToolSearch, newer releases), then call it."""
            offered.append([t.get("name") for t in body.get("tools", [])])
            results = {b.get("tool_use_id"): b for b in tool_results(body)}
            if "toolu_cs_search" in results:
                answered.append(results["toolu_cs_search"])
                return [{"type": "text", "text": "Found it in an earlier session."}]
            if SEARCH_TOOL in offered[-1]:
                return [search_call()]
            if "ToolSearch" in offered[-1] and SEARCH_TOOL in json.dumps(body) and not results:
                return [
                    {
                        "type": "tool_use",
                        "id": "toolu_load_schema",
                        "name": "ToolSearch",
                        "input": {"query": f"select:{SEARCH_TOOL}"},
                    }
                ]
            if "toolu_load_schema" in results:
                return [search_call()]  # loaded: the schema is in the result
            return None

        api.script = script
        out = record_claude(env, project, "where does the capybara keep its umbrella?")

    assert any(SEARCH_TOOL in names for names in offered), offered[-1:]
    assert answered, f"no tool_result came back; claude said: {out}"
    (result,) = answered
    text = result_text(result)
    assert not result.get("is_error"), text
    assert NOTE in text and "transcript result" in text, text
    assert TOKEN not in text and "[REDACTED:github]" in text, text
    # The session asking is recorded too, and left out.
    assert "The session you are in" in text
    recordings = [json.loads(line) for line in run_cs(None, "list", "--jsonl", env=env).stdout.splitlines()]
    assert len(recordings) == 2
    earlier = min(recordings, key=lambda r: r["started_at"])
    assert f"session {earlier['id'][:8]}" in text
    assert os.environ.get("CS_SESSION_ID") is None  # (conftest: nothing leaks in from outside)

"""`cs mcp` as Claude Code sees it: the MCP SDK's own client starts the real
`cs mcp` over stdio, initializes, lists the tools and calls each of them, on
recordings made with the one fake-log builder and indexed by `cs index`; and
hostile arguments, which must come back as tool errors from a server that
goes on answering. `cs mcp install` without `claude` on PATH writes Claude
Code's user config itself. (The real Claude Code CLI running a tool through
`cs mcp`: tests/test_mcp_claude.py.)"""

import json
import os
import re
import sqlite3

import anyio
import pytest

from tests.helpers.cli import run_cs
from tests.helpers.logs import LogWriter
from tests.helpers.transcripts import SECRETS, assistant, claude_recording, user

pytest.importorskip("mcp", reason="the mcp extra (pip install -e '.[test]')")

KEY = SECRETS["github"]
PROMPT = "where did we fix the flaky otter test"
REPLY = "The flaky otter test was fixed in tests/test_otter.py by waiting for the socket."


@pytest.fixture
def archive(cs_home, logs, tmp_path, monkeypatch):
    """Three recordings, indexed: a Claude Code session with its transcript (a
    secret in a tool result), a shell session, and the session asking (its id
    goes into the server's CS_SESSION_ID). {name: session id}."""
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    claude = claude_recording(
        logs,
        config,
        f"> {PROMPT}\r\n● The flaky otter test was fixed in tests/test_otter.py\r\n",
        user(PROMPT)
        + assistant([{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "cat .env"}}])
        + user(
            [{"type": "tool_result", "tool_use_id": "toolu_1", "content": f"GITHUB_TOKEN={KEY}\notter=1"}],
            ts="2026-12-01T10:00:03.000Z",
        )
        + assistant([{"type": "text", "text": REPLY}], msg_id="msg_2", req="req_2", ts="2026-12-01T10:00:04.000Z"),
    )
    shell = LogWriter(logs, argv=("bash",), cwd="/home/u/shellproj", t0=1796205600.0)
    shell.input("make otter\r")
    shell.output("make otter\r\notter build failed: E4711 in otter.c\r\n$ ")
    shell.output(f"export TOKEN={KEY}\r\n")
    shell.end(exit_code=2)
    asking = LogWriter(logs, argv=("claude",), cwd="/home/u/proj", t0=1796292000.0)
    asking.output("● now we ask about the otter again\r\n")
    asking.close()
    run_cs(None, "index", "-q")
    return {"claude": claude.sid, "shell": shell.sid, "asking": asking.sid}


def mcp_session(env_extra=None):
    """An async context: the SDK's ClientSession on a real `cs mcp` process."""
    from contextlib import asynccontextmanager

    from mcp import ClientSession, StdioServerParameters, stdio_client

    from tests.helpers.tools import find_cs_exe

    @asynccontextmanager
    async def session():
        env = dict(os.environ, **(env_extra or {}))
        params = StdioServerParameters(command=find_cs_exe(), args=["mcp"], env=env)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as client:
                await client.initialize()
                yield client

    return session()


def talk(calls, env_extra=None):
    """Run `calls(client)` (an async function) against a fresh `cs mcp`."""

    async def main():
        async with mcp_session(env_extra) as client:
            return await calls(client)

    return anyio.run(main)


def text_of(result) -> str:
    return "".join(block.text for block in result.content)


def test_initialize_and_list_the_tools(archive):
    async def calls(client):
        return await client.list_tools()

    listed = talk(calls)
    by_name = {t.name: t for t in listed.tools}
    assert set(by_name) == {"search_sessions", "read_session", "list_sessions", "session_stats"}
    for tool in listed.tools:
        schema = tool.input_schema
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert len(tool.description) > 100
        assert all(p.get("description") for p in schema["properties"].values()), tool.name
    assert by_name["search_sessions"].input_schema["required"] == ["query"]
    assert by_name["read_session"].input_schema["required"] == ["session"]


def test_each_tool_answers_and_leaves_the_asking_session_out(archive):
    ids = archive

    async def calls(client):
        out = {}
        out["search"] = await client.call_tool("search_sessions", {"query": "otter"})
        out["search_all"] = await client.call_tool(
            "search_sessions", {"query": "otter", "include_current_session": True}
        )
        out["typed"] = await client.call_tool("search_sessions", {"query": "otter", "source": "typed"})
        out["named"] = await client.call_tool("search_sessions", {"query": "otter", "session": ids["asking"][:8]})
        out["secret_query"] = await client.call_tool("search_sessions", {"query": f"zebra {KEY}"})
        out["list"] = await client.call_tool("list_sessions", {})
        out["stats"] = await client.call_tool("session_stats", {})
        out["stats_all"] = await client.call_tool("session_stats", {"include_current_session": True})
        out["read"] = await client.call_tool("read_session", {"session": ids["claude"][:8]})
        return out

    out = talk(calls, {"CS_SESSION_ID": ids["asking"]})
    assert not any(r.is_error for r in out.values()), {k: text_of(r) for k, r in out.items() if r.is_error}
    search = text_of(out["search"])
    found = {sid[:8] for sid in re.findall(r"\] session (\S+)", search)}
    assert found == {ids["claude"][:8], ids["shell"][:8]}, search
    assert "otter build failed: E4711" in search and "project shellproj" in search
    assert re.search(r"position \d+:\d+", search)
    assert f"The session you are in, {ids['asking'][:8]}, is left out" in search
    assert "now we ask about the otter" not in search
    assert "now we ask about the otter" in text_of(out["search_all"])
    assert "now we ask about the otter" in text_of(out["named"])  # asked for by name: searched
    typed = text_of(out["typed"])
    assert "make otter" in typed and "otter build failed" not in typed

    listing = text_of(out["list"])
    assert f'"{PROMPT}"' in listing and '"make otter"' in listing  # first prompts as titles
    assert listing.index(ids["shell"][:13]) < listing.index(ids["claude"][:13])  # newest first
    assert ids["asking"][:13] not in listing

    stats = json.loads(text_of(out["stats"]).split("\n", 2)[-1])
    assert stats["sessions"]["count"] == 2
    assert json.loads(text_of(out["stats_all"]).split("\n", 1)[1])["sessions"]["count"] == 3
    assert stats["tokens"]["total"]["output_tokens"] == 14  # the transcript's two responses

    story = text_of(out["read"])
    assert f"> {PROMPT}" in story and "● " + REPLY in story and "⚙ Bash(cat .env)" in story

    assert text_of(out["secret_query"]).startswith('Nothing matched "zebra [REDACTED:github]"')  # not echoed
    for name, result in out.items():
        assert KEY not in text_of(result), name
    assert "[REDACTED:github]" in text_of(out["search"]) + text_of(out["read"])


def test_read_around_a_hit_and_page_on(archive):
    ids = archive

    async def calls(client):
        hit = text_of(await client.call_tool("search_sessions", {"query": "socket", "source": "transcript"}))
        position = re.search(r"position (\S+)", hit).group(1)
        around = text_of(await client.call_tool("read_session", {"session": ids["claude"], "around": position}))
        pages, cursor = [], None
        while len(pages) < 20:
            args = {"session": ids["claude"], "max_chars": 500, "whole_tool_io": True}
            if cursor:
                args["cursor"] = cursor
            page = text_of(await client.call_tool("read_session", args))
            pages.append(page)
            found = re.search(r'cursor "(\d+)"', page)
            if not found:
                break
            cursor = found.group(1)
        talk_only = text_of(await client.call_tool("read_session", {"session": ids["claude"], "view": "conversation"}))
        screen = text_of(await client.call_tool("read_session", {"session": ids["claude"], "view": "screen"}))
        past = text_of(await client.call_tool("read_session", {"session": ids["claude"], "cursor": "999"}))
        return hit, around, pages, talk_only, screen, past

    hit, around, pages, talk_only, screen, past = talk(calls)
    assert "transcript reply" in hit
    assert "● " + REPLY in around and "from entry" in around
    assert len(pages) > 1 and all(len(p) <= 500 for p in pages)
    whole = "".join(pages)
    for expected in (f"> {PROMPT}", "⚙ Bash(cat .env)", "otter=1", "● " + REPLY):
        assert expected in whole, whole
    assert KEY not in whole and "[REDACTED:github]" in whole
    assert "● " + REPLY in talk_only and "exit status" not in talk_only
    assert "The flaky otter test was fixed in tests/test_otter.py" in screen and "cat .env" not in screen
    assert "No more" in past


def test_nothing_found_and_a_session_gone_are_said_plainly(archive, logs):
    ids = archive
    for path in logs.glob(ids["shell"] + "*"):
        path.unlink()

    async def calls(client):
        none = await client.call_tool("search_sessions", {"query": "zebra-unicorn-42"})
        gone = await client.call_tool("read_session", {"session": ids["shell"]})
        never = await client.call_tool("read_session", {"session": "0123abcd"})
        return none, gone, never

    none, gone, never = talk(calls)
    assert not none.is_error and text_of(none).startswith('Nothing matched "zebra-unicorn-42"')
    said = text_of(gone)
    assert "gone" in said or "no session" in said, said
    assert never.is_error and 'no session with id "0123abcd"' in text_of(never)
    assert "list_sessions" in text_of(never)


HOSTILE = [
    ("search_sessions", {"query": "x" * 100_000}, "at most 1000"),
    ("search_sessions", {}, "`query` is required"),
    ("search_sessions", {"query": 42}, "must be a string"),
    ("search_sessions", {"query": "otter", "limit": "ten"}, "must be an integer"),
    ("search_sessions", {"query": "otter", "limit": 10**12}, "from 1 to 50"),
    ("search_sessions", {"query": "otter", "limit": True}, "must be an integer"),
    ("search_sessions", {"query": "otter", "syntax": "regex"}, "must be one of literal, fts"),
    ("search_sessions", {"query": 'otter" OR ) NEAR(', "syntax": "fts"}, "invalid FTS5 query"),
    ("search_sessions", {"query": "otter", "kind": "reply", "source": "screen"}, "cannot go with source screen"),
    ("search_sessions", {"query": "otter", "since": "'; DROP TABLE sessions; --"}, "`since`"),
    ("search_sessions", {"query": "otter", "since": "99999999d"}, "`since`"),
    ("search_sessions", {"query": "otter", "cursor": "-1 OR 1=1"}, "`cursor`"),
    ("search_sessions", {"query": "otter", "sql": "SELECT 1"}, "unknown argument 'sql'"),
    ("search_sessions", {"query": "otter\x00"}, "NUL"),
    ("search_sessions", {"query": "   "}, "empty"),
    ("search_sessions", {"query": "otter", "session": "' OR 1=1 --"}, "no session with id"),
    ("read_session", {"session": "1' OR '1'='1"}, "no session with id"),
    ("read_session", {"session": "f" * 101}, "at most 100"),
    ("read_session", {"session": ["a"]}, "must be a string"),
    ("read_session", {"session": ""}, "no session with id"),
    ("read_session", {"session": "%_*"}, "no session with id"),
    ("list_sessions", {"limit": -5}, "from 1 to 100"),
    ("list_sessions", {"max_chars": 10**9}, "from 500 to 40000"),
    ("session_stats", {"until": "not a date"}, "`until`"),
    ("drop_table", {}, "no tool named 'drop_table'"),
]


def test_hostile_arguments_are_tool_errors(archive, cs_home):
    ids = archive

    async def calls(client):
        out = [await client.call_tool(name, args) for name, args, _ in HOSTILE]
        literal_sql = await client.call_tool("search_sessions", {"query": "'; DROP TABLE lines; --"})
        around = await client.call_tool("read_session", {"session": ids["claude"], "around": "1:2:3; DROP TABLE x"})
        after = await client.call_tool("search_sessions", {"query": "E4711"})
        return out, literal_sql, around, after

    out, literal_sql, around, after = talk(calls)
    for (name, args, expected), result in zip(HOSTILE, out):
        said = text_of(result)
        assert result.is_error, (name, args, said)
        assert expected in said, (name, str(args)[:80], said)
        assert len(said) < 600 and "Traceback" not in said
    # SQL in a literal query is words to find, and finds nothing; the index is whole.
    assert not literal_sql.is_error and text_of(literal_sql).startswith("Nothing matched")
    assert around.is_error and "`around` must be a position" in text_of(around)
    assert not after.is_error and ids["shell"][:8] in text_of(after)
    db = sqlite3.connect(cs_home / "index.db")
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 3


def test_garbage_on_stdin_does_not_stop_the_server(archive, cs_exe):
    """Lines that are not JSON-RPC at all, then a real handshake: answered."""
    import subprocess

    messages = [
        "this is not json",
        '{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "search_sessions"}}',
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "test", "version": "0"},
                },
            }
        ),
        '{"jsonrpc": "2.0", "method": "notifications/initialized"}',
        "[1, 2, 3]",
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "search_sessions", "arguments": {"query": "E4711"}},
            }
        ),
    ]
    proc = subprocess.Popen(
        [cs_exe, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        proc.stdin.write("\n".join(messages) + "\n")
        proc.stdin.flush()
        answers = {}
        while 3 not in answers:  # (stdin stays open until the last answer: closing it ends the server)
            line = proc.stdout.readline()
            assert line, f"the server stopped: {proc.stderr.read() if proc.poll() is not None else ''}"
            message = json.loads(line)
            answers[message.get("id")] = message
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert answers[2]["result"]["serverInfo"]["name"] == "cs"
    assert "E4711" in answers[3]["result"]["content"][0]["text"]


def test_install_without_claude_writes_claude_json(tmp_path, cs_exe):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True, "mcpServers": {"other": {}}}))
    os.chmod(home / ".claude.json", 0o600)
    env = dict(os.environ, HOME=str(home), PATH="/usr/bin:/bin")
    env.pop("CLAUDE_CONFIG_DIR", None)

    said = run_cs(cs_exe, "mcp", "install", env=env).stdout
    config = json.loads((home / ".claude.json").read_text())
    assert config["mcpServers"]["cs"] == {"type": "stdio", "command": cs_exe, "args": ["mcp"], "env": {}}
    assert config["mcpServers"]["other"] == {} and config["hasCompletedOnboarding"] is True
    assert (home / ".claude.json").stat().st_mode & 0o777 == 0o600
    assert "claude is not on PATH" in said
    assert "already installed" in run_cs(cs_exe, "mcp", "install", env=env).stdout

    run_cs(cs_exe, "mcp", "uninstall", env=env)
    config = json.loads((home / ".claude.json").read_text())
    assert "cs" not in config["mcpServers"] and config["mcpServers"]["other"] == {}
    assert "not installed" in run_cs(cs_exe, "mcp", "uninstall", env=env).stdout


def test_a_long_running_server_reads_what_a_watcher_indexes_and_a_rebuilt_index(archive, logs):
    """Claude Code keeps `cs mcp` running. With a watcher running (its lock
    held here; `cs index` does its work), a call reads what the watcher
    committed, and still does after `cs index --rebuild` put a new index file
    in place of the one the server opened. Without a watcher, the call's own
    catch-up finds a new session."""
    from cs.log import locks

    def record(text, t0):
        LogWriter(logs, argv=("bash",), t0=t0).output(text + "\r\n").end()

    async def calls(client):
        out = [await client.call_tool("search_sessions", {"query": "pelican"})]
        watcher = locks.hold(locks.WATCHER)
        try:
            record("the pelican migrates at dawn", 1796378400.0)
            run_cs(None, "index", "-q")
            out.append(await client.call_tool("search_sessions", {"query": "pelican"}))
            run_cs(None, "index", "--rebuild", "-q")
            record("the pelican returns at dusk", 1796382000.0)
            run_cs(None, "index", "-q")
            out.append(await client.call_tool("search_sessions", {"query": "pelican"}))
        finally:
            os.close(watcher)
        record("the pelican sleeps at noon", 1796385600.0)
        out.append(await client.call_tool("search_sessions", {"query": "pelican"}))
        return out

    before, watched, rebuilt, alone = (text_of(r) for r in talk(calls))
    assert before.startswith("Nothing matched")
    assert "migrates at dawn" in watched
    assert "migrates at dawn" in rebuilt and "returns at dusk" in rebuilt
    assert "sleeps at noon" in alone

"""`cs mcp`: the tools of cs.mcp.tools served over stdio with the official
Python SDK (`mcp`, its low-level Server: the schemas are ours, written for a
model, not derived from type hints).

A tool call that fails answers with `isError: true` and a message saying what
to do next, never with a crash: arguments that do not fit the schema, an
unknown session, an FTS5 syntax error, and anything unexpected (whose
traceback goes to stderr, which Claude Code keeps in its MCP logs). The server
reads stdin until it closes. Tests: tests/test_mcp.py.
"""

import sys
import traceback

from cs import __version__
from cs.errors import CsError
from cs.mcp import tools

NAME = "cs"
INSTRUCTIONS = (
    "cs records every Claude Code session on this machine, with what the screen showed, and keeps it "
    "after Claude Code deletes its own transcripts. Use search_sessions to find where something was "
    "said or shown, read_session to read what happened around a hit, list_sessions to find sessions by "
    "time or project, session_stats for figures."
)


def serve(current_session: str = None) -> None:
    """Answer MCP requests on stdin/stdout until stdin closes. `current_session`:
    the recording this server runs inside (left out of answers by default)."""
    import anyio

    anyio.run(_serve, tools.Archive(current_session))


async def _serve(archive) -> None:
    import mcp.types as types
    from mcp.server.lowlevel import Server
    from mcp.server.stdio import stdio_server

    listed = types.ListToolsResult(
        tools=[
            types.Tool(
                name=t["name"],
                description=t["description"],
                input_schema=t["inputSchema"],
                annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
            )
            for t in tools.TOOLS
        ]
    )

    async def list_tools(_ctx, _params):
        return listed

    async def call_tool(_ctx, params):
        text, failed = answer(archive, params.name, params.arguments)
        return types.CallToolResult(content=[types.TextContent(text=text)], is_error=failed)

    server = Server(
        NAME,
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


def answer(archive, name: str, arguments) -> tuple:
    """(text, is_error) of one tool call; nothing it raises escapes.
    tests/test_mcp.py::test_hostile_arguments_are_tool_errors."""
    try:
        return tools.call(archive, name, arguments), False
    except CsError as e:
        return _redacted(str(e)), True
    except Exception as e:  # noqa: BLE001 - one call fails, the server goes on
        traceback.print_exc(file=sys.stderr)
        archive.forget()  # a transaction left open, a connection in a bad state: start afresh
        return _redacted(
            f"{name} failed: {type(e).__name__}: {e}. The server goes on; try again or other arguments."
        ), True


def _redacted(text: str) -> str:
    from cs import config

    try:
        return config.redactor().text(text)
    except Exception:  # noqa: BLE001 - a broken config must not hide the error
        return text

"""`cs mcp`: the MCP server Claude Code runs (cs/mcp), and registering it."""

import click

from cs.cli import cli
from cs.cli.common import CsError, skip_numpy
from cs.cli.output import echo


@cli.group("mcp", invoke_without_command=True)
@click.pass_context
def mcp_cmd(ctx):
    """Serve past sessions to Claude Code over MCP (stdio): search, read, list, stats.

    Claude Code starts it; `cs mcp install` registers it (docs/mcp.md)."""
    if ctx.invoked_subcommand is not None:
        return
    import os

    try:
        from cs.mcp.server import serve
    except ImportError as e:
        raise CsError(f"cs mcp needs the mcp extra ({e.name} is missing): pip install 'cs-sessions[mcp]'") from None
    skip_numpy()
    serve(current_session=os.environ.get("CS_SESSION_ID"))


@mcp_cmd.command("install")
def install_cmd():
    """Register `cs mcp` with Claude Code (user scope, server name cs)."""
    from cs.mcp import install
    from cs.shell_init import own_command

    echo("cs: " + install.install(own_command()))


@mcp_cmd.command("uninstall")
def uninstall_cmd():
    """Remove the `cs` MCP server from Claude Code's user config."""
    from cs.mcp import install

    echo("cs: " + install.uninstall())

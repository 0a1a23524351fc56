"""`cs mcp install` / `cs mcp uninstall`: register `cs mcp` with Claude Code
as the user-scope MCP server named `cs`, or remove it.

With `claude` on PATH, its own command does it (`claude mcp add --scope user
cs -- CS mcp`, `claude mcp remove --scope user cs`); without it, the same
entry is written into (or taken out of) Claude Code's user config, where that
command writes it: `mcpServers` in `~/.claude.json` (`$CLAUDE_CONFIG_DIR/.claude.json`
when that is set), every other key kept. CS is the absolute path of the cs
that runs, so the server is this cs whatever PATH Claude Code starts with.
Tests: tests/test_mcp.py::test_install_without_claude_writes_claude_json,
tests/test_mcp_claude.py (with the real CLI).
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

from cs.errors import CsError

SERVER = "cs"


def entry(cs_path: str) -> dict:
    """The mcpServers entry `claude mcp add` writes for `cs mcp`."""
    return {"type": "stdio", "command": cs_path, "args": ["mcp"], "env": {}}


def claude_json() -> Path:
    base = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(base) / ".claude.json" if base else Path.home() / ".claude.json"


def install(cs_path: str, claude: str = None) -> str:
    """Register `cs_path mcp` as server `cs` (again: nothing to do); what was
    done, as a sentence. tests/test_mcp.py::test_install_without_claude_writes_claude_json,
    tests/test_mcp_claude.py (through `claude mcp add`)."""
    if not cs_path or not os.path.isabs(cs_path):
        raise CsError("cannot tell where this cs is installed; run it by its full path: /path/to/cs mcp install")
    claude = claude if claude is not None else shutil.which("claude")
    current = registered()
    if current == entry(cs_path):
        return f"already installed: Claude Code runs `{cs_path} mcp` as MCP server {SERVER!r}"
    if claude:
        if current is not None:
            _run(claude, "mcp", "remove", "--scope", "user", SERVER)
        _run(claude, "mcp", "add", "--scope", "user", SERVER, "--", cs_path, "mcp")
        how = f"with `{claude} mcp add`"
    else:
        _edit(lambda servers: servers.__setitem__(SERVER, entry(cs_path)))
        how = f"in {claude_json()} (claude is not on PATH)"
    return f"installed {how}: Claude Code runs `{cs_path} mcp` as MCP server {SERVER!r}; its tools are mcp__cs__*"


def uninstall(claude: str = None) -> str:
    claude = claude if claude is not None else shutil.which("claude")
    if registered() is None:
        return f"not installed: Claude Code's user config has no MCP server {SERVER!r}"
    if claude:
        _run(claude, "mcp", "remove", "--scope", "user", SERVER)
        return f"removed MCP server {SERVER!r} with `{claude} mcp remove`"
    _edit(lambda servers: servers.pop(SERVER, None))
    return f"removed MCP server {SERVER!r} from {claude_json()}"


def registered():
    """Our entry in Claude Code's user config, or None."""
    servers = _read().get("mcpServers")
    return servers.get(SERVER) if isinstance(servers, dict) else None


def _read() -> dict:
    path = claude_json()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise CsError(f"cannot read {path} ({e}); fix or move it, then run this again") from None
    if not isinstance(data, dict):
        raise CsError(f"{path} is not a JSON object; fix or move it, then run this again")
    return data


def _edit(change) -> None:
    """Apply `change` to the mcpServers object of Claude Code's user config,
    written atomically with the file's mode kept (0600 for a new file)."""
    path = claude_json()
    data = _read()
    servers = data.get("mcpServers")
    if not isinstance(servers, dict):
        servers = data["mcpServers"] = {}
    change(servers)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
    tmp = path.with_name(path.name + ".cs-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _run(claude: str, *args) -> None:
    try:
        proc = subprocess.run([claude, *args], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise CsError(f"`claude {' '.join(args)}` could not run ({e}); check that `claude --version` works") from None
    if proc.returncode != 0:
        said = (proc.stderr or proc.stdout).strip().splitlines()
        raise CsError(f"`claude {' '.join(args)}` failed: {said[-1] if said else f'exit status {proc.returncode}'}")

"""Running real shells (bash, zsh, fish) with the cs integration loaded, for
tests/test_shell.py and tests/test_claude_e2e.py."""

import json
import os
import shutil
import sys
import time
from pathlib import Path

from tests.helpers.tools import missing_tool

SHELLS = ("bash", "zsh", "fish")

# The argv-printing stand-in for claude: the shell tests are about what reaches
# the program, so it reports exactly that (the real claude is in the e2e tests).
FAKE_CLAUDE = """#!{python}
import json, os, sys
args = sys.argv[1:]
# --help in commander's layout, as Claude Code prints it: the recorder reads the
# subcommands from it (cs.record.claude_cli).
if args == ["--help"]:
    sys.stdout.write("Usage: claude [options] [command] [prompt]\\n\\nOptions:\\n"
                     "  -h, --help       Display help for command\\n\\nCommands:\\n"
                     "  mcp              Configure and manage MCP servers\\n"
                     "  stop|kill <id>   Stop a background session\\n")
    sys.exit(0)
# Like claude, take the --session-id option the recorder may add (the id of the
# recording: cs.record.claude_link); FAKE_CLAUDE_SESSION_FILE notes it.
if args[:1] == ["--session-id"] and len(args) > 1:
    if os.environ.get("FAKE_CLAUDE_SESSION_FILE"):
        with open(os.environ["FAKE_CLAUDE_SESSION_FILE"], "w") as f:
            f.write(args[1])
    args = args[2:]
sys.stdout.write(json.dumps(args) + "\\n")
count = os.environ.get("FAKE_CLAUDE_COUNT")
if count:  # one line per run: proves claude ran once, not twice
    with open(count, "a") as f:
        f.write("ran\\n")
sys.exit(int(os.environ.get("FAKE_CLAUDE_EXIT", "0")))
"""


def shell_path(name: str) -> str:
    path = shutil.which(name)
    if not path:
        missing_tool(name)
    return path


def make_fake_claude(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / "claude"
    path.write_text(FAKE_CLAUDE.format(python=sys.executable))
    path.chmod(0o755)
    return path


def base_env(tmp_path: Path, path_dirs, cs_home: Path) -> dict:
    """A clean environment: no user rc files (HOME is a fresh dir), no
    inherited CS_* settings, PATH exactly as given, and no background indexer
    unless a test asks for it."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "HOME": str(home),
        "PATH": os.pathsep.join(str(d) for d in path_dirs),
        "CS_HOME": str(cs_home),
        "CS_NO_DAEMON": "1",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    return env


def system_path_dirs():
    return [d for d in ("/usr/local/bin", "/usr/bin", "/bin") if os.path.isdir(d)]


def init_line(shell: str, cs_exe: str) -> str:
    """What the user puts in their rc file, with cs as found on PATH."""
    if shell == "fish":
        return "cs init fish | source"
    return f'eval "$(cs init {shell})"'


def noninteractive_argv(shell: str, script: str, args=()):
    """argv running `script` with `args` as its positional parameters ("$@" in
    bash/zsh, $argv in fish), reading no user configuration."""
    exe = shell_path(shell)
    if shell == "bash":
        return [exe, "--norc", "--noprofile", "-c", script, "bash", *args]
    if shell == "zsh":
        return [exe, "-f", "-c", script, "zsh", *args]
    # `--`: fish would take a leading -p or -c among args for its own options.
    return [exe, "--no-config", "-c", script, "--", *args]


def all_args(shell: str) -> str:
    return "$argv" if shell == "fish" else '"$@"'


def logs(cs_home: Path):
    d = cs_home / "logs"
    return sorted(d.glob("*.jsonl*")) if d.is_dir() else []


def start_record(log_path: Path) -> dict:
    with open(log_path, "rb") as f:
        first = json.loads(f.readline())
    assert first.get("type") == "start", first
    return first


def records(log_path: Path):
    with open(log_path, "rb") as f:
        for line in f:
            if line.endswith(b"\n"):
                yield json.loads(line)


def wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll until predicate() is truthy; its value, or an assertion error
    saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)

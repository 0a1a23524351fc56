"""What the installed Claude Code CLI says about itself: its subcommands, read
from its own `--help`, once per installed version.

The recorder adds `--session-id` to a `claude` command line only when it knows
that doing so cannot turn a subcommand into a prompt (cs.record.claude_link.plan).
Claude Code adds subcommands in new releases (2.1.332 has `logs`, `rm`, `stop`,
`attach`, ...), so no list of ours can be trusted; the CLI's `--help` can.

* `known(executable)`: the facts for the executable the shell resolved, looked up
  by the identity of the file it resolves to (device, inode, size, mtime): an
  upgrade is a new file, hence unknown. Costs a realpath, a stat and one small
  read on the start-up path; imports nothing.
* `learn_in_background(executable, env)`: after a session in which the facts
  were missing, a detached process runs `<executable> --help` and keeps what it
  says in `$CS_HOME/claude-cli/` (0700/0600), so the next session knows. The
  user never waits for it.
* Help text that does not look like Claude Code's (no `Usage:` and `Options:`)
  is kept as "not understood": `known` answers None, and None means unsure, and
  unsure means the command line goes through untouched.

Tests: tests/test_claude_cli.py (parsing the real releases' help, the cache),
tests/test_claude_subcommands.py (every subcommand of the pinned and the newest
release behaves the same with and without the wrapper).
"""

import os

FACTS_DIR = "claude-cli"
_HEADER = "# cs: what `claude --help` says (cs.record.claude_cli)\n"
_NOT_UNDERSTOOD = "not-understood\n"


class CliFacts:
    """The subcommand names (aliases included) an installed Claude Code lists."""

    __slots__ = ("commands",)

    def __init__(self, commands=()):
        self.commands = frozenset(commands)

    def __eq__(self, other):
        return isinstance(other, CliFacts) and self.commands == other.commands

    def __repr__(self):
        return f"CliFacts({sorted(self.commands)})"


def facts_path(executable: str, home: str):
    """Where the facts of this installed executable are kept, or None when it
    cannot be stat'ed. The name is the resolved file's identity."""
    try:
        st = os.stat(os.path.realpath(executable))
    except OSError:
        return None
    name = f"{st.st_dev:x}-{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}.txt"
    return os.path.join(home, FACTS_DIR, name)


def known(executable: str, home: str):
    """The CliFacts kept for this executable, or None (never learned, not
    understood, unreadable). Never raises: the session must start regardless."""
    path = facts_path(executable, home)
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(256 * 1024)
    except (OSError, ValueError):
        return None
    return parse_facts(text)


def is_learned(executable: str, home: str) -> bool:
    """Whether `--help` was read for this executable already (understood or not)."""
    path = facts_path(executable, home)
    return path is not None and os.path.exists(path)


def parse_facts(text: str):
    """The facts file's text → CliFacts, or None when it says "not understood"
    or is not ours."""
    if not text.startswith(_HEADER) or _NOT_UNDERSTOOD in text:
        return None
    commands = []
    for line in text.splitlines()[1:]:
        kind, _, name = line.partition(" ")
        if kind == "command" and name:
            commands.append(name)
    return CliFacts(commands)


def format_facts(facts) -> str:
    if facts is None:
        return _HEADER + _NOT_UNDERSTOOD
    return _HEADER + "".join(f"command {c}\n" for c in sorted(facts.commands))


def facts_from_help(help_text: str):
    """Claude Code's `--help` (commander's layout) → CliFacts, or None when it
    does not look like a commander help page at all.

    Sections start at a line ending in ':' at column 0 (`Options:`,
    `Commands:`); an entry starts two spaces in (`  stop|kill <id>  Stop ...`);
    a deeper indent continues the previous entry's description."""
    import re

    if not re.search(r"^Usage: ", help_text, re.M) or not re.search(r"^Options:\s*$", help_text, re.M):
        return None
    commands = []
    section = None
    for line in help_text.splitlines():
        if line and not line[0].isspace():
            section = line.strip().rstrip(":").lower() if line.rstrip().endswith(":") else None
            continue
        entry = re.match(r"^ {1,3}(\S+)", line)
        if entry and section == "commands":
            names = entry.group(1)  # "stop|kill"
            commands += [n for n in names.split("|") if re.fullmatch(r"[A-Za-z0-9][\w:.-]*", n)]
    return CliFacts(commands)


def learn(executable: str, home: str, env=None, timeout: float = 30.0) -> bool:
    """Run `<executable> --help` and keep what it says (or that it was not
    understood). True when the facts file was written. Never raises."""
    import subprocess

    path = facts_path(executable, home)
    if path is None:
        return False
    try:
        done = subprocess.run(
            [executable, "--help"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            timeout=timeout,
            check=False,
        )
        text = done.stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return False
    try:
        from cs.log import paths

        paths.ensure_private_dir(os.path.dirname(path))
        paths.write_private_atomically(path, format_facts(facts_from_help(text)).encode())
    except OSError:
        return False
    return True


def learn_in_background(executable: str, home: str, env=None) -> None:
    """`learn` in a detached grandchild (its own session, standard streams on
    /dev/null), so the shell gets its prompt back at once. Never raises."""
    try:
        pid = os.fork()
    except OSError:
        return
    if pid:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
        return
    try:  # the child: detach, fork again, and leave at once
        os.setsid()
        if os.fork() == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            learn(executable, home, env)
    except BaseException:
        pass
    os._exit(0)

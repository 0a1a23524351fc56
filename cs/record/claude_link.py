"""Which Claude Code session(s) a recording of `claude` produced, known from the start.

Two mechanisms, both cheap enough for the recorder's start-up and hot path:

* `plan(argv, session_id, cli=...)`: when the user did not choose a session
  themselves (no `--resume`, `--continue`, `--session-id`, `--fork-session`)
  and the command line cannot be a subcommand (`claude mcp list`, `claude rm
  x`), the recorder passes `--session-id <id>` with the recording's own id, so
  the first Claude session and the recording share one id. What the user asked
  for is never changed: only an id is fixed that Claude Code would otherwise
  have drawn at random. Which words are subcommands is what the installed CLI's
  own `--help` says (cs.record.claude_cli); when that is not known yet, any word
  that could be one leaves the command line untouched.
* `SessionTracker`: Claude Code keeps `<config dir>/sessions/<pid>.json` with the
  id of the session a running process is in; `/clear` starts a new id in the
  same process. After each submitted line (Enter in the input), and for a few
  seconds after it, the tracker reads that file and writes a
  `claude_session` event line when the id changed. The same line is written at start for the id we chose.

Whatever these miss (a crash, a kill, an older Claude Code, `--continue`), the
indexer still finds by matching transcripts on `sessionId`, `cwd` and time
(cs.claude.link). Event line format: docs/log-format.md. Tests:
tests/test_claude_link.py.
"""

import os
import time

# Options after which Claude Code resumes or names a session itself.
_CHOOSES_SESSION = ("--resume", "-r", "--continue", "-c", "--session-id", "--fork-session")
# Subcommands of earlier releases, some hidden from their --help: never a prompt either.
_KNOWN_SUBCOMMANDS = (
    "mcp",
    "config",
    "doctor",
    "update",
    "upgrade",
    "install",
    "migrate-installer",
    "setup-token",
    "plugin",
    "plugins",
    "agents",
    "auth",
    "login",
    "logout",
)
_NO_SESSION = ("-h", "--help", "-v", "--version")
CHECK_INTERVAL_S = 0.25
WATCH_S = 10.0


def is_claude(argv) -> bool:
    return bool(argv) and os.path.basename(argv[0]) == "claude"


def plan(argv, session_id: str, env=None, cli=None):
    """(argv for the child, the Claude session id we fixed or None).

    `cli`: the installed CLI's CliFacts (cs.record.claude_cli.known), or None
    when unknown. The id is fixed only when no word of the command line is a
    subcommand (known: one the CLI lists or an earlier release had; unknown:
    any single word that could name one). CS_NO_SESSION_ID=1 in the environment
    turns the fixing off (a Claude Code too old to know `--session-id`: the
    indexer still links by time). Tests: tests/test_claude_link.py."""
    if not is_claude(argv) or (env if env is not None else os.environ).get("CS_NO_SESSION_ID"):
        return list(argv), None
    words = []
    for arg in argv[1:]:
        name = arg.split("=", 1)[0]
        if name in _CHOOSES_SESSION or arg in _NO_SESSION or arg == "--":
            return list(argv), None
        if not arg.startswith("-"):
            words.append(arg)
    if any(_may_be_subcommand(word, cli) for word in words):
        return list(argv), None
    return [argv[0], "--session-id", session_id, *argv[1:]], session_id


def _may_be_subcommand(word: str, cli) -> bool:
    if word in _KNOWN_SUBCOMMANDS:
        return True
    if cli is not None:
        return word in cli.commands
    # Unknown CLI: a subcommand is one word of letters, digits and dashes.
    return bool(word) and word.isascii() and word.replace("-", "").replace("_", "").isalnum()


def claude_config_dir(env) -> str:
    return env.get("CLAUDE_CONFIG_DIR") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".claude")


class SessionTracker:
    """A sink around the log writer: passes every call through, and notes the
    Claude session id the child is in (see the module doc).

    After a submitted line the file is read at once and then, while output
    flows, every CHECK_INTERVAL_S for WATCH_S: Claude Code updates it when it
    acts on the line (/clear), which may be a moment after the Enter."""

    def __init__(self, sink, config_dir: str, known_id: str = None):
        self._sink = sink
        self._config_dir = config_dir
        self._sessions_dir = os.path.join(config_dir, "sessions")
        self._pid = None
        self._current = known_id
        self._watch_until = 0.0
        self._next_check = 0.0
        # The hot path: output goes straight to the log writer, except while
        # watching after a submitted line (then through _output_watching).
        self.output = sink.output
        self.resize = sink.resize
        self._watching = False
        if known_id:
            sink.event("claude_session", {"claude_session_id": known_id, "how": "session-id", "config_dir": config_dir})

    def __getattr__(self, name):
        return getattr(self._sink, name)

    def relay_timeout(self):
        """While watching: seconds until the next check (the native path hands
        back then, and `settle` checks); else None."""
        if not self._watching:
            return None
        return max(0.0, self._next_check - time.monotonic())

    def settle(self) -> None:
        """After the native path had its turn: the writer settles, and while
        watching, the session file is checked when it is time."""
        self._sink.settle()
        if self._watching:
            now = time.monotonic()
            if now >= self._next_check:
                self._check(now)

    def spawned(self, pid: int) -> None:
        self._pid = pid

    def _output_watching(self, data: bytes) -> None:
        self._sink.output(data)
        now = time.monotonic()
        if now >= self._next_check:
            self._check(now)

    def input(self, data: bytes, masked: bool = False) -> None:
        self._sink.input(data, masked)
        if b"\r" in data or b"\n" in data:
            self.submitted()

    def submitted(self) -> None:
        """A line was submitted (Enter); the native path calls this after
        logging such a key itself."""
        now = time.monotonic()
        self._watch_until = now + WATCH_S
        self._watching = True
        self.output = self._output_watching
        self._check(now)

    def _check(self, now: float) -> None:
        if now > self._watch_until:
            self.output = self._sink.output  # done watching: straight to the writer again
            self._watching = False
            return
        self._next_check = now + CHECK_INTERVAL_S
        if self._pid is None:
            return
        found = self._read_session_id()
        if found and found != self._current:
            self._current = found
            self._sink.event(
                "claude_session", {"claude_session_id": found, "how": "running", "config_dir": self._config_dir}
            )

    def _read_session_id(self):
        """The sessionId in <config>/sessions/<pid>.json, or None. Never raises:
        this is Claude Code's internal file, and the session must go on."""
        try:
            with open(os.path.join(self._sessions_dir, f"{self._pid}.json"), "rb") as f:
                raw = f.read(64 * 1024)
        except OSError:
            return None
        import json

        try:
            value = json.loads(raw).get("sessionId")
        except (ValueError, AttributeError):
            return None
        if isinstance(value, str) and len(value) == 36 and value.count("-") == 4:
            return value.lower()
        return None

"""The recorder side: `cs record -- CMD`, run by the shell function on every start.

What is here: the command (`command`: parse, decide, run or fall back), the PTY
loop that only moves bytes to an injected sink (`loop`, with its raw-mode and
signal-wakeup context managers), which side gets the PTY or a pipe, as a pure
function (`wiring`), the sink that writes the log (`sink`), the start line's
metadata (`start`), and which Claude Code session a `claude` is in (`claude_link`).

May import: cs.log and cs.config (the rotate size). Never sqlite3, click or
watchdog, and nothing it does not need at start-up (tests/test_architecture.py,
tests/test_recorder.py::test_record_startup_imports).
"""

"""Watching sessions again: replay in the terminal, export, import, tail.

events (reading a log fast, following it live; a piped session's output as a
terminal shows it), terminal (the screen model and its repaint, the query
filter, the mode tracker), seek (`--at` and the state at a moment), redacted
(output bytes with secrets redacted, for every player), player (`cs replay`:
timing, keys, restoring the terminal),
asciicast / html / archive (`cs export`, `cs import`), tail (`cs tail`);
assets/ holds the vendored asciinema-player.

May import: cs.log, cs.db, cs.ask, cs.index, cs.claude, cs.config, cs.units,
cs.errors. Never cs.cli.
"""

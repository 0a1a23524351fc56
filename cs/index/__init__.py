"""Logs into SQLite: render what the screen showed, reassemble what was typed, store it.

What is here: the screen grid (`screen`), typed lines (`keys`), the one render
path of a session used by the indexer and by `cs show` (`render`), the
incremental passes, rebuild and catch-up (`indexer`), the watcher (`watch`).

May import: cs.log, cs.db, cs.config, cs.units, cs.errors, cs.claude (transcripts
are indexed with their recordings); cs.maintenance only
from the watcher (it applies the retention policy). Never cs.cli.
"""
